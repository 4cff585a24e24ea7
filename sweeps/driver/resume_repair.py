"""Making an interrupted sweep resumable: damaged state files and deleted checkpoints.

Tune copies its state files (the experiment state, the searcher state, the Tuner) from a staging
folder into the sweep folder after every snapshot; a driver killed during that copy leaves a
truncated file, and Ray would then quietly start the sweep afresh beside the old trials. So while
a sweep runs, ``StateBackup`` keeps the newest set of these files that all read back intact in
``.resume-backup/``, and before a resume ``restore_damaged_state`` puts that set back in place of
damaged ones.

Separately, a trial's checkpoint named by the last snapshot can already be deleted.
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

import fnmatch
import json
import shutil
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from ray.tune import Callback

from lightning_modules.checkpoint import CHECKPOINT_FILE, FOLD_FILE
from sweeps.errors import SweepError
from sweeps.results.layout import BACKUP_DIR, PATIENCE_FILE, RESULT_LOG, STATE_GLOB, TUNER_FILE
from sweeps.results.storage import Location
from sweeps.runtime.ray_control import latest_checkpoint_result


def _state_kind(path: Path) -> str | None:
    """'experiment_' for experiment_state-<time>.json, 'basic-variant-' for the random and grid
    searchers' state, and so on; None for files that are not Tune state."""
    if not path.is_file() or "state-" not in path.name or path.name.endswith(".damaged"):
        return None
    return path.name.rsplit("state-", 1)[0]


def _newest_state_files(sweep_dir: Path) -> list[Path]:
    """Per kind of state file, the newest (what Ray loads on resume), and the Tuner."""
    newest: dict[str, Path] = {}
    for path in sorted(sweep_dir.iterdir()):  # names end in a sortable timestamp
        kind = _state_kind(path)
        if kind is not None:
            newest[kind] = path
    tuner = sweep_dir / TUNER_FILE
    return sorted(newest.values()) + ([tuner] if tuner.is_file() else [])


def _intact(path: Path) -> bool:
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray.cloudpickle as cloudpickle

    try:
        data = path.read_bytes()
        if not data:
            return False
        if path.name.startswith("experiment_state-"):
            json.loads(data)
        else:
            cloudpickle.loads(data)
    except Exception:  # any failure to read back means the file cannot be resumed from
        return False
    return True


class StateBackup(Callback):
    """Driver-side: every few seconds, and at the end, copy the newest state files into
    ``.resume-backup/`` when every one of them reads back intact."""

    def __init__(self, sweep_dir: str, interval_s: float = 5.0):
        self.sweep_dir = Path(sweep_dir)
        self.interval_s = interval_s
        self.last = 0.0
        self.copied: dict[str, int] = {}

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        if time.monotonic() - self.last >= self.interval_s:
            self.back_up()

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self.back_up()

    def back_up(self) -> None:
        self.last = time.monotonic()
        files = _newest_state_files(self.sweep_dir)
        versions = {path.name: path.stat().st_mtime_ns for path in files}
        if not files or versions == self.copied or not all(_intact(path) for path in files):
            return
        staging = self.sweep_dir / f"{BACKUP_DIR}.new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for path in files:
            shutil.copy2(path, staging / path.name)
        if not all(_intact(staging / path.name) for path in files):  # changed while copying
            shutil.rmtree(staging, ignore_errors=True)
            return
        backup = self.sweep_dir / BACKUP_DIR
        old = self.sweep_dir / f"{BACKUP_DIR}.old"
        shutil.rmtree(old, ignore_errors=True)
        if backup.exists():
            backup.rename(old)
        staging.rename(backup)
        shutil.rmtree(old, ignore_errors=True)
        self.copied = versions


def restore_damaged_state(sweep_dir: Path) -> list[str]:
    """Before a resume: if any newest state file is damaged, put the backed-up set back.

    The whole set is restored (it was saved as one consistent snapshot); state files newer than
    the backup are set aside with the suffix ``.damaged`` so that Ray loads the restored ones.
    """
    damaged = [path for path in _newest_state_files(sweep_dir) if not _intact(path)]
    if not damaged:
        return []
    backup = sweep_dir / BACKUP_DIR
    saved = sorted(backup.iterdir()) if backup.is_dir() else []
    if not saved or not all(_intact(path) for path in saved):
        raise SweepError(
            f"cannot resume: {damaged[0].name} is damaged and there is no intact copy in {BACKUP_DIR}/",
            where=str(sweep_dir),
        )
    saved_by_kind = {_state_kind(path): path.name for path in saved if _state_kind(path)}
    for path in sorted(sweep_dir.iterdir()):
        kind = _state_kind(path)
        if kind in saved_by_kind and path.name > saved_by_kind[kind] or path in damaged:
            path.rename(path.with_name(path.name + ".damaged"))
    for path in saved:
        shutil.copy2(path, sweep_dir / path.name)
    return [
        f"{path.name} was damaged (kept as {path.name}.damaged); resuming from the state saved in {BACKUP_DIR}/"
        for path in damaged
    ]


