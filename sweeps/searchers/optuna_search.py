"""Tune's OptunaSearch, telling Optuna a trial whose metric is not a number as a failed trial.

A diverged trial reports NaN as its metric (so that it never looks good), and so does a trial that
never logged the sweep's metric. Optuna's study refuses NaN as a value: Tune's OptunaSearch would
log a warning and leave the trial running in the study, so the sampler never learned that the
configuration failed. Imported only when a sweep runs (it imports Ray).
"""

from __future__ import annotations

import math
from typing import Any

from ray.tune.search.optuna import OptunaSearch


class FailedWhenNotANumber(OptunaSearch):
    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        value = (result or {}).get(self.metric)
        if isinstance(value, float) and math.isnan(value):
            result, error = None, True
        super().on_trial_complete(trial_id, result, error)
