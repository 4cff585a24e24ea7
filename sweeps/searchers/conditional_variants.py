"""Tune's variant generator for spaces with conditional keys (imported only when a sweep is
built, since it imports Ray).

Every key is sampled as usual, so the sequence of proposals stays the seed's; the keys that do
not apply to a new trial are then dropped from its config before it starts.
"""

from __future__ import annotations

from typing import Any

from ray.tune.search.basic_variant import BasicVariantGenerator

from sweeps.sweep_file.conditions import Conditions


class ConditionalVariantGenerator(BasicVariantGenerator):
    def __init__(self, conditions: Conditions, **kwargs: Any):
        super().__init__(**kwargs)
        self._conditions = conditions

    def next_trial(self) -> Any:
        trial = super().next_trial()
        if trial is None or not self._conditions:
            return trial
        kept = self._conditions.mask(trial.config)
        # In place: the trial keeps this same dict as its unresolved config.
        for key in [key for key in trial.config if key not in kept]:
            del trial.config[key]
            trial.evaluated_params.pop(key, None)
        trial.invalidate_json_state()
        return trial
