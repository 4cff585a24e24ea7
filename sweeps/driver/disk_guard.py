"""Stopping a sweep, resumably, before its storage fills up.

A full disk fails whatever writes next: a trial's checkpoint (the trial errors), Tune's state
snapshot (the sweep could no longer resume from where it was), the tables. So the driver watches
the free space of a local storage folder, and once it falls below a reserve it ends the sweep the
way Ctrl-C does: Tune saves its state, and every unfinished trial continues from its last
checkpoint with ``--resume`` once space is freed. The reserve is ``RESERVE_FLOOR_BYTES`` or four
times the largest checkpoint seen, whichever is larger: room for the checkpoints that trials are
writing at that moment and for Tune's last snapshot. (Object stores do not fill up; a sweep
stored at a URI is not watched.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ray.tune import Callback

from sweeps.driver import stop_requests
from sweeps.driver.disk_space import MB, RESERVE_FLOOR_BYTES, free_bytes
from sweeps.stop_reasons import DISK_FULL

CHECK_INTERVAL_S = 0.5


class DiskGuard(Callback):
    def __init__(self, folder: str):
        self.folder = folder
        self.largest_checkpoint = 0
        self.last_check = 0.0
        self.tripped = False

    def reserve(self) -> int:
        return max(RESERVE_FLOOR_BYTES, 4 * self.largest_checkpoint)

    def on_checkpoint(
        self, iteration: int, trials: list, trial: Any, checkpoint: Any, **info: Any
    ) -> None:
        path = getattr(checkpoint, "path", None)
        if path and os.path.isdir(path):
            size = sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file())
            self.largest_checkpoint = max(self.largest_checkpoint, size)

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        now = time.monotonic()
        if self.tripped or now - self.last_check < CHECK_INTERVAL_S:
            return
        self.last_check = now
        free = free_bytes(Path(self.folder))
        if free < self.reserve():
            self.tripped = True
            # The one stop request of the run (sweeps.driver.stop_requests), as Ctrl-C's: Tune
            # saves its state and stops the trials; the runner then ends with DISK_FULL.
            stop_requests.request(
                DISK_FULL,
                f"storage {self.folder} is nearly full ({free / MB:.0f} MB free, below the "
                f"{self.reserve() / MB:.0f} MB a sweep keeps free): the sweep stopped with its state saved; "
                "free some space, then continue it with --resume",
                interrupt_main=False,
            )
