"""The user's own Lightning loggers (``trainer.logger`` of their config), kept beside the sweep's
TensorBoard and tables, with one run per trial.

A trial's Trainer is built again whenever the trial goes on in a new process or from a
checkpoint (a retry, a PBT exploit, ``--resume``), so each logger is given the trial's identity
before it is made, and picks up the trial's run where it was:

* ``CSVLogger``, ``TensorBoardLogger``: ``version`` = ``trial_<trial id>`` (``name`` the
  sweep's unless given), so the trial writes one folder, ``<save_dir>/<name>/trial_<trial id>``;
* ``WandbLogger``: ``id`` derived from the sweep's folder and the trial id, ``resume: allow``,
  ``name`` = the trial id and ``group`` = the sweep's name unless given;
* ``MLFlowLogger``: ``run_name`` = the trial id and the trial's tags; an earlier run of the trial,
  found by its tags, is continued (``run_id``).

Any other logger is kept as it is, and writes wherever and however it writes.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

TRIAL_TAG = "sweeps.trial_id"
SWEEP_TAG = "sweeps.sweep"


def logger_entries(value: Any) -> list[Any]:
    """``trainer.logger`` as a list of entries (``true``: Lightning's default TensorBoard
    logger, which the sweep's own TensorBoard replaces; ``false``/null: none)."""
    if value is None or isinstance(value, bool):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def class_name(entry: Any) -> str:
    """The logger's class: LightningCLI's ``class_path``, Hydra's ``_target_``, or an object's."""
    if isinstance(entry, dict):
        return str(entry.get("class_path") or entry.get("_target_") or "").rsplit(".", 1)[-1]
    return type(entry).__name__


def kept_note(trainer: dict[str, Any]) -> str | None:
    """The launcher's line on the loggers it keeps."""
    names = [class_name(entry) for entry in logger_entries(trainer.get("logger"))]
    if not names:
        return None
    return (
        f"trainer.logger {', '.join(names)}: kept beside the sweep's TensorBoard and tables, "
        "one run per trial"
    )


def with_trial_identity(
    config: dict[str, Any], trial_id: str, sweep_name: str, sweep_folder: str
) -> dict[str, Any]:
    """The trial's config with its loggers told which run is the trial's."""
    trainer = config.get("trainer") or {}
    entries = logger_entries(trainer.get("logger"))
    if not entries or not all(isinstance(entry, dict) for entry in entries):
        return config
    told = [for_trial(entry, trial_id, sweep_name, sweep_folder) for entry in entries]
    logger = told if isinstance(trainer.get("logger"), list | tuple) else told[0]
    return {**config, "trainer": {**trainer, "logger": logger}}


def for_trial(entry: dict[str, Any], trial_id: str, sweep_name: str, folder: str) -> dict[str, Any]:
    """A copy of one logger's entry (LightningCLI's ``class_path``/``init_args``, or Hydra's
    ``_target_`` with its arguments beside it) told which run is the trial's."""
    entry = copy.deepcopy(entry)
    if "_target_" in entry:
        init = entry
    else:
        init = entry.get("init_args") or {}
        entry["init_args"] = init
    kind = class_name(entry)
    if kind in ("CSVLogger", "TensorBoardLogger"):
        init.setdefault("name", sweep_name)
        # Not the bare id, which its parser would read as a number (62891_00000 is an int).
        init["version"] = f"trial_{trial_id}"
    elif kind == "WandbLogger":
        init.setdefault("name", trial_id)
        init.setdefault("group", sweep_name)
        init["id"] = hashlib.sha1(f"{folder}/{trial_id}".encode()).hexdigest()[:16]
        init["resume"] = "allow"
    elif kind == "MLFlowLogger":
        init.setdefault("run_name", trial_id)
        tags = {**(init.get("tags") or {}), TRIAL_TAG: trial_id, SWEEP_TAG: folder}
        init["tags"] = tags
        earlier = _earlier_mlflow_run(init, trial_id, folder)
        if earlier is not None:
            init["run_id"] = earlier
    return entry


def _earlier_mlflow_run(init: dict[str, Any], trial_id: str, folder: str) -> str | None:
    """The trial's run in the logger's experiment from an earlier start of the trial, if any
    (the tracking server not answering: none, and the logger says so when it starts)."""
    try:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=init.get("tracking_uri"))
        experiment = client.get_experiment_by_name(init.get("experiment_name", "lightning_logs"))
        if experiment is None:
            return None
        found = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.`{TRIAL_TAG}` = '{trial_id}' and tags.`{SWEEP_TAG}` = '{folder}'",
            max_results=1,
        )
    except Exception:  # noqa: BLE001 - the logger itself reports a server it cannot reach
        return None
    return found[0].info.run_id if found else None


def kept_loggers(value: Any) -> list[Any]:
    """The instantiated loggers to give the trial's Trainer beside the sweep's."""
    return [entry for entry in logger_entries(value) if not isinstance(entry, dict)]


def without_loggers(config: dict[str, Any]) -> dict[str, Any]:
    """The config with no logger of the user's: for building a checkpoint's model to evaluate it,
    which logs nowhere."""
    trainer = config.get("trainer") or {}
    if "logger" not in trainer:
        return config
    return {**config, "trainer": {k: v for k, v in trainer.items() if k != "logger"}}
