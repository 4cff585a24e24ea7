"""Making an interrupted sweep resumable when Tune's last snapshot names a deleted checkpoint.

Tune deletes a trial's checkpoints beyond ``checkpoint.keep`` as new ones arrive, but snapshots
its experiment state only every few checkpoints. A driver killed in between leaves a snapshot
whose "latest checkpoint" of a trial is already gone, and Ray would fail that trial on resume
("does not exist on storage anymore"). Before resuming, each such trial gets its newest surviving
checkpoint copied into the recorded place, so it continues from real progress, not from zero.

The newest surviving checkpoint whose result reached the trial's result log is preferred: a
worker may have stored a checkpoint whose result the killed driver never logged, and continuing
after it would leave that epoch out of the metrics.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

STATE_GLOB = "experiment_state-*.json"
RESULT_LOG = "result.json"


def repair_missing_checkpoints(sweep_dir: Path) -> list[str]:
    """Fix the newest experiment snapshot's dangling checkpoints; returns what was done."""
    from ray.tune.trainable.metadata import _TrainingRunMetadata

    snapshots = sorted(sweep_dir.glob(STATE_GLOB))
    if not snapshots:
        return []
    state = json.loads(snapshots[-1].read_text())
    repaired = []
    for trial_json, metadata_json in state.get("trial_data", []):
        trial_id = json.loads(trial_json).get("trial_id", "?")
        latest = _TrainingRunMetadata.from_json_state(metadata_json).checkpoint_manager.latest_checkpoint_result
        if latest is None or latest.checkpoint.filesystem.type_name != "local":
            continue
        # Relative to where the sweep is now, in case its folder was moved since.
        recorded = sweep_dir / Path(latest.checkpoint.path).parent.name / Path(latest.checkpoint.path).name
        if recorded.exists():
            continue
        # Zero-padded names: the last one sorted is the newest.
        survivors = sorted(p for p in recorded.parent.glob("checkpoint_*") if p.is_dir())
        logged = _logged_checkpoints(recorded.parent / RESULT_LOG)
        survivors = [p for p in survivors if p.name in logged] or survivors
        if not survivors:
            continue
        shutil.copytree(survivors[-1], recorded)
        repaired.append(f"trial {trial_id}: {recorded.name} was gone; continuing from {survivors[-1].name}")
    return repaired


def _logged_checkpoints(result_log: Path) -> set[str]:
    """The checkpoint folders named by the results in a trial's result log."""
    names = set()
    if not result_log.is_file():
        return names
    for line in result_log.read_text().splitlines():
        try:
            name = json.loads(line).get("checkpoint_dir_name")
        except (ValueError, AttributeError):
            continue  # a line cut short by the crash
        if name:
            names.add(name)
    return names
