"""TensorBoard data for a whole sweep, written by the driver: one run per trial.

Each run (``<sweep>/tensorboard/<trial id>``) holds the trial's per-epoch scalars (step = epoch),
its HParams session (the searched hyperparameters, numbers as numbers and choices as their own
type) and, when it ends, ``best/<metric>`` and ``final/<metric>`` of every metric (each objective
best its own way). Only the driver writes, so a
trial never produces two runs (no Lightning logger, no Tune TBX logger), and ``tensorboard
--logdir <storage>/<sweep>`` shows the whole sweep. Uses tensorboard's own writer: no torch or
TensorFlow on the driver.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from ray.tune import Callback
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from sweeps.results.epoch_results import epoch_results, logged_values
from sweeps.results.layout import TENSORBOARD_DIR
from sweeps.results.metric_values import better, direction, is_number
from sweeps.runtime.ray_control import staging_folder
from sweeps.sweep_file.space import plain


def _hparams_summary(
    tag: str, plugin_data: plugin_data_pb2.HParamsPluginData
) -> summary_pb2.Summary:
    content = summary_pb2.SummaryMetadata.PluginData(
        plugin_name=metadata.PLUGIN_NAME, content=plugin_data.SerializeToString()
    )
    value = summary_pb2.Summary.Value(
        tag=tag,
        metadata=summary_pb2.SummaryMetadata(plugin_data=content),
        tensor=metadata.NULL_TENSOR,
    )
    return summary_pb2.Summary(value=[value])


def session_start(hparams: dict[str, Any], group: str) -> summary_pb2.Summary:
    info = plugin_data_pb2.SessionStartInfo(group_name=group, start_time_secs=time.time())
    for key, value in hparams.items():
        value = plain(value)
        if isinstance(value, bool):
            info.hparams[key].bool_value = value
        elif isinstance(value, (int, float)):
            info.hparams[key].number_value = value
        else:
            info.hparams[key].string_value = str(value)
    data = plugin_data_pb2.HParamsPluginData(
        session_start_info=info, version=metadata.PLUGIN_DATA_VERSION
    )
    return _hparams_summary(metadata.SESSION_START_INFO_TAG, data)


def session_end(success: bool) -> summary_pb2.Summary:
    status = api_pb2.STATUS_SUCCESS if success else api_pb2.STATUS_FAILURE
    info = plugin_data_pb2.SessionEndInfo(status=status, end_time_secs=time.time())
    data = plugin_data_pb2.HParamsPluginData(
        session_end_info=info, version=metadata.PLUGIN_DATA_VERSION
    )
    return _hparams_summary(metadata.SESSION_END_INFO_TAG, data)


def scalars(values: dict[str, float]) -> summary_pb2.Summary:
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(tag=tag, simple_value=value) for tag, value in values.items()
        ]
    )


class TrialRun:
    """The event file of one trial, plus what is needed for its end-of-trial summary."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.fresh = not any(folder.glob("events.out.tfevents.*"))
        self.writer = EventFileWriter(str(folder), flush_secs=5)
        self.last_epoch = 0
        self.best: dict[str, float] = {}
        self.final: dict[str, float] = {}

    def write(self, summary: summary_pb2.Summary, step: int) -> None:
        self.writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))

    def restart_at(self, step: int) -> None:
        """Tell TensorBoard to drop this run's points from ``step`` on: a trial restored from an
        earlier checkpoint reports those epochs again."""
        log = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
        self.writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, session_log=log))

    def close(self) -> None:
        self.writer.close()


class TensorBoardCallback(Callback):
    """Tune callback (driver side) writing every trial's TensorBoard run."""

    def __init__(
        self,
        sweep_dir: str | None,
        modes: dict[str, str],
        metrics: tuple[str, ...],
        searched: list[str],
    ):
        # None: the sweep's storage is a URI, and the runs go to Tune's local staging folder for
        # the experiment, which Tune uploads to it.
        self.root = Path(sweep_dir) / TENSORBOARD_DIR if sweep_dir is not None else None
        self.modes = modes  # every objective's metric: its mode
        self.metrics = metrics
        self.searched = searched
        self.runs: dict[str, TrialRun] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles its callbacks with the experiment; open files stay behind.
        return {**self.__dict__, "runs": {}}

    def _run(self, trial: Any) -> TrialRun:
        run = self.runs.get(trial.trial_id)
        if run is None:
            if self.root is None:
                self.root = Path(staging_folder(trial)) / TENSORBOARD_DIR
            run = self.runs[trial.trial_id] = TrialRun(self.root / trial.trial_id)
            if run.fresh:
                hparams = {key: trial.config[key] for key in self.searched if key in trial.config}
                run.write(session_start(hparams, group=trial.trial_id), step=0)
        return run

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._run(trial)

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        run = self._run(trial)
        for epoch_result in epoch_results(result):
            self._write_epoch(run, epoch_result)

    def _write_epoch(self, run: TrialRun, result: dict) -> None:
        epoch = int(result.get("epoch", result.get("training_iteration", 0)))
        if epoch <= run.last_epoch:
            run.restart_at(epoch)
        run.last_epoch = epoch
        if self.metrics:
            values = {
                name: float(result[name]) for name in self.metrics if is_number(result.get(name))
            }
        else:  # a user's own module: whatever it logged
            values = logged_values(result)
        run.write(scalars(values), step=epoch)
        for name, value in values.items():
            if not math.isfinite(value):
                continue
            run.final[name] = value
            run.best[name] = better(run.best.get(name, value), value, direction(name, self.modes))

    def _finish(self, trial: Any, success: bool) -> None:
        run = self._run(trial)
        summary = {f"final/{k}": v for k, v in run.final.items()} | {
            f"best/{k}": v for k, v in run.best.items()
        }
        if summary:
            run.write(scalars(summary), step=run.last_epoch)
        run.write(session_end(success), step=run.last_epoch)
        run.close()
        del self.runs[trial.trial_id]

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._finish(trial, success=True)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._finish(trial, success=False)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        for run in self.runs.values():
            run.close()
        self.runs.clear()
