"""The manifests in k8s/ validate offline and strictly; broken ones are caught; the example is
what the renderer makes for the default sweep; the Dockerfile builds what they run."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from tests.conftest import ROOT
from tests.helpers.manifests import (
    ManifestError,
    exposure_problems,
    load_manifests,
    pod_specs,
    validate,
)

K8S = ROOT / "k8s"
MANIFEST_FILES = sorted(path for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml")


def test_there_are_manifests_of_every_kind_the_product_needs():
    kinds = {doc["kind"] for path in MANIFEST_FILES for doc in load_manifests(path)}
    assert kinds >= {
        "RayJob",
        "RayCluster",
        "Deployment",
        "Service",
        "PersistentVolumeClaim",
        "ConfigMap",
    }


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_validates_strictly(path):
    for manifest in load_manifests(path):
        validate(manifest, str(path.relative_to(ROOT)))


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: str(p.relative_to(K8S)))
def test_containers_run_as_non_root_with_requests_equal_to_limits(path):
    for manifest in load_manifests(path):
        for where, pod in pod_specs(manifest):
            assert (
                pod["securityContext"]["runAsNonRoot"] is True
                and pod["securityContext"]["runAsUser"] != 0
            ), where
            for container in pod["containers"]:
                resources = container["resources"]
                assert resources["requests"] == resources["limits"] and resources["limits"], (
                    where,
                    container["name"],
                )
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
            if where.startswith("worker"):
                shm = [v for v in pod["volumes"] if v["name"] == "dshm"]
                assert shm and shm[0]["emptyDir"]["medium"] == "Memory", where
                assert any(
                    m["mountPath"] == "/dev/shm" for m in pod["containers"][0]["volumeMounts"]
                ), where


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: str(p.relative_to(K8S)))
def test_nothing_runs_as_root_reaches_into_the_node_or_is_exposed_outside_the_cluster(path):
    for manifest in load_manifests(path):
        assert exposure_problems(manifest) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda job: job["spec"]["submitterPodTemplate"]["spec"].update(hostNetwork=True),
            "shares the node's namespaces",
        ),
        (
            lambda job: job["spec"]["submitterPodTemplate"]["spec"]["securityContext"].pop(
                "runAsNonRoot"
            ),
            "may run as root",
        ),
        (
            lambda job: job["spec"]["submitterPodTemplate"]["spec"]["containers"][0][
                "securityContext"
            ].update(privileged=True),
            "may gain privileges",
        ),
        (
            lambda job: job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"][
                "volumes"
            ].append({"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}),
            "volume docker is a host path",
        ),
    ],
)
def test_exposure_problems_are_caught(change, expected):
    (job,) = [
        doc for doc in load_manifests(K8S / "base" / "rayjob.yaml") if doc["kind"] == "RayJob"
    ]
    job = copy.deepcopy(job)
    change(job)
    assert any(expected in problem for problem in exposure_problems(job))


def test_the_kustomization_ties_the_example_together():
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    listed = set(kustomization["resources"])
    assert all((K8S / "base" / name).is_file() for name in listed)
    assert listed == {p.name for p in (K8S / "base").glob("*.yaml")} - {
        "kustomization.yaml",
        "raycluster.yaml",
    }
    # Every object the RayJob's pods refer to is part of it.
    objects = {
        (doc["kind"], doc["metadata"]["name"])
        for name in listed
        for doc in load_manifests(K8S / "base" / name)
    }
    (job,) = load_manifests(K8S / "base" / "rayjob.yaml")
    for _, pod in pod_specs(job):
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert (
                    "PersistentVolumeClaim",
                    volume["persistentVolumeClaim"]["claimName"],
                ) in objects
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in objects


def test_the_example_is_what_the_renderer_makes_for_the_default_sweep():
    from launchers.k8s import render
    from sweeps.definition import load_sweep

    sweep = ROOT / "sweeps" / "digits_asha.yaml"
    rendered = render(load_sweep(sweep), sweep.read_text())
    for name in ("rayjob.yaml", "sweep-configmap.yaml", "results-pvc.yaml", "tensorboard.yaml"):
        assert load_manifests(K8S / "base" / name) == rendered[name], name


def test_the_autoscaling_cluster_has_a_scheduling_head_and_a_gpu_group_from_zero():
    (cluster,) = load_manifests(K8S / "base" / "raycluster.yaml")
    spec = cluster["spec"]
    assert spec["enableInTreeAutoscaling"] is True and spec["authOptions"] == {"mode": "token"}
    assert spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    (gpu,) = spec["workerGroupSpecs"]
    assert gpu["minReplicas"] == 0 and gpu["maxReplicas"] >= 1
    assert gpu["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def _job():
    (job,) = load_manifests(K8S / "base" / "rayjob.yaml")
    return copy.deepcopy(job)


def _breaks(change):
    def broken():
        manifest = _job()
        change(manifest)
        return manifest

    return broken


def _misspelt(manifest):
    manifest["spec"]["shutdownAfterJobFinish"] = manifest["spec"].pop("shutdownAfterJobFinishes")


def _misspelt_in_pod(manifest):
    container = manifest["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"][
        "containers"
    ][0]
    container["imagePullPolcy"] = "IfNotPresent"


def _wrong_type(manifest):
    manifest["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["replicas"] = "two"


def _bad_name(manifest):
    manifest["metadata"]["name"] = "Digits_ASHA"


def _long_name(manifest):
    manifest["metadata"]["name"] = "a" * 48


def _min_above_max(manifest):
    group = manifest["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]
    group.update(minReplicas=3, maxReplicas=2, replicas=2)


def _ttl_without_shutdown(manifest):
    manifest["spec"]["shutdownAfterJobFinishes"] = False


def _bad_submission_mode(manifest):
    manifest["spec"]["submissionMode"] = "BatchMode"


def _pvc(change):
    def broken():
        (claim,) = load_manifests(K8S / "base" / "results-pvc.yaml")
        change(claim)
        return claim

    return broken


@pytest.mark.parametrize(
    "broken, expected",
    [
        (_breaks(_misspelt), "shutdownAfterJobFinish"),
        (_breaks(_misspelt_in_pod), "imagePullPolcy"),
        (_breaks(_wrong_type), "'two' is not of type 'integer'"),
        (_breaks(_bad_name), "metadata.name 'Digits_ASHA' is not a valid Kubernetes name"),
        (_breaks(_long_name), "at most 47 characters"),
        (_breaks(_min_above_max), "minReplicas 3 above maxReplicas 2"),
        (_breaks(_ttl_without_shutdown), "ttlSecondsAfterFinished needs shutdownAfterJobFinishes"),
        (_breaks(_bad_submission_mode), "submissionMode 'BatchMode'"),
        (
            _pvc(lambda claim: claim["spec"].update(acessModes=claim["spec"].pop("accessModes"))),
            "acessModes",
        ),
        (
            _pvc(lambda claim: claim["spec"]["resources"]["requests"].update(storage=["20Gi"])),
            "storage",
        ),
        (
            _pvc(lambda claim: claim["metadata"].update(name="Results!")),
            "not a valid Kubernetes name",
        ),
        (
            _pvc(lambda claim: claim.update(kind="PersistentVolumeClaimm")),
            "no validator covers kind",
        ),
    ],
    ids=[
        "misspelt field",
        "misspelt pod field",
        "wrong type",
        "bad name",
        "long name",
        "min above max",
        "ttl without shutdown",
        "bad submission mode",
        "misspelt core field",
        "wrong core type",
        "bad core name",
        "unknown kind",
    ],
)
def test_broken_manifests_are_refused(broken, expected):
    with pytest.raises(ManifestError, match=re.escape(expected)):
        validate(broken())


def test_the_dockerfile_installs_the_project_with_a_cuda_capable_torch():
    text = (ROOT / "Dockerfile").read_text()
    instructions = [
        line.strip()
        for line in text.replace("\\\n", " ").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert instructions[0].startswith("FROM python:3.11")
    # The plain PyPI wheel (the CUDA build), not the +cpu one or a CPU-only index.
    assert (
        "pip install torch==2.13.0" in text
        and "+cpu" not in text
        and "download.pytorch.org/whl/cpu" not in text
    )
    copied = [line.split()[1].rstrip("/") for line in instructions if line.startswith("COPY ")]
    for package in ("sweeps", "lightning_modules", "launchers"):
        assert package in copied and (ROOT / package / "__init__.py").is_file()
    assert "pyproject.toml" in " ".join(line for line in instructions if line.startswith("COPY "))
    install = next(line for line in instructions if "pip install ." in line)
    # What the manifests run must import from anywhere (the image checks it at build time).
    for module in ("launchers.cluster", "launchers.local", "sweeps.trial.trainable"):
        assert module in install and (ROOT / (module.replace(".", "/") + ".py")).is_file()
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and not user[-1].split()[1].startswith(("0", "root"))
    assert "wget" in text  # KubeRay's probes use it
    # The manifests run this image, as its non-root user.
    for path in MANIFEST_FILES:
        for manifest in load_manifests(path):
            for _, pod in pod_specs(manifest):
                assert pod["securityContext"]["runAsUser"] == int(user[-1].split()[1].split(":")[0])
