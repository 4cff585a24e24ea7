"""Refusing, before any trial starts, a multi-node sweep whose storage folder some nodes cannot see.

Every node writes its trials' checkpoints and results straight into the storage path, so on a
cluster of several machines a folder on the driver's own disk would leave checkpoints scattered
over the nodes (and lost with them). The check writes a marker file with a random token into the
storage folder and asks one task on every alive node to read it back at the same path.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sweeps.errors import SweepError, first_line

PROBE_TIMEOUT_S = 120.0


def _reads_marker(path: str, token: str) -> bool:
    try:
        return Path(path).read_text() == token
    except OSError:
        return False


def check_storage_is_shared(storage: Path) -> None:
    """Raise SweepError naming the first node that cannot read ``storage`` (a local folder)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [node for node in ray.nodes() if node.get("Alive")]
    if len(nodes) < 2:
        return
    storage.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    marker = storage / f".storage-probe-{token}"
    marker.write_text(token)
    try:
        # No CPU asked for: the probe must run even where every CPU is taken by another job.
        probe = ray.remote(num_cpus=0)(_reads_marker)
        pending = {
            node["NodeID"]: probe.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            ).remote(str(marker), token)
            for node in nodes
        }
        addresses = {node["NodeID"]: node.get("NodeManagerAddress", "?") for node in nodes}
        for node_id, reference in pending.items():
            try:
                visible = ray.get(reference, timeout=PROBE_TIMEOUT_S)
            except ray.exceptions.RayError as error:  # the node died or never answered
                raise SweepError(f"could not check that the node at {addresses[node_id]} sees storage "
                                 f"{storage}: {first_line(error)}") from None
            if not visible:
                raise SweepError(
                    f"storage {storage} is not visible from the node at {addresses[node_id]} "
                    f"(node {node_id[:12]}); every node writes its trials' checkpoints there, so use a folder "
                    "mounted at the same path on every node (NFS, a shared volume) or a URI such as "
                    "s3://bucket/sweeps"
                )
    finally:
        marker.unlink(missing_ok=True)
