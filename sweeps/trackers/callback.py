"""The Tune callback (driver side) that feeds the user's trackers: one parent run per sweep, one
run per trial, logged once per trial whatever happens to it.

Only the driver logs, from the results every trial reports to it: a data-parallel trial's ranks,
a PBT restore, a retry from a checkpoint and ``--resume`` all continue the trial's one run, whose
id is kept in the sweep's folder (``TRACKER_RUNS_FILE``) for the resumed driver.

    callback = TrackerCallback(options, sweep_run, folder, max_epochs, modes)
    ... Tune runs, calling it ...
    TrackerCallback.active.sweep_finished(rows, best, files)  # after the tables are written
    TrackerCallback.active.close()                            # lines on what was not logged
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, ClassVar

from ray.tune import Callback

from sweeps.results.epoch_results import epoch_results, logged_values
from sweeps.results.layout import SPEC_FILE, TRACKER_RUNS_FILE
from sweeps.results.metric_values import better, direction
from sweeps.results.storage import Location
from sweeps.results.trial_status import ENDED, trial_status
from sweeps.sweep_file.loggers import LoggerOptions
from sweeps.trackers.tracker import (
    MissingRun,
    SweepOutcome,
    SweepRun,
    Tracker,
    TrackerWorker,
    TrialEnd,
)


def build_trackers(options: LoggerOptions, sweep_name: str, folder: str) -> list[Tracker]:
    trackers: list[Tracker] = []
    if options.mlflow is not None:
        from sweeps.trackers.mlflow_tracker import MLflowTracker

        trackers.append(MLflowTracker(options.mlflow, sweep_name))
    if options.wandb is not None:
        from sweeps.trackers.wandb_tracker import WandbTracker

        trackers.append(WandbTracker(options.wandb, sweep_name, folder))
    return trackers


class TrackerCallback(Callback):
    # The callback of the run in progress: the runner reaches it through here on a resumed
    # sweep too, where Tune made it from the saved experiment.
    active: ClassVar[TrackerCallback | None] = None

    def __init__(
        self,
        options: LoggerOptions,
        sweep: SweepRun,
        max_epochs: int,
        modes: dict[str, str],
        searched: list[str],
    ):
        self.options = options
        self.sweep = sweep
        self.max_epochs = max_epochs
        self.modes = modes  # every objective's metric: its mode
        self.searched = searched
        self._live: dict[str, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Tune saves its callbacks with the experiment; the threads and clients stay behind.
        return {
            **self.__dict__,
            "_live": None,
            "sweep": dataclasses.replace(self.sweep, sweep_file=None),
        }

    # Tune's hooks ----------------------------------------------------------------------------

    def setup(
        self,
        stop: Any = None,
        num_samples: int | None = None,
        total_num_samples: int | None = None,
        **info: Any,
    ) -> None:
        # Tune's arguments (named as its Callback names them) are not needed here.
        TrackerCallback.active = self
        location = Location.parse(self.sweep.folder)
        runs = _read_runs(location)
        trackers = build_trackers(self.options, self.sweep.name, self.sweep.folder)
        # The sweep file as its artifact: a local file, whatever the storage.
        copy = Path(tempfile.mkdtemp(prefix="sweep-trackers-")) / SPEC_FILE
        copy.write_text(self.sweep.sweep_text)
        self.sweep = dataclasses.replace(self.sweep, sweep_file=copy)
        self._live = {
            "location": location,
            "runs": runs,  # tracker name -> {"sweep": id, "trials": {trial id: id}}
            "lock": threading.Lock(),
            "workers": {tracker.name: TrackerWorker(tracker) for tracker in trackers},
            "open": set(),  # trials whose runs are open
            "best": {},  # trial id -> {metric: best value}
            "final": {},  # trial id -> {metric: last value}
        }
        for name, worker in self._live["workers"].items():
            saved = runs.setdefault(name, {"sweep": None, "trials": {}})
            worker.submit("sweep run", self._open_sweep, worker.tracker, saved["sweep"])

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        live = self._live
        if live is None or trial.trial_id in live["open"]:
            return
        live["open"].add(trial.trial_id)
        params = {key: trial.config[key] for key in self.searched if key in trial.config}
        for worker in live["workers"].values():
            worker.submit("trial runs", self._open_trial, worker.tracker, trial.trial_id, params)

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        live = self._live
        if live is None:
            return
        self.on_trial_start(iteration, trials, trial)
        epochs = []
        best = live["best"].setdefault(trial.trial_id, {})
        final = live["final"].setdefault(trial.trial_id, {})
        for entry in epoch_results(result):
            values = logged_values(entry)
            epoch = int(entry.get("epoch", entry.get("training_iteration", 0)))
            epochs.append((epoch, values))
            for name, value in values.items():
                if math.isfinite(value):
                    final[name] = value
                    best[name] = better(best.get(name, value), value, direction(name, self.modes))
        if epochs:
            for worker in live["workers"].values():
                worker.submit(
                    "epoch results",
                    self._on_trial_run,
                    worker.tracker,
                    trial.trial_id,
                    "log",
                    epochs,
                )

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._end_trial(trial, failed=False)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._end_trial(trial, failed=True)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        """Trials still running when the run ended were interrupted: their runs end as such,
        and continue with ``--resume``."""
        live = self._live
        if live is None:
            return
        for trial_id in sorted(live["open"]):
            for worker in live["workers"].values():
                worker.submit(
                    "trial ends", self._on_trial_run, worker.tracker, trial_id, "interrupt"
                )
        live["open"].clear()

    # The runner's calls ----------------------------------------------------------------------

    def sweep_finished(
        self, rows: list[dict[str, Any]], best: dict[str, Any], files: list[Path]
    ) -> None:
        """The sweep's tables are written: each trial's final row and the sweep's outcome."""
        live = self._live
        if live is None:
            return
        for name, worker in live["workers"].items():
            worker.submit(
                "sweep outcome", self._record_outcome, worker.tracker, name, rows, best, files
            )

    def close(self, interrupted: bool = False) -> list[str]:
        """End the sweep's runs and wait for what is queued; a line for each tracker that could
        not log everything. The trackers in use, for the launcher's line, come first."""
        live = self._live
        if live is None:
            return []
        for name, worker in live["workers"].items():
            worker.submit("sweep run", self._close_sweep, worker.tracker, name, interrupted)
        lines = [line for worker in live["workers"].values() if (line := worker.close())]
        if self.sweep.sweep_file is not None:
            shutil.rmtree(self.sweep.sweep_file.parent, ignore_errors=True)
        self._live = None
        if TrackerCallback.active is self:
            TrackerCallback.active = None
        return lines

    def where(self) -> list[str]:
        live = self._live
        return [worker.tracker.where() for worker in (live or {}).get("workers", {}).values()]

    # On the trackers' threads ----------------------------------------------------------------

    def _open_sweep(self, tracker: Tracker, run_id: str | None) -> None:
        opened = tracker.open_sweep(self.sweep, run_id)
        self._remember(tracker.name, None, opened)

    def _open_trial(self, tracker: Tracker, trial_id: str, params: dict[str, Any]) -> None:
        runs = self._live_runs(tracker.name)
        parent = runs["sweep"]
        if parent is None:
            raise MissingRun("the sweep's run")
        opened = tracker.open_trial(parent, trial_id, params, runs["trials"].get(trial_id))
        self._remember(tracker.name, trial_id, opened)

    def _on_trial_run(self, tracker: Tracker, trial_id: str, what: str, *args: Any) -> None:
        run_id = self._live_runs(tracker.name)["trials"].get(trial_id)
        if run_id is None:
            raise MissingRun(trial_id)
        if what == "log":
            tracker.log_epochs(run_id, *args)
        elif what == "close":
            tracker.close_trial(run_id, *args)
        else:
            tracker.interrupt_trial(run_id)

    def _record_outcome(
        self,
        tracker: Tracker,
        name: str,
        rows: list[dict[str, Any]],
        best: dict[str, Any],
        files: list[Path],
    ) -> None:
        runs = self._live_runs(name)
        if runs["sweep"] is None:
            raise MissingRun("the sweep's run")
        tracker.record_outcome(runs["sweep"], SweepOutcome(dict(runs["trials"]), rows, best, files))

    def _close_sweep(self, tracker: Tracker, name: str, interrupted: bool) -> None:
        parent = self._live_runs(name)["sweep"]
        if parent is None:
            raise MissingRun("the sweep's run")
        tracker.close_sweep(parent, interrupted)

    # Helpers ---------------------------------------------------------------------------------

    def _end_trial(self, trial: Any, failed: bool) -> None:
        live = self._live
        if live is None:
            return
        live["open"].discard(trial.trial_id)
        last = epoch_results(trial.last_result or {})
        history = [last[-1]] if last and "epoch" in last[-1] else []
        ended = (trial.last_result or {}).get(ENDED)
        status = trial_status(history, "failed" if failed else None, self.max_epochs, ended)
        summary = {f"best/{k}": v for k, v in live["best"].pop(trial.trial_id, {}).items()}
        summary |= {f"final/{k}": v for k, v in live["final"].pop(trial.trial_id, {}).items()}
        end = TrialEnd(status=status, failed=failed, summary=summary)
        for worker in live["workers"].values():
            worker.submit(
                "trial ends", self._on_trial_run, worker.tracker, trial.trial_id, "close", end
            )

    def _live_runs(self, name: str) -> dict[str, Any]:
        live = self._live
        if live is None:
            raise MissingRun(name)
        return live["runs"][name]

    def _remember(self, name: str, trial_id: str | None, run_id: str) -> None:
        """Keep a run's id, in memory and in the sweep's folder (for ``--resume``)."""
        live = self._live
        if live is None:
            return
        with live["lock"]:
            runs = live["runs"][name]
            if trial_id is None:
                runs["sweep"] = run_id
            else:
                runs["trials"][trial_id] = run_id
            _write_runs(live["location"], live["runs"])


def _read_runs(location: Location) -> dict[str, Any]:
    try:
        return json.loads(location.child(TRACKER_RUNS_FILE).read_bytes())
    except (FileNotFoundError, OSError, ValueError):
        return {}


def _write_runs(location: Location, runs: dict[str, Any]) -> None:
    data = json.dumps(runs, indent=1, sort_keys=True).encode()
    if location.is_remote:
        location.child(TRACKER_RUNS_FILE).write_bytes(data)
        return
    # Imported here: the exporter's atomic write, which a crash mid-write cannot leave half done.
    from sweeps.results.storage import write_atomically

    folder = location.local()
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / TRACKER_RUNS_FILE, data)
