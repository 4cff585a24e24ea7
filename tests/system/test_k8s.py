"""python -m launchers.k8s: manifests for one sweep, valid for Kubernetes and KubeRay, sized from
the sweep's per-trial resources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from launchers.k8s import kubernetes_name, render, worker_pod
from sweeps.definition import load_sweep
from tests.conftest import ROOT, SHIPPED_SWEEPS, launcher_env, run_launcher
from tests.helpers.manifests import exposure_problems, load_manifests, validate


@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.name)
def test_the_manifests_rendered_for_each_shipped_sweep_validate(path):
    spec = load_sweep(path)
    files = render(spec, path.read_text(), namespace="sweeps")
    for name, manifests in files.items():
        for manifest in manifests:
            validate(manifest, f"{path.name} -> {name}")
            assert exposure_problems(manifest) == []
            assert manifest["metadata"]["namespace"] == "sweeps"
    (config_map,) = files["sweep-configmap.yaml"]
    assert yaml.safe_load(config_map["data"]["sweep.yaml"]) == yaml.safe_load(path.read_text())
    (job,) = files["rayjob.yaml"]
    assert job["metadata"]["name"] == kubernetes_name(spec.name)
    assert "python -m launchers.cluster /etc/sweep/sweep.yaml" in job["spec"]["entrypoint"]


@pytest.mark.parametrize(
    "sweep, expected",
    [
        ("digits_asha", "digits-asha"),
        ("My.Sweep__v2", "my-sweep-v2"),
        ("2024-run", "sweep-2024-run"),
        ("x" * 80, "x" * 47),
    ],
)
def test_names_are_valid_for_kubernetes(sweep, expected):
    assert kubernetes_name(sweep) == expected


@pytest.mark.parametrize(
    "resources, gpus_per_worker, pod",
    [
        (
            "{cpu: 2, gpu: 0.25}",
            None,
            {"cpu": 8, "gpu": 1, "trials": 4},
        ),  # four trials share each GPU
        ("{cpu: 2, gpu: 0.25}", 2, {"cpu": 16, "gpu": 2, "trials": 8}),
        (
            "{cpu: 4, gpu: 1, workers: 4}",
            None,
            {"cpu": 4, "gpu": 1, "trials": 1},
        ),  # one DDP worker per pod
        ("{cpu: 1}", None, {"cpu": 4, "gpu": 0, "trials": 4}),
    ],
)
def test_the_worker_group_offers_what_the_trials_ask_for(resources, gpus_per_worker, pod):
    spec = load_sweep(ROOT / "sweeps" / "digits_asha.yaml", overrides=[f"resources={resources}"])
    assert {
        k: v
        for k, v in worker_pod(spec.resources.cpu, spec.resources.gpu, gpus_per_worker).items()
        if k != "memory_gi"
    } == pod
    files = render(spec, "name: gpu_sweep\n", gpus_per_worker=gpus_per_worker)
    (cluster,) = files["raycluster.yaml"]
    (job,) = files["rayjob.yaml"]
    (group,) = cluster["spec"]["workerGroupSpecs"]
    (job_group,) = job["spec"]["rayClusterSpec"]["workerGroupSpecs"]
    limits = group["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["cpu"] == str(pod["cpu"]) and group["rayStartParams"]["num-cpus"] == str(
        pod["cpu"]
    )
    if pod["gpu"]:
        assert group["groupName"] == "gpu" and limits["nvidia.com/gpu"] == str(pod["gpu"])
        assert group["rayStartParams"]["num-gpus"] == str(pod["gpu"]) and group["minReplicas"] == 0
    else:
        assert "nvidia.com/gpu" not in limits
    # The RayJob's fixed worker group can hold one trial's data-parallel workers.
    assert job_group["replicas"] * pod["trials"] >= spec.resources.workers
    assert job_group["template"]["spec"]["containers"][0]["resources"]["limits"] == limits


def test_out_writes_a_kustomization_and_stdout_streams_the_job(tmp_path):
    out = tmp_path / "manifests"
    done = run_launcher(
        "k8s",
        "sweeps/digits_pbt.yaml",
        "--out",
        str(out),
        "--namespace",
        "team-a",
        "--image",
        "registry.example/sweeps:1",
    )
    assert done.returncode == 0, done.stderr
    assert "kubectl apply -k" in done.stdout
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert (
        kustomization["namespace"] == "team-a"
        and "raycluster.yaml" not in kustomization["resources"]
    )
    for name in kustomization["resources"] + ["raycluster.yaml"]:
        for manifest in load_manifests(out / name):
            validate(manifest, name)
    (job,) = load_manifests(out / "rayjob.yaml")
    assert (
        job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.example/sweeps:1"
    )

    streamed = run_launcher("k8s", "sweeps/digits_pbt.yaml", "--resume")
    assert streamed.returncode == 0, streamed.stderr
    documents = [doc for doc in yaml.safe_load_all(streamed.stdout) if doc]
    assert sorted(doc["kind"] for doc in documents) == [
        "ConfigMap",
        "Deployment",
        "PersistentVolumeClaim",
        "RayJob",
        "Service",
    ]
    (job,) = [doc for doc in documents if doc["kind"] == "RayJob"]
    assert job["spec"]["entrypoint"].endswith("--storage /results --resume")


def test_apply_without_kubectl_says_what_to_run(tmp_path):
    env = launcher_env()
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "kubectl").exists()
    )
    done = run_launcher(
        "k8s", "sweeps/digits_asha.yaml", "--out", str(tmp_path), "--apply", env=env
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"kubectl is not installed here; to apply {tmp_path}, run: kubectl apply -k {tmp_path}"
        in done.stderr
    )


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--namespace", "Team_A"], "--namespace 'Team_A'"),
        (["--workers", "0"], "--workers 0"),
        (["--gpus-per-worker", "2"], "--gpus-per-worker is for sweeps whose trials use GPUs"),
        (
            ["--set", "resources.workers=9", "--workers", "1"],
            "resources.workers: a trial needs 9 data-parallel workers",
        ),
    ],
)
def test_bad_options_are_one_line_errors(args, expected, tmp_path):
    done = run_launcher("k8s", "sweeps/digits_asha.yaml", "--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        done.stderr.startswith("error: ")
        and done.stderr.strip().count("\n") == 0
        and expected in done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_a_sweep_of_a_users_project_brings_the_project_into_the_pods(tmp_path):
    import subprocess
    import sys

    from tests.helpers.user_project import write_project

    project = write_project(tmp_path / "project")
    (project / "requirements.txt").write_text("scikit-learn\n")
    (project / "mine.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "Mine",
                "model": {"class_path": "sweepable.models.Classifier"},
                "data": {"class_path": "sweepable.data.Blobs"},
                "lightning_config": ["configs/fit.yaml"],
                "space": {"model.lr": {"logfloat": [1e-3, 0.1]}},
                "metric": "val/acc",
                "mode": "max",
            }
        )
    )

    def k8s(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "launchers.k8s", "mine.yaml", *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env=launcher_env(),
        )

    built = k8s(
        "--out",
        str(tmp_path / "image"),
        "--image",
        "registry.example/sweeps:1",
        "--project-image",
        "registry.example/mine:3",
    )
    assert built.returncode == 0, built.stderr
    assert "docker build -f" in built.stdout and "-t registry.example/mine:3" in built.stdout
    dockerfile = (tmp_path / "image" / "Dockerfile").read_text()
    assert (
        "FROM registry.example/sweeps:1\n" in dockerfile
        and "COPY --chown=1000:1000 . /home/ray/project" in dockerfile
    )
    assert (
        "RUN pip install --user -r requirements.txt" in dockerfile
        and dockerfile.rstrip().endswith("USER 1000:1000")
    )
    (job,) = load_manifests(tmp_path / "image" / "rayjob.yaml")
    validate(job, "rayjob.yaml")
    assert job["spec"]["entrypoint"].startswith(
        "cd /home/ray/project && python -m launchers.cluster"
    )
    head = job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert head["image"] == "registry.example/mine:3"

    fetched = k8s("--code", "s3://bucket/mine.zip", "--out", str(tmp_path / "uri"))
    assert fetched.returncode == 0, fetched.stderr
    (job,) = load_manifests(tmp_path / "uri" / "rayjob.yaml")
    validate(job, "rayjob.yaml")
    assert yaml.safe_load(job["spec"]["runtimeEnvYAML"]) == {"working_dir": "s3://bucket/mine.zip"}
    assert not (tmp_path / "uri" / "Dockerfile").exists()

    refused = k8s("--code", "image")
    assert (
        refused.returncode == 2
        and "--code image writes a Dockerfile beside the manifests: give --out DIR"
        in refused.stderr
    )
