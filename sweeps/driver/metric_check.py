"""Stopping a sweep whose metric its model never logs (driver side; imports Ray).

A user's module logs what it logs, so a misspelt ``metric:`` (``val/acc`` for ``val/accuracy``)
can only show once a trial has validated. The trial then ends itself with ``metric_missing`` and
one line naming what it did log (sweeps.trial.session); every other trial would end the same way,
so this stops the whole sweep at once, and the launcher reports that line as the sweep file's
mistake.
"""

from __future__ import annotations

from typing import Any

from ray.tune import Stopper

from sweeps.results.trial_status import ENDED, ENDED_REASON, METRIC_MISSING


class MetricCheck(Stopper):
    def __init__(self) -> None:
        self.reason: str | None = None

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        if result.get(ENDED) == METRIC_MISSING and self.reason is None:
            self.reason = str(result.get(ENDED_REASON))
        return False

    def stop_all(self) -> bool:
        return self.reason is not None
