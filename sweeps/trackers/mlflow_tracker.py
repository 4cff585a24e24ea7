"""MLflow: the sweep's run, with one nested run per trial, through MLflow's own client.

The parent run is named after the sweep and holds the sweep file (``sweep.yaml``), how the
sweep searches (params) and, at its end, its best trial, the trials' counts and best.json. A
trial's run is named by its trial id, tagged with ``mlflow.parentRunId`` (MLflow's own nesting),
and holds the searched keys (params), every logged metric per epoch (step = epoch), its status
and, at the sweep's end, its best checkpoint's path (with ``artifacts: true``, its files).
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import Any

from sweeps.sweep_file.loggers import MLflowOptions
from sweeps.trackers.tracker import SweepOutcome, SweepRun, Tracker, TrialEnd

PARENT_TAG = "mlflow.parentRunId"  # how MLflow nests a run under another
TRIAL_TAG = "sweeps.trial_id"
STATUS_TAG = "sweeps.status"
CHECKPOINT_TAG = "sweeps.checkpoint"
SWEEP_TAG = "sweeps.sweep"
# MLflow's limits for one log_batch call, and for a param's value.
BATCH_METRICS, BATCH_PARAMS, BATCH_TAGS = 1000, 100, 100
PARAM_CHARS = 6000
# A tracking server that does not answer must cost seconds, not MLflow's default of minutes of
# retries, even on the tracker's own thread: the sweep's end waits for what is queued.
# Its links to each run, which it prints on the driver's console, are the launcher's to give.
CLIENT_SETTINGS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}
_NOT_IN_A_KEY = re.compile(r"[^A-Za-z0-9_\-. /:]")


class MLflowTracker(Tracker):
    name = "mlflow"

    def __init__(self, options: MLflowOptions, sweep_name: str):
        self.options = options
        self.experiment_name = options.experiment or sweep_name
        self.uri = options.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or "./mlruns"
        self._client: Any = None
        self._experiment_id: str | None = None

    def where(self) -> str:
        return f"MLflow at {self.uri}"

    def client(self) -> Any:
        if self._client is None:
            for name, value in CLIENT_SETTINGS.items():
                os.environ.setdefault(name, value)
            # Imported here: MLflow loads only in a driver whose sweep uses it.
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.uri)
        return self._client

    def experiment_id(self) -> str:
        if self._experiment_id is None:
            client = self.client()
            found = client.get_experiment_by_name(self.experiment_name)
            if found is None:
                self._experiment_id = client.create_experiment(self.experiment_name)
            else:
                if found.lifecycle_stage == "deleted":
                    client.restore_experiment(found.experiment_id)
                self._experiment_id = found.experiment_id
        return self._experiment_id

    def open_sweep(self, sweep: SweepRun, run_id: str | None) -> str:
        client = self.client()
        if run_id is not None:
            client.update_run(run_id, status="RUNNING")
            return run_id
        run = client.create_run(
            self.experiment_id(),
            run_name=sweep.name,
            tags={**self.options.tags, SWEEP_TAG: sweep.folder},
        )
        run_id = run.info.run_id
        self._log(run_id, params=sweep.params)
        client.log_artifact(run_id, str(sweep.sweep_file))
        return run_id

    def open_trial(
        self, parent: str, trial_id: str, params: dict[str, Any], run_id: str | None
    ) -> str:
        client = self.client()
        if run_id is not None:
            # A retry, a restore or --resume: the same run goes on. Its params stay those it
            # started with (MLflow keeps a param's first value; PBT's later ones are metrics).
            client.update_run(run_id, status="RUNNING")
            return run_id
        run = client.create_run(
            self.experiment_id(),
            run_name=trial_id,
            tags={**self.options.tags, PARENT_TAG: parent, TRIAL_TAG: trial_id},
        )
        self._log(run.info.run_id, params=params)
        return run.info.run_id

    def log_epochs(self, run_id: str, epochs: list[tuple[int, dict[str, float]]]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [
            Metric(metric_key(name), value, now, epoch)
            for epoch, values in epochs
            for name, value in values.items()
        ]
        for start in range(0, len(metrics), BATCH_METRICS):
            self.client().log_batch(run_id, metrics=metrics[start : start + BATCH_METRICS])

    def close_trial(self, run_id: str, end: TrialEnd) -> None:
        tags = {STATUS_TAG: end.status}
        if end.error:
            tags["sweeps.error"] = end.error[:PARAM_CHARS]
        self._log(run_id, metrics={metric_key(k): v for k, v in end.summary.items()}, tags=tags)
        self.client().set_terminated(run_id, status="FAILED" if end.failed else "FINISHED")

    def record_outcome(self, parent: str, outcome: SweepOutcome) -> None:
        client = self.client()
        best = outcome.best
        for row in outcome.rows:
            run_id = outcome.trial_runs.get(row["trial_id"])
            if run_id is None:
                continue
            tags = {STATUS_TAG: row["status"]}
            if row.get("checkpoint"):
                tags[CHECKPOINT_TAG] = str(row["checkpoint"])
            self._log(run_id, tags=tags)
            checkpoint = Path(str(row.get("checkpoint") or ""))
            if self.options.artifacts and row.get("checkpoint") and checkpoint.is_dir():
                client.log_artifacts(run_id, str(checkpoint), artifact_path="checkpoint")
        counts = {f"trials/{status}": float(n) for status, n in outcome.status_counts().items()}
        tags = {"sweeps.best_trial": str(best.get("trial_id"))}
        if best.get("value") is not None:
            counts[f"best/{metric_key(str(best['metric']))}"] = float(best["value"])
        if best.get("checkpoint"):
            tags[CHECKPOINT_TAG] = str(best["checkpoint"])
        self._log(parent, metrics=counts, tags=tags)
        for file in outcome.files:
            if file.is_file():
                client.log_artifact(parent, str(file))

    def close_sweep(self, parent: str, interrupted: bool) -> None:
        self.client().set_terminated(parent, status="KILLED" if interrupted else "FINISHED")

    def interrupt_trial(self, run_id: str) -> None:
        self.client().set_terminated(run_id, status="KILLED")

    def _log(
        self,
        run_id: str,
        params: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        client = self.client()
        now = int(time.time() * 1000)
        param_list = [Param(key, str(value)[:PARAM_CHARS]) for key, value in (params or {}).items()]
        metric_list = [
            Metric(key, float(value), now, 0)
            for key, value in (metrics or {}).items()
            if not math.isnan(float(value))
        ]
        tag_list = [RunTag(key, value) for key, value in (tags or {}).items()]
        for start in range(0, max(len(param_list), 1), BATCH_PARAMS):
            chunk = param_list[start : start + BATCH_PARAMS]
            if chunk:
                client.log_batch(run_id, params=chunk)
        for start in range(0, len(metric_list), BATCH_METRICS):
            client.log_batch(run_id, metrics=metric_list[start : start + BATCH_METRICS])
        for start in range(0, len(tag_list), BATCH_TAGS):
            client.log_batch(run_id, tags=tag_list[start : start + BATCH_TAGS])


def metric_key(name: str) -> str:
    """A metric's name as MLflow takes it (letters, digits and ``_-. /:``; others become _)."""
    return _NOT_IN_A_KEY.sub("_", name)
