"""Offline validation of Kubernetes manifests, strict: core kinds with the kubernetes-validate
package (its bundled schemas, unknown fields refused), RayJob and RayCluster against KubeRay's CRD
schemas (kept in tests/fixtures/kuberay_crds/) with every object closed to unknown fields, plus the rules the
KubeRay operator enforces beyond its schema. A kind neither covers is an error."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import yaml

KUBERNETES_VERSION = "1.37.0"
SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "kuberay_crds"
CRD_FILES = {"RayJob": "ray.io_rayjobs.yaml", "RayCluster": "ray.io_rayclusters.yaml"}
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
SUBMISSION_MODES = {"K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode"}


class ManifestError(AssertionError):
    pass


def load_manifests(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _closed(schema: Any) -> Any:
    """The schema with every object that lists its properties closed to others, as
    ``kubectl --validate=strict`` would; worker groups' defaulted replica bounds not required."""
    if isinstance(schema, dict):
        schema = {key: _closed(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        if {"groupName", "minReplicas", "maxReplicas"} <= set(schema.get("properties", {})):
            schema["required"] = [
                key
                for key in schema.get("required", [])
                if key not in ("minReplicas", "maxReplicas")
            ]
        return schema
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


@functools.cache
def _crd_schema(kind: str) -> dict[str, Any]:
    crd = yaml.safe_load((SCHEMAS / CRD_FILES[kind]).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return _closed(copy.deepcopy(version["schema"]["openAPIV3Schema"]))


def _check_metadata(manifest: dict[str, Any], where: str) -> None:
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        raise ManifestError(f"{where}: metadata.name is missing")
    name = metadata["name"]
    if len(name) > 253 or not DNS_1123_SUBDOMAIN.match(name):
        raise ManifestError(f"{where}: metadata.name {name!r} is not a valid Kubernetes name")
    unknown = set(metadata) - {"name", "namespace", "labels", "annotations"}
    if unknown:
        raise ManifestError(f"{where}: metadata has unknown fields {sorted(unknown)}")
    for key in ("labels", "annotations"):
        values = metadata.get(key, {})
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ManifestError(f"{where}: metadata.{key} values must be strings")


def _operator_rules(manifest: dict[str, Any], where: str) -> None:
    spec = manifest.get("spec", {})
    if manifest["kind"] == "RayJob":
        name = manifest["metadata"]["name"]
        if len(name) > 47 or not DNS_1035.match(name):
            raise ManifestError(
                f"{where}: a RayJob name must be DNS-1035 and at most 47 characters, not {name!r}"
            )
        if "ttlSecondsAfterFinished" in spec and not spec.get("shutdownAfterJobFinishes"):
            raise ManifestError(
                f"{where}: ttlSecondsAfterFinished needs shutdownAfterJobFinishes: true"
            )
        if "runtimeEnvYAML" in spec:
            try:
                yaml.safe_load(spec["runtimeEnvYAML"])
            except yaml.YAMLError as error:
                raise ManifestError(f"{where}: runtimeEnvYAML is not YAML ({error})") from None
        if "activeDeadlineSeconds" in spec and not spec["activeDeadlineSeconds"] > 0:
            raise ManifestError(f"{where}: activeDeadlineSeconds must be above 0")
        if spec.get("submissionMode", "K8sJobMode") not in SUBMISSION_MODES:
            raise ManifestError(
                f"{where}: submissionMode {spec['submissionMode']!r} is not one of {sorted(SUBMISSION_MODES)}"
            )
        cluster = spec.get("rayClusterSpec", {})
    else:
        name = manifest["metadata"]["name"]
        if len(name) > 63 or not DNS_1035.match(name):
            raise ManifestError(
                f"{where}: a RayCluster name must be DNS-1035 and at most 63 characters, not {name!r}"
            )
        cluster = spec
    for group in cluster.get("workerGroupSpecs", []):
        low, high = group.get("minReplicas", 0), group.get("maxReplicas", 2**31 - 1)
        if low > high:
            raise ManifestError(
                f"{where}: worker group {group.get('groupName')!r} has minReplicas {low} above maxReplicas {high}"
            )
        if "replicas" in group and not low <= group["replicas"] <= high:
            raise ManifestError(
                f"{where}: worker group {group.get('groupName')!r} has replicas outside min..max"
            )


def validate(manifest: dict[str, Any], where: str = "manifest") -> None:
    """Raise ManifestError naming what is wrong; return quietly for a valid manifest."""
    import jsonschema
    import kubernetes_validate

    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    where = f"{where} ({kind} {manifest.get('metadata', {}).get('name') if isinstance(manifest, dict) else '?'})"
    if kind in CRD_FILES:
        if manifest.get("apiVersion") != "ray.io/v1":
            raise ManifestError(f"{where}: apiVersion must be ray.io/v1")
        _check_metadata(manifest, where)
        body = {key: value for key, value in manifest.items() if key != "metadata"}
        errors = sorted(
            jsonschema.Draft7Validator(_crd_schema(kind)).iter_errors(body),
            key=lambda e: list(e.path),
        )
        if errors:
            first = errors[0]
            raise ManifestError(
                f"{where}: {'.'.join(map(str, first.path)) or '(top)'}: {first.message}"
            )
        _operator_rules(manifest, where)
        return
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        raise ManifestError(f"{where}: no validator covers kind {kind!r}") from None
    except kubernetes_validate.ValidationError as error:
        raise ManifestError(
            f"{where}: {'.'.join(map(str, error.path)) or '(top)'}: {error.message}"
        ) from None
    except kubernetes_validate.InvalidSchemaError as error:
        raise ManifestError(f"{where}: {error}") from None
    _check_metadata(manifest, where)


def pod_specs(manifest: dict) -> list[tuple[str, dict]]:
    """Every pod spec in a manifest, named by where it sits."""
    spec = manifest.get("spec", {})
    found = []
    if manifest["kind"] == "Deployment":
        found.append(("pod", spec["template"]["spec"]))
    cluster = (
        spec.get("rayClusterSpec", spec) if manifest["kind"] in ("RayJob", "RayCluster") else {}
    )
    if "headGroupSpec" in cluster:
        found.append(("head", cluster["headGroupSpec"]["template"]["spec"]))
        found += [
            (f"worker {group['groupName']}", group["template"]["spec"])
            for group in cluster.get("workerGroupSpecs", [])
        ]
    if "submitterPodTemplate" in spec:
        found.append(("submitter", spec["submitterPodTemplate"]["spec"]))
    return found


def exposure_problems(manifest: dict) -> list[str]:
    """What in a manifest would run as root, escalate privileges, reach into the node or expose a
    port beyond the cluster (each pod's own services listen inside its pod network only)."""
    problems = []
    for where, pod in pod_specs(manifest):
        if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
            problems.append(f"{where}: shares the node's namespaces")
        problems += [
            f"{where}: volume {v['name']} is a host path"
            for v in pod.get("volumes", [])
            if "hostPath" in v
        ]
        if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
            problems.append(f"{where}: may run as root")
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = container.get("securityContext", {})
            if context.get("privileged") or context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}/{container['name']}: may gain privileges")
            if "ALL" not in context.get("capabilities", {}).get("drop", []) or context.get(
                "capabilities", {}
            ).get("add"):
                problems.append(f"{where}/{container['name']}: keeps Linux capabilities")
            problems += [
                f"{where}/{container['name']}: port {port['containerPort']} bound on the node"
                for port in container.get("ports", [])
                if "hostPort" in port
            ]
    if manifest["kind"] == "Service" and manifest["spec"].get("type", "ClusterIP") != "ClusterIP":
        problems.append(f"service {manifest['metadata']['name']}: exposed outside the cluster")
    return problems
