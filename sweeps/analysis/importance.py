"""Meta-parameter importance over a sweep's trials: a random forest (scikit-learn) fitted from the
searched values to each trial's best metric, and each key's share of the forest's impurity
decrease (choices one-hot, their columns summed back to the key; a conditional key's absence is a
column of its own). Stopped trials count with the best they reached."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sweeps.analysis.results import SweepResults
from sweeps.results import schema

METHOD = "random-forest impurity importance (scikit-learn, 300 trees)"
TREE_SAMPLES = 2000
MIN_TRIALS = 5


@dataclass(frozen=True)
class Importance:
    method: str
    trials: int
    scores: dict[str, float]  # key -> share, summing to 1; empty when there were too few trials
    note: str = ""


def importance(results: SweepResults) -> Importance:
    ranked = results.ranked()
    keys = [
        key
        for key in results.searched
        if len({_hashable(row.get(schema.CONFIG.named(key=key))) for row in ranked}) > 1
    ]
    if len(ranked) < MIN_TRIALS or not keys:
        why = f"needs at least {MIN_TRIALS} trials with a finite {results.metric} and a key that varies"
        return Importance(METHOD, len(ranked), {}, why)
    # Imported here: scikit-learn and numpy load only where data is made, not with this module.
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    columns: list[tuple[str, list[float]]] = []
    for key in keys:
        values = [row.get(schema.CONFIG.named(key=key)) for row in ranked]
        present = [value for value in values if value is not None]
        if all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in present
        ):
            wide = key in results.log_keys and all(value > 0 for value in present)
            fill = min(present) - 1 if present else 0.0
            column = [
                math.log10(v) if wide and v is not None else (v if v is not None else fill)
                for v in values
            ]
            columns.append((key, [float(v) for v in column]))
        else:
            for choice in sorted({str(value) for value in present}):
                columns.append((key, [1.0 if str(value) == choice else 0.0 for value in values]))
        if len(present) < len(values):
            columns.append((key, [1.0 if value is None else 0.0 for value in values]))
    features = np.array([column for _, column in columns]).T
    target = np.array(
        [row[schema.BEST.named(metric=results.metric)] for row in ranked], dtype=float
    )
    # Beyond TREE_SAMPLES trials each tree is grown on that many, drawn at random: the forest of
    # a 10,000-trial sweep costs what one of 2,000 does, and ranks the keys the same.
    forest = RandomForestRegressor(
        n_estimators=300,
        random_state=0,
        min_samples_leaf=2,
        max_samples=min(len(ranked), TREE_SAMPLES),
    ).fit(features, target)
    scores: dict[str, float] = {}
    for (key, _), share in zip(columns, forest.feature_importances_, strict=True):
        scores[key] = scores.get(key, 0.0) + float(share)
    total = sum(scores.values()) or 1.0
    ordered = dict(
        sorted(((key, value / total) for key, value in scores.items()), key=lambda item: -item[1])
    )
    return Importance(METHOD, len(ranked), ordered)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
