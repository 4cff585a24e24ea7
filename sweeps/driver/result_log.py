"""Tune's per-trial result log (``result.json``), safe when a trial restarts.

The driver writes each trial's log in a local staging folder and copies it to the storage path
from time to time. When a trial restarts from a checkpoint (a PBT exploit, a HyperBand resume, a
retry after a failure), Tune's JSON logger first copies the storage copy back over the local
one, although the local one is newer: results reported since the last copy were lost, and a
storage copy caught mid-write emptied the log (trials showed up in ``metrics.parquet`` with
fewer epochs than they trained, or none). The storage copy is only needed where the local log
is missing (a resumed sweep, whose driver starts with an empty staging folder), so only then is
it copied.

With remote storage (a URI) Tune uploads these logs only every so often, separately from its
state; a driver killed in between left a state naming checkpoints of epochs that the uploaded
log did not hold yet, and the resumed sweep's tables lacked those epochs. So there, each trial's
log is also uploaded whenever the trial saves a checkpoint (after the checkpoint's own result is
in it, before Tune's state names the checkpoint).

A result carrying several epochs (sweeps.results.epoch_results) is written as one line per epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sweeps.results.epoch_results import epoch_results
from sweeps.results.layout import RESULT_LOG
from sweeps.runtime.ray_control import json_logger_keeping_the_local_log, trial_storage

if TYPE_CHECKING:
    # What the class made at run time is to a type checker: Tune's JSON result logger.
    from ray.tune.logger import JsonLoggerCallback as JsonLogger
else:
    JsonLogger = json_logger_keeping_the_local_log()


class ResultLog(JsonLogger):
    def __init__(self, upload_on_checkpoint: bool = False):
        super().__init__()
        self.upload_on_checkpoint = upload_on_checkpoint

    def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
        for epoch_result in epoch_results(result):
            super().log_trial_result(iteration, trial, epoch_result)

    def on_checkpoint(
        self, iteration: int, trials: list, trial: Any, checkpoint: Any, **info: Any
    ) -> None:
        if not self.upload_on_checkpoint:
            return
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        local = Path(trial.local_path, RESULT_LOG)
        if local.is_file():
            folder, filesystem = trial_storage(trial)
            pyarrow.fs.copy_files(
                str(local),
                Path(folder, RESULT_LOG).as_posix(),
                source_filesystem=pyarrow.fs.LocalFileSystem(),
                destination_filesystem=filesystem,
            )
