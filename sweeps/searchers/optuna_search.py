"""Tune's OptunaSearch, telling Optuna what it needs of each finished trial: a trial whose
objectives are not all numbers as failed, and every trial's constraint values.

A diverged trial reports NaN as its metric (so that it never looks good), and so does a trial that
never logged the sweep's metric. Optuna's study refuses NaN as a value: Tune's OptunaSearch would
log a warning and leave the trial running in the study, so the sampler never learned that the
configuration failed.

With constraints, each finished trial's constraint values (Optuna's convention: at most 0 where
a constraint holds) are set on its Optuna trial (``Trial.set_constraint``, one per constraint)
before Optuna is told, and the samplers that take constraints (TPE, GP, NSGA-II) read them. A
trial that never trained (a constraint known before training broke) is told as pruned, with its
constraint values: those samplers count it infeasible, and no objective value is made up for it.
Imported only when a sweep runs (it imports Ray).
"""

from __future__ import annotations

import math
from typing import Any

from optuna.trial import TrialState
from ray.tune.search.optuna import OptunaSearch

from sweeps.results.trial_status import ENDED, INFEASIBLE
from sweeps.runtime.ray_control import mark_told_optuna, optuna_study, optuna_trial, told_optuna
from sweeps.sweep_file.objectives import Constraint


class SweepOptunaSearch(OptunaSearch):
    def __init__(self, *args: Any, constraints: tuple[Constraint, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.constraints = constraints

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        result = dict(result or {})
        metrics = self.metric if isinstance(self.metric, list) else [self.metric]
        never_trained = result.get(ENDED) == INFEASIBLE
        trial = optuna_trial(self, trial_id)
        if trial is not None and told_optuna(self, trial_id):
            return
        if self.constraints and trial is not None and result and not error:
            for constraint in self.constraints:
                value = result.get(constraint.metric)
                # A trial that never trained has only the values known before training.
                unknown = never_trained and value is None
                trial.set_constraint(
                    constraint.text, 0.0 if unknown else constraint.violation(value)
                )
        if never_trained and trial is not None:
            # Pruned: Tune would tell a list of missing values as a completed trial's.
            optuna_study(self).tell(trial, state=TrialState.PRUNED)
            mark_told_optuna(self, trial_id)
            return
        if result and any(_unusable(result.get(metric), len(metrics)) for metric in metrics):
            result, error = {}, True
        super().on_trial_complete(trial_id, result or None, error)


def _unusable(value: Any, objectives: int) -> bool:
    """NaN (a diverged trial's), or with several objectives one missing: Optuna refuses both."""
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is None and objectives > 1
