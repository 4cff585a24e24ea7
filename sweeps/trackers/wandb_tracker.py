"""Weights & Biases: the sweep's run and one run per trial, grouped under the sweep's name.

W&B has no nested runs; its grouping is how a sweep's runs are shown together: every run of the
sweep has ``group`` = the sweep's name, the sweep's own run ``job_type: sweep`` and each trial's
``job_type: trial``, named by its trial id. A trial's run holds the searched keys (config), every
logged metric per epoch (``epoch`` is their x-axis, so a trial restored from an earlier epoch
logs again from there) and its status in its summary; the sweep's run holds the sweep file, and
at its end the best trial and a table of every trial (status, best checkpoint, best value).
Offline (``mode: offline``), runs are files under ``<dir>/wandb/`` for ``wandb sync``.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

from sweeps.results import schema
from sweeps.sweep_file.loggers import WandbOptions
from sweeps.trackers.tracker import MissingRun, SweepOutcome, SweepRun, Tracker, TrialEnd

EPOCH = "epoch"  # the x-axis of every metric a trial's run logs
TABLE_COLUMNS = tuple(
    column.name
    for column in (
        schema.TRIAL_ID,
        schema.STATUS,
        schema.EPOCHS,
        schema.BEST_EPOCH,
        schema.CHECKPOINT,
        schema.ERROR,
    )
)


class WandbTracker(Tracker):
    name = "wandb"

    def __init__(self, options: WandbOptions, sweep_name: str, sweep_folder: str):
        self.options = options
        self.sweep_name = sweep_name
        self.project = options.project or sweep_name
        # Offline runs are files: by default beside the sweep's other results.
        self.dir = options.dir or (
            sweep_folder if "://" not in sweep_folder else None
        )  # a bucket sweep: W&B's default (./wandb)
        self.runs: dict[str, Any] = {}  # open runs by id

    def where(self) -> str:
        where = (
            f"offline in {self.dir or '.'}/wandb" if self.options.mode == "offline" else "online"
        )
        return f"W&B ({where}, project {self.project})"

    def _init(self, name: str, job_type: str, config: dict[str, Any], run_id: str | None) -> Any:
        # Imported here: W&B loads only in a driver whose sweep uses it.
        import wandb

        if self.dir is not None:
            Path(self.dir).mkdir(parents=True, exist_ok=True)
        run = wandb.init(
            project=self.project,
            entity=self.options.entity,
            mode=self.options.mode,
            dir=self.dir,
            name=name,
            group=self.sweep_name,
            job_type=job_type,
            config=config,
            tags=list(self.options.tags) or None,
            id=run_id,
            resume="allow" if run_id else None,
            # Many runs at once, one per running trial, from the driver's process; the driver's
            # console is the launcher's, never captured, and W&B says nothing on it.
            reinit="create_new",
            settings=wandb.Settings(console="off", silent=True, x_disable_stats=True),
        )
        self.runs[run.id] = run
        return run

    def _run(self, run_id: str) -> Any:
        run = self.runs.get(run_id)
        if run is None:
            raise MissingRun(run_id)
        return run

    def open_sweep(self, sweep: SweepRun, run_id: str | None) -> str:
        run = self._init(sweep.name, "sweep", {"sweep": sweep.params}, run_id)
        run.summary["folder"] = sweep.folder
        if run_id is None:
            _keep(run, sweep.sweep_file)
        return run.id

    def open_trial(
        self, parent: str, trial_id: str, params: dict[str, Any], run_id: str | None
    ) -> str:
        run = self._init(trial_id, "trial", params, run_id)
        run.define_metric(EPOCH)
        run.define_metric("*", step_metric=EPOCH)
        return run.id

    def log_epochs(self, run_id: str, epochs: list[tuple[int, dict[str, float]]]) -> None:
        run = self._run(run_id)
        for epoch, values in epochs:
            run.log({**values, EPOCH: epoch})

    def close_trial(self, run_id: str, end: TrialEnd) -> None:
        run = self._run(run_id)
        run.summary.update(
            {key: value for key, value in end.summary.items() if not math.isnan(value)}
        )
        run.summary["status"] = end.status
        if end.error:
            run.summary["error"] = end.error
        self.runs.pop(run_id)
        run.finish(exit_code=1 if end.failed else 0)

    def interrupt_trial(self, run_id: str) -> None:
        run = self._run(run_id)
        run.summary["status"] = "interrupted"
        self.runs.pop(run_id)
        run.finish(exit_code=130)

    def record_outcome(self, parent: str, outcome: SweepOutcome) -> None:
        import wandb

        run = self._run(parent)
        best, rows = outcome.best, outcome.rows
        metric = schema.BEST.named(metric=best["metric"])
        columns = [*TABLE_COLUMNS, metric]
        table = wandb.Table(
            # wandb annotates a list of str or int names, where these are str (lists are invariant).
            columns=columns,  # type: ignore[arg-type]
            data=[[_cell(row.get(column)) for column in columns] for row in rows],
        )
        run.log({"trials": table})
        counts = outcome.status_counts()
        run.summary.update(
            {
                "best_trial": best.get("trial_id"),
                "best_checkpoint": best.get("checkpoint"),
                f"best/{best['metric']}": best.get("value"),
                **{f"trials/{status}": n for status, n in counts.items()},
            }
        )
        for file in outcome.files:
            _keep(run, file)

    def close_sweep(self, parent: str, interrupted: bool) -> None:
        run = self._run(parent)
        self.runs.pop(parent)
        run.finish(exit_code=130 if interrupted else 0)

    def shut_down(self) -> None:
        for run in list(self.runs.values()):
            run.finish(exit_code=130)
        self.runs.clear()


def _keep(run: Any, file: Path | None) -> None:
    """A file among the run's own: W&B uploads (or, offline, keeps for wandb sync) everything
    in the run's files folder when the run finishes."""
    if file is not None and file.is_file():
        shutil.copy(file, Path(run.dir) / file.name)


def _cell(value: Any) -> Any:
    """A table cell W&B takes: numbers and text (NaN and missing values as None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, (int, float, str, bool)) else str(value)
