"""Tune's per-trial result log (``result.json``), safe when a trial restarts.

The driver writes each trial's log in a local staging folder and copies it to the storage path
from time to time. When a trial restarts from a checkpoint (a PBT exploit, a HyperBand resume, a
retry after a failure), Tune's JSON logger first copies the storage copy back over the local
one, although the local one is newer: results reported since the last copy were lost, and a
storage copy caught mid-write emptied the log (trials showed up in ``metrics.parquet`` with
fewer epochs than they trained, or none). The storage copy is only needed where the local log
is missing (a resumed sweep, whose driver starts with an empty staging folder), so only then is
it copied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray.tune.logger import JsonLoggerCallback


class ResultLog(JsonLoggerCallback):
    def _restore_from_remote(self, file_name: str, trial: Any) -> None:
        if Path(trial.local_path, file_name).exists():
            return  # the driver's own log is the newest there is
        super()._restore_from_remote(file_name, trial)
