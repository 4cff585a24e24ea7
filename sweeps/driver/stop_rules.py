"""Sweep-level stop rules beyond the time budget (``stop.target``, ``stop.plateau_trials``,
``stop.epoch_budget``); imported only when a sweep is built, since it imports Ray.

    stop:
      target: 0.98               # end the sweep once any trial's metric reaches this
      plateau_trials: 12         # ... or once this many trials ended without the best improving
      plateau_min_delta: 0.001   # what counts as improving (default: any change for the better)
      epoch_budget: 300          # ... or once the trials have trained this many epochs in all

When a rule fires, Tune stops every running trial (each keeps its checkpoints and results) and
starts no new one; the tables and best.json are written as for any other end.
"""

from __future__ import annotations

import math
from typing import Any

from ray.tune import Callback, Stopper

from sweeps.results.epoch_results import epoch_results


class SweepStopRules(Stopper, Callback):
    """Both a stopper (it sees every result) and a callback (it sees every trial end)."""

    def __init__(
        self,
        metric: str,
        mode: str,
        target: float | None,
        plateau_trials: int | None,
        plateau_min_delta: float,
        epoch_budget: int | None = None,
    ):
        self.metric = metric
        self.epoch_budget = epoch_budget
        self.epochs: int | None = None  # trained so far; counted from the trials at the first step
        self.last_results: dict[str, dict[str, Any]] = {}
        self.sign = 1.0 if mode == "max" else -1.0
        self.target = target
        self.plateau_trials = plateau_trials
        self.plateau_min_delta = plateau_min_delta
        self.best: float | None = None
        self.ended_without_improving = 0
        self.reason: str | None = None

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        if self.epochs is None:  # a resumed sweep starts from what its trials already trained
            self.epochs = sum(int((trial.last_result or {}).get("epoch", 0)) for trial in trials)

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        # When a trial's function returns, Tune passes its last result once more (the same dict).
        if self.last_results.get(trial_id) is result:
            return False
        self.last_results[trial_id] = result
        for epoch_result in epoch_results(result):
            self._judge(trial_id, epoch_result)
        return False

    def _judge(self, trial_id: str, result: dict[str, Any]) -> None:
        """One epoch of one trial."""
        self.epochs = (self.epochs or 0) + 1
        if (
            self.epoch_budget is not None
            and self.epochs >= self.epoch_budget
            and self.reason is None
        ):
            self._fire(f"the trials have trained {self.epochs} epochs, the epoch budget")
        value = result.get(self.metric)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return
        if self.best is None or self.sign * (value - self.best) > self.plateau_min_delta:
            self.best = value
            self.ended_without_improving = 0
        if (
            self.target is not None
            and self.sign * (value - self.target) >= 0
            and self.reason is None
        ):
            self._fire(
                f"trial {trial_id} reached the target {self.metric} {self.target:g} ({value:.4g}) "
                f"at epoch {result.get('epoch', '?')}"
            )

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._trial_ended()

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._trial_ended()

    def _trial_ended(self) -> None:
        if self.plateau_trials is None or self.best is None:
            return
        self.ended_without_improving += 1
        if self.ended_without_improving >= self.plateau_trials and self.reason is None:
            self._fire(
                f"the best {self.metric} ({self.best:.4g}) did not improve in the last "
                f"{self.ended_without_improving} trials to end"
            )

    def _fire(self, reason: str) -> None:
        self.reason = reason
        print(f"stopping the sweep: {reason}", flush=True)

    def stop_all(self) -> bool:
        return self.reason is not None
