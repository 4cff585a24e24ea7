"""Refusing, before any trial starts, a multi-node sweep whose storage some nodes cannot reach.

Every node writes its trials' checkpoints and results straight into the storage path, so on a
cluster of several machines a folder on the driver's own disk would leave checkpoints scattered
over the nodes (and lost with them), and a bucket a node has no credentials or route for would
fail its trials. The check writes a marker file with a random token into the storage (a folder,
or a URI) and asks one task on every alive node to read it back at the same place.
"""

from __future__ import annotations

import secrets

from sweeps.errors import SweepError, first_line
from sweeps.results.storage import Location

PROBE_TIMEOUT_S = 120.0


def _reads_marker(marker: str, token: str) -> bool:
    try:
        return Location.parse(marker).read_bytes().decode() == token
    except Exception:  # unreadable, missing, no credentials: all mean "cannot see it"
        return False


def check_storage_is_shared(storage: Location) -> None:
    """Raise SweepError naming the first node that cannot read ``storage``."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [node for node in ray.nodes() if node.get("Alive")]
    if len(nodes) < 2:
        return
    token = secrets.token_hex(16)
    marker = storage.child(f".storage-probe-{token}")
    if not storage.is_remote:
        storage.local().mkdir(parents=True, exist_ok=True)
    marker.write_bytes(token.encode())
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
                raise SweepError(
                    f"could not check that the node at {addresses[node_id]} sees storage "
                    f"{storage}: {first_line(error)}"
                ) from None
            if not visible and storage.is_remote:
                raise SweepError(
                    f"storage {storage} cannot be read from the node at {addresses[node_id]} "
                    f"(node {node_id[:12]}); every node writes its trials' checkpoints there, so give every "
                    "node the same endpoint and credentials (environment variables or an instance role)"
                )
            if not visible:
                raise SweepError(
                    f"storage {storage} is not visible from the node at {addresses[node_id]} "
                    f"(node {node_id[:12]}); every node writes its trials' checkpoints there, so use a folder "
                    "mounted at the same path on every node (NFS, a shared volume) or a URI such as "
                    "s3://bucket/sweeps"
                )
    finally:
        _remove(marker)


def _remove(marker: Location) -> None:
    filesystem, path = marker.filesystem()
    try:
        filesystem.delete_file(path)
    except OSError:
        pass  # already gone, or the storage went away: nothing is left to tidy
