"""Render the Kubernetes manifests that run one sweep on a cluster with the KubeRay operator.

    python -m launchers.k8s SWEEP.yaml [--image IMAGE] [--workers N] [--gpus-per-worker G]
                            [--namespace NS] [--out DIR] [--apply] [--resume] [--set KEY=VALUE] [--name NAME]
                            [--code image|URI] [--project-image IMAGE]

The manifests are those of k8s/base (the working example for the default sweep), made for this
sweep: the sweep file as a ConfigMap, a RayJob whose entrypoint is ``python -m
launchers.cluster`` on it, the ReadWriteMany results volume and TensorBoard, and a RayCluster
for long-lived use whose GPU worker group offers what the sweep's trials ask for. Worker pods are
sized from the sweep's per-trial resources; names come from the sweep's name, made valid for
Kubernetes. Without ``--out`` the RayJob's objects are printed as one YAML stream (for
``kubectl apply -f -``); with it, a folder with one file per object and a kustomization.
``--apply`` runs kubectl when it is installed, and otherwise says what to run.

A sweep of the user's own model (run from the project's folder) needs the project in the pods:
``--code image`` (the default) writes a Dockerfile beside the manifests that builds
``--project-image`` from the tool's image (``--image``) with the project copied in, and the pods
run that image from the project's folder; ``--code s3://bucket/project.zip`` (any URI Ray reads a
working_dir from) leaves the tool's image and has Ray fetch the project through the RayJob's
``runtimeEnvYAML``.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

import k8s
from sweeps.errors import SweepError, summary

BASE = Path(k8s.__file__).resolve().parent / "base"  # the templates, installed with the package
DEFAULT_IMAGE = "lightning-sweeps:0.1.0"
SWEEP_MOUNT = "/etc/sweep"
RESULTS_MOUNT = "/results"
RAYJOB_NAME_MAX = 47  # KubeRay: a RayJob's name becomes the prefix of its cluster's objects
CPU_TRIALS_PER_POD = 4  # a CPU-only sweep's worker pod holds this many trial processes
PROJECT_DIR = "/home/ray/project"  # where a user's project lies in its image
MEMORY_GI_PER_CPU = 2
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NAMESPACE_MAX = 63


def kubernetes_name(sweep_name: str) -> str:
    """A DNS-1035 label (what a RayJob's name must be) from a sweep name: lower case, '-' for
    anything else, starting with a letter, at most 47 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", sweep_name.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    if not name or not name[0].isalpha():
        name = f"sweep-{name}".rstrip("-")
    return name[:RAYJOB_NAME_MAX].rstrip("-")


def _read(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((BASE / name).read_text()) if doc]


def _containers(pod_template: dict[str, Any]) -> list[dict[str, Any]]:
    return pod_template["spec"]["containers"]


def _set_image(objects: list[dict[str, Any]], image: str) -> None:
    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "image" in node and "name" in node:
                node["image"] = image
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(objects)


def worker_pod(cpu: float, gpu: float, gpus_per_worker: int | None) -> dict[str, Any]:
    """CPUs, GPUs and memory of one worker pod for trials (or DDP workers) needing ``cpu`` and
    ``gpu`` each: a CPU sweep's pod holds CPU_TRIALS_PER_POD of them; a GPU sweep's pod has
    ``gpus_per_worker`` GPUs (default one, or the whole GPUs a trial asks for) and the CPUs of
    the trials those GPUs hold."""
    if gpu > 0:
        gpus = gpus_per_worker if gpus_per_worker is not None else max(1, math.ceil(gpu))
        if gpus < gpu:
            raise SweepError(
                f"each trial needs {gpu:g} GPUs but --gpus-per-worker gives a worker pod {gpus}",
                path="resources.gpu",
            )
        trials = math.floor(gpus / gpu + 1e-9)
    else:
        if gpus_per_worker:
            raise SweepError(
                "--gpus-per-worker is for sweeps whose trials use GPUs; this one asks for none",
                path="resources.gpu",
            )
        gpus, trials = 0, CPU_TRIALS_PER_POD
    cpus = max(1, math.ceil(cpu * trials - 1e-9))
    return {"cpu": cpus, "gpu": gpus, "memory_gi": MEMORY_GI_PER_CPU * cpus, "trials": trials}


def _size_worker_group(group: dict[str, Any], pod: dict[str, Any]) -> None:
    resources: dict[str, Any] = {"cpu": str(pod["cpu"]), "memory": f"{pod['memory_gi']}Gi"}
    if pod["gpu"]:
        resources["nvidia.com/gpu"] = str(pod["gpu"])
    container = _containers(group["template"])[0]
    container["resources"] = {"requests": dict(resources), "limits": dict(resources)}
    # Ray offers exactly what the pod was given.
    group["rayStartParams"] = {
        "num-cpus": str(pod["cpu"]),
        **({"num-gpus": str(pod["gpu"])} if pod["gpu"] else {}),
    }
    shm = next(
        volume for volume in group["template"]["spec"]["volumes"] if volume["name"] == "dshm"
    )
    shm["emptyDir"]["sizeLimit"] = f"{max(1, pod['memory_gi'] // 2)}Gi"
    spec = group["template"]["spec"]
    if pod["gpu"]:
        spec["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    else:
        spec.pop("tolerations", None)


def project_dockerfile(tool_image: str, project_image: str, project: Path) -> str:
    """The Dockerfile of a user project's image: the tool's image with the project copied in."""
    lines = [
        "# A sweep of this project: the sweep tool's image with the project copied in. Build it from the",
        "# project's folder (a .dockerignore there keeps data and results out of the image):",
        f"#   docker build -f <this file> -t {project_image} {project}",
        f"FROM {tool_image}",
        f"COPY --chown=1000:1000 . {PROJECT_DIR}",
        f"WORKDIR {PROJECT_DIR}",
        f"ENV PYTHONPATH={PROJECT_DIR}",
    ]
    if (project / "requirements.txt").is_file():
        lines.append("RUN pip install --user -r requirements.txt")
    lines.append("USER 1000:1000")
    return "\n".join(lines) + "\n"


def _code_in_pods(job: dict[str, Any], code: str) -> None:
    """Where the RayJob's driver and trials find a user's project: the project image's folder,
    or a URI Ray fetches it from."""
    if code == "image":
        job["spec"]["entrypoint"] = f"cd {PROJECT_DIR} && {job['spec']['entrypoint']}"
    else:
        job["spec"]["runtimeEnvYAML"] = yaml.safe_dump({"working_dir": code}, sort_keys=False)


def render(
    spec: Any,
    sweep_text: str,
    *,
    image: str = DEFAULT_IMAGE,
    workers: int | None = None,
    gpus_per_worker: int | None = None,
    namespace: str | None = None,
    resume: bool = False,
    code: str | None = None,
    project_image: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The manifests by file name: the RayJob's objects, and raycluster.yaml. ``code`` says how a
    user's project reaches the pods (see the module's docstring); with ``image``, the pods run
    ``project_image``."""
    name = kubernetes_name(spec.name)
    resources = spec.resources
    pod = worker_pod(resources.cpu, resources.gpu, gpus_per_worker)
    # Enough pods for one trial's DDP workers, and at least two so that trials run side by side.
    if workers is None:
        workers = max(2, math.ceil(resources.workers / pod["trials"]))
    if workers * pod["trials"] < resources.workers:
        raise SweepError(
            f"a trial needs {resources.workers} data-parallel workers but {workers} worker pods "
            f"hold only {workers * pod['trials']}",
            path="resources.workers",
        )
    config_map: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"sweep-{name}", "labels": _labels(name, "sweep-file")},
        "data": {"sweep.yaml": sweep_text},
    }
    (job,) = _read("rayjob.yaml")
    job["metadata"] = {"name": name, "labels": _labels(name, "sweep")}
    if resume:  # continue the sweep folder already in the results volume
        job["spec"]["entrypoint"] += " --resume"
    if code is not None:
        _code_in_pods(job, code)
    head = job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
    next(volume for volume in head["volumes"] if volume["name"] == "sweep")["configMap"]["name"] = (
        config_map["metadata"]["name"]
    )
    (group,) = job["spec"]["rayClusterSpec"]["workerGroupSpecs"]
    group["groupName"] = "gpu" if pod["gpu"] else "cpu"
    group["replicas"] = group["minReplicas"] = group["maxReplicas"] = workers
    _size_worker_group(group, pod)

    (cluster,) = _read("raycluster.yaml")
    cluster["metadata"] = {
        "name": f"{name}-cluster"[:63].rstrip("-"),
        "labels": _labels(name, "cluster"),
    }
    (cluster_group,) = cluster["spec"]["workerGroupSpecs"]
    cluster_group["groupName"] = "gpu" if pod["gpu"] else "cpu"
    cluster_group["maxReplicas"] = max(workers, cluster_group["maxReplicas"])
    _size_worker_group(cluster_group, pod)

    files = {
        "results-pvc.yaml": _read("results-pvc.yaml"),
        "tensorboard.yaml": _read("tensorboard.yaml"),
        "sweep-configmap.yaml": [config_map],
        "rayjob.yaml": [job],
        "raycluster.yaml": [cluster],
    }
    pod_image = project_image if code == "image" and project_image else image
    for objects in files.values():
        _set_image(objects, image if objects is files["tensorboard.yaml"] else pod_image)
        if namespace:
            for manifest in objects:
                manifest["metadata"]["namespace"] = namespace
    return files


def _labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "lightning-sweeps",
        "app.kubernetes.io/component": component,
        "lightning-sweeps/sweep": name,
    }


def kustomization(files: dict[str, list[dict[str, Any]]], namespace: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "labels": [{"pairs": {"app.kubernetes.io/part-of": "lightning-sweeps"}}],
        "resources": [file for file in files if file != "raycluster.yaml"],
    }
    if namespace:
        document["namespace"] = namespace
    return document


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the sweep file in its ConfigMap) as readable literal blocks."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = (
        "|"
        if "\n" in text and not any(line != line.rstrip() for line in text.splitlines())
        else None
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump(objects: list[dict[str, Any]]) -> str:
    return yaml.dump_all(
        objects, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120
    )


def _check_namespace(namespace: str | None) -> None:
    if namespace is not None and (
        len(namespace) > NAMESPACE_MAX or not DNS_1123_LABEL.match(namespace)
    ):
        raise SweepError(
            f"--namespace {namespace!r}: a namespace is lower-case letters, digits and '-', "
            f"starting and ending with a letter or digit, at most {NAMESPACE_MAX} characters"
        )


def main(argv: list[str] | None = None) -> int:
    # Imported here: --help stays fast.
    from sweeps.definition import find_sweep_file, load_sweep

    parser = argparse.ArgumentParser(
        prog="python -m launchers.k8s", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("sweep", help="the sweep file")
    parser.add_argument(
        "--image",
        default=DEFAULT_IMAGE,
        help=f"container image of the project (default {DEFAULT_IMAGE})",
    )
    parser.add_argument(
        "--workers", type=int, help="Ray worker pods (default: enough for two trials at once)"
    )
    parser.add_argument(
        "--gpus-per-worker", type=int, help="GPUs of each worker pod (GPU sweeps; default 1)"
    )
    parser.add_argument("--namespace", help="put every object in this namespace")
    parser.add_argument(
        "--out", help="write one file per object and a kustomization.yaml here, instead of stdout"
    )
    parser.add_argument(
        "--apply", action="store_true", help="kubectl apply the manifests (or say how)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="the RayJob continues the sweep already in the volume"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key of the sweep file (repeatable)",
    )
    parser.add_argument("--name", help="the sweep's name (default: the file's)")
    parser.add_argument(
        "--code",
        help="a sweep of your own model: 'image' (default: a Dockerfile that copies the project "
        "into --image) or the URI of the project's zip (s3://..., gs://..., https://...)",
    )
    parser.add_argument(
        "--project-image",
        help="with --code image: the image the Dockerfile builds (default NAME-project:latest)",
    )
    args = parser.parse_args(argv)
    sweep_path = find_sweep_file(args.sweep)
    try:
        spec = load_sweep(sweep_path, overrides=args.overrides, name=args.name)
        _check_namespace(args.namespace)
        if args.workers is not None and not 1 <= args.workers <= 1000:
            raise SweepError(f"--workers {args.workers}: give 1 to 1000 worker pods")
        if args.gpus_per_worker is not None and not 1 <= args.gpus_per_worker <= 16:
            raise SweepError(f"--gpus-per-worker {args.gpus_per_worker}: give 1 to 16")
        # The sweep as given when nothing was overridden (comments kept), else as validated.
        text = (
            Path(sweep_path).read_text()
            if not args.overrides and not args.name
            else yaml.safe_dump(spec.raw, sort_keys=False)
        )
        code, project_image = _code_choice(spec, args)
        files = render(
            spec,
            text,
            image=args.image,
            workers=args.workers,
            gpus_per_worker=args.gpus_per_worker,
            namespace=args.namespace,
            resume=args.resume,
            code=code,
            project_image=project_image,
        )
    except SweepError as error:
        for line in summary(error, args.sweep):
            print(f"error: {line}", file=sys.stderr)
        return 2
    if args.out is None:
        objects = [
            manifest
            for file, manifests in files.items()
            if file != "raycluster.yaml"
            for manifest in manifests
        ]
        stream = dump(objects)
        if not args.apply:
            print(stream, end="")
            return 0
        return _apply(["-f", "-"], stream)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for file, manifests in files.items():
        (out / file).write_text(dump(manifests))
    (out / "kustomization.yaml").write_text(dump([kustomization(files, args.namespace)]))
    written = [*files, "kustomization.yaml"]
    if code == "image":
        assert project_image is not None  # _code_choice names one for --code image
        (out / "Dockerfile").write_text(project_dockerfile(args.image, project_image, Path.cwd()))
        written.append("Dockerfile")
    print(f"wrote {', '.join(written)} to {out}")
    if code == "image":
        print(
            f"build: docker build -f {out / 'Dockerfile'} -t {project_image} . && docker push {project_image}"
        )
    print(
        f"apply: kubectl apply -k {out}   (raycluster.yaml, for long-lived use: kubectl apply -f {out / 'raycluster.yaml'})"
    )
    return _apply(["-k", str(out)], None) if args.apply else 0


def _code_choice(spec: Any, args: argparse.Namespace) -> tuple[str | None, str | None]:
    """How the user's project reaches the pods (None for the shipped families, already in the
    tool's image), and the project image's name."""
    if not spec.model.is_users_own:
        if args.code or args.project_image:
            raise SweepError(
                "--code and --project-image are for a sweep of your own model; the shipped families are in "
                "the tool's image"
            )
        return None, None
    code = args.code or "image"
    if code != "image" and "://" not in code:
        raise SweepError(
            f"--code {code!r}: give image, or the URI of a zip of the project (s3://bucket/project.zip)"
        )
    if code == "image" and args.out is None:
        raise SweepError("--code image writes a Dockerfile beside the manifests: give --out DIR")
    project_image = args.project_image or f"{kubernetes_name(spec.name)}-project:latest"
    return code, project_image if code == "image" else None


def _apply(target: list[str], stream: str | None) -> int:
    kubectl = shutil.which("kubectl")
    command = ["kubectl", "apply", *target]
    if kubectl is None:
        where = "the manifests above" if stream is not None else target[-1]
        print(
            f"kubectl is not installed here; to apply {where}, run: {' '.join(command)}",
            file=sys.stderr,
        )
        if stream is not None:
            print(stream, end="")
        return 0
    done = subprocess.run([kubectl, "apply", *target], input=stream, text=True)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