def repair_missing_checkpoints(sweep: Path | Location) -> list[str]:
    """Fix the newest experiment snapshot's dangling checkpoints; returns what was done. The
    sweep is a local folder or a URI's (the same repair: object stores delete checkpoints too)."""
    location = sweep if isinstance(sweep, Location) else Location.parse(sweep)
    snapshots = sorted(name for name in location.names() if fnmatch.fnmatch(name, STATE_GLOB))
    if not snapshots:
        return []
    state = json.loads(location.child(snapshots[-1]).read_bytes())
    repaired = []
    for trial_json, metadata_json in state.get("trial_data", []):
        trial = json.loads(trial_json)
        trial_id = trial.get("trial_id", "?")
        latest = latest_checkpoint_result(metadata_json)
        # Relative to where the sweep is now, in case its folder was moved since.
        folder_name = (
            PurePosixPath(latest.checkpoint.path).parent.name
            if latest
            else trial.get("relative_logdir")
        )
        if not folder_name:
            continue
        trial_folder = location.child(folder_name)
        if trial.get("status") != "PENDING" and not trial_folder.exists():
            # Deleted by hand, or lost with a disk: the trial's results are gone, the others' kept.
            repaired.append(
                f"trial {trial_id}: its folder {trial_folder} is gone; what it trained is lost"
            )
            continue
        if latest is None:
            continue
        recorded = PurePosixPath(latest.checkpoint.path).name
        entries = trial_folder.names()
        damage = _damage(trial_folder.child(recorded)) if recorded in entries else "was gone"
        if damage is None:
            continue
        # Zero-padded names: the last one sorted is the newest. A folder without its model and
        # patience files is one whose upload a killed driver cut short.
        survivors = sorted(
            name
            for name in entries
            if name.startswith("checkpoint_")
            and name != recorded
            and _complete(trial_folder.child(name))
        )
        logged = (
            _logged_checkpoints(trial_folder.child(RESULT_LOG)) if RESULT_LOG in entries else set()
        )
        survivors = [name for name in survivors if name in logged] or survivors
        if not survivors:
            repaired.append(
                f"trial {trial_id}: {recorded} {damage} and no other checkpoint of it is intact; "
                "the trial cannot continue"
            )
            continue
        if recorded in entries:
            # Set aside, not deleted: a damaged file may still be worth a look.
            trial_folder.child(recorded).copy_folder(trial_folder.child(recorded + ".damaged"))
            trial_folder.child(recorded).remove_folder()
        trial_folder.child(survivors[-1]).copy_folder(trial_folder.child(recorded))
        repaired.append(f"trial {trial_id}: {recorded} {damage}; continuing from {survivors[-1]}")
    return repaired


def _complete(checkpoint: Location) -> bool:
    """Whether a trial's checkpoint folder holds everything a trial writes into one, intact."""
    return _damage(checkpoint) is None


def _damage(checkpoint: Location) -> str | None:
    """What is wrong with a trial's checkpoint folder (None: nothing). A folder without its
    model and patience files is one whose upload a killed driver cut short; a model file whose
    archive does not check out was cut short or damaged on disk."""
    names = set(checkpoint.names())
    models = sorted(name for name in names if name == CHECKPOINT_FILE or FOLD_FILE.fullmatch(name))
    if PATIENCE_FILE not in names or not models:
        return "was incomplete"
    for name in models:
        if not _whole_archive(checkpoint.child(name)):
            return f"was damaged ({name} does not read back)"
    return None


def _whole_archive(file: Location) -> bool:
    """torch.save writes a zip archive; every member's checksum holding means it was written
    whole. Checked without torch (the driver never imports it) and without running any code."""
    filesystem, path = file.filesystem()
    try:
        with filesystem.open_input_file(path) as stream, zipfile.ZipFile(stream) as archive:
            return archive.testzip() is None
    except Exception:  # unreadable, cut short, a damaged header: none of it is a whole archive
        return False


def _logged_checkpoints(result_log: Location) -> set[str]:
    """The checkpoint folders named by the results in a trial's result log."""
    names = set()
    for line in result_log.read_bytes().decode(errors="replace").splitlines():
        try:
            name = json.loads(line).get("checkpoint_dir_name")
        except (ValueError, AttributeError):
            continue  # a line cut short by the crash
        if name:
            names.add(name)
    return names
