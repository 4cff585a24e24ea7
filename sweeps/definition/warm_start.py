"""Warm start: configurations tried first, and what an earlier sweep already found out.

    warm_start:
      points:                        # tried first, in this order; keys left out are sampled
        - {lr: 0.01, optimizer: sgd, momentum: 0.9}
        - {lr: 0.001, optimizer: adam, depth: 2, widths: [128, 64]}
      trials: results/digits_tpe     # an earlier sweep's folder, or its trials.parquet
      rerun_best: 2                  # its best trials are tried first too, after the points

The model-based searchers (tpe, gp) learn from every finished trial of ``trials`` as if this
sweep had run it (its final metric, as they learn from their own trials), so their model starts
informed; random search and bohb cannot learn from results and only rerun. Points and reruns are
the first of ``trials.num_samples``. Everything is checked against this sweep's space at load time:
a point naming an unsearched key, a value outside the space or a conditional key without its
parent is an error; earlier trials whose values fall outside the space are left out and counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from sweeps.errors import SweepError, first_line, show
from sweeps.results import schema
from sweeps.results.layout import TRIALS_FILE
from sweeps.results.trial_status import DIVERGED, ERRORED, INFEASIBLE
from sweeps.sweep_file.conditions import ELEMENT_KEY, Conditions, element_key
from sweeps.sweep_file.space import Choice, FloatRange, Grid, IntRange, Param, same_value
from typed_config.base import ArgsModel


class Options(ArgsModel):
    points: list[dict[str, Any]] = Field(
        default_factory=list, max_length=1000, description="configurations tried first, in order"
    )
    trials: str | None = Field(
        None, min_length=1, description="an earlier sweep's folder or trials.parquet"
    )
    rerun_best: int = Field(0, ge=0, le=1000, description="best earlier trials tried first")


@dataclass(frozen=True)
class WarmStart:
    """``points``: flat trial configs to run first. ``learned``: (config, final metric) of earlier
    trials for a model-based searcher. ``read``/``outside``: earlier trials read and left out."""

    points: tuple[dict[str, Any], ...] = ()
    learned: tuple[tuple[dict[str, Any], tuple[float, ...]], ...] = ()
    source: str | None = None
    read: int = 0
    outside: int = 0

    def __bool__(self) -> bool:
        return bool(self.points or self.learned)

    def summary(self) -> str:
        parts = [f"{len(self.points)} configuration(s) tried first"] if self.points else []
        if self.source and self.learned:
            parts.append(
                f"{len(self.learned)} of {self.read} earlier trials in {self.source} learned from"
                + (f" ({self.outside} outside this space left out)" if self.outside else "")
            )
        return "; ".join(parts)


NO_WARM_START = WarmStart()


def load_warm_start(
    options: Options,
    space: dict[str, Param],
    conditions: Conditions,
    metrics: tuple[str, ...],
    mode: str,
    searcher: Any,
    searcher_name: str,
    trial_count: int,
) -> WarmStart:
    """The validated warm start of a sweep (``searcher`` is the searcher's module; ``metrics``
    its objectives', ``mode`` the first one's)."""
    if not options.points and options.trials is None:
        if options.rerun_best:
            raise SweepError(
                "rerun_best needs trials: an earlier sweep's folder", path="warm_start.rerun_best"
            )
        return NO_WARM_START
    if not searcher.TRAITS.warm_start:
        raise SweepError(
            f"the {searcher_name} searcher runs every combination; warm start applies to random, tpe, "
            "gp and bohb",
            path="warm_start",
        )
    points = [
        _flat_point(point, f"warm_start.points[{index}]", space, conditions)
        for index, point in enumerate(options.points)
    ]
    learned: list[tuple[dict[str, Any], tuple[float, ...]]] = []
    read = outside = 0
    if options.trials is not None:
        learns = searcher.TRAITS.learns_from_results
        if not learns and not options.rerun_best:
            raise SweepError(
                f"the {searcher_name} searcher does not learn from results; set warm_start.rerun_best "
                "to try the earlier sweep's best trials first",
                path="warm_start.trials",
            )
        earlier, read, outside = _earlier_trials(options.trials, space, conditions, metrics)
        ranked = sorted(earlier, key=lambda row: row[2], reverse=mode == "max")
        for config, _, _ in ranked:
            if len(points) - len(options.points) >= options.rerun_best:
                break
            if not any(_same_config(config, point) for point in points):
                points.append(config)
        if learns:
            learned = [(config, final) for config, final, _ in earlier]
    if len(points) > trial_count:
        raise SweepError(
            f"warm start tries {len(points)} configurations first but the sweep runs {trial_count} "
            "trials; raise trials.num_samples or try fewer",
            path="warm_start",
        )
    return WarmStart(tuple(points), tuple(learned), options.trials, read, outside)


def _same_config(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[key], b[key]) for key in a)


def _flat_point(
    point: Any, path: str, space: dict[str, Param], conditions: Conditions
) -> dict[str, Any]:
    """A point as a trial config: per-layer lists as positions (their length key set to match)."""
    if not isinstance(point, dict) or not point:
        raise SweepError(
            f"got {show(point)}; a point is a mapping of searched keys to values", path=path
        )
    flat: dict[str, Any] = {}
    searched = [key for key in space if not ELEMENT_KEY.match(key)] + list(conditions.lists)
    for key, value in point.items():
        where = f"{path}.{key}"
        if key in conditions.lists:
            layer_list = conditions.lists[key]
            most = len(layer_list.elements)
            if not isinstance(value, list) or not 1 <= len(value) <= most:
                raise SweepError(
                    f"got {show(value)}; {key} is a per-layer list of 1 to {most} values",
                    path=where,
                )
            for index, item in enumerate(value):
                flat[element_key(key, index)] = _checked(
                    layer_list.element, item, f"{where}[{index}]"
                )
            length = layer_list.length
            if isinstance(length, int):
                if len(value) != length:
                    raise SweepError(
                        f"lists {len(value)} values; {key} has {length} layers", path=where
                    )
            elif length in point and point[length] != len(value):
                raise SweepError(
                    f"lists {len(value)} values but {length} is {show(point[length])}", path=where
                )
            else:
                flat[length] = _checked(space[length], len(value), f"{path}.{length}")
        elif key in searched:
            flat[key] = _checked(space[key], value, where)
        else:
            raise SweepError(
                f"{show(key)} is not a searched key; a point gives values to keys under space: "
                f"({', '.join(searched) or 'none'})",
                path=where,
            )
    for key in flat:
        for condition in conditions.when.get(key, ()):
            if condition.parent not in flat:
                raise SweepError(
                    f"{key} applies only for some values of {condition.parent}; give "
                    f"{condition.parent} in this point too",
                    path=f"{path}.{_written(key)}",
                )
            if not condition.holds(flat):
                raise SweepError(
                    f"{_written(key)} does not apply when {condition.parent} is "
                    f"{show(flat[condition.parent])}",
                    path=f"{path}.{_written(key)}",
                )
    return flat


def _written(key: str) -> str:
    match = ELEMENT_KEY.match(key)
    return match["name"] if match else key


def _checked(param: Param, value: Any, path: str) -> Any:
    if not param.contains(value):
        raise SweepError(
            f"{show(value)} is outside the searched {param.kind} {_domain(param)}", path=path
        )
    return float(value) if isinstance(param, FloatRange) else value


def _domain(param: Param) -> str:
    if isinstance(param, (Choice, Grid)):
        return str(param.representatives())
    return f"[{param.low}, {param.high}]"


def _earlier_trials(
    where: str, space: dict[str, Param], conditions: Conditions, metrics: tuple[str, ...]
) -> tuple[list[tuple[dict[str, Any], tuple[float, ...], float]], int, int]:
    """(config, each objective's final value, the first objective's best) of every finished
    earlier trial inside this space; how many trials were read; how many fell outside the space."""
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow.parquet as pq

    path = Path(where).expanduser()
    if path.is_dir():
        path = path / TRIALS_FILE
    if not path.is_file():
        raise SweepError(
            f"{path} does not exist; give an earlier sweep's folder or its {TRIALS_FILE} "
            "(written when the sweep ends)",
            path="warm_start.trials",
        )
    try:
        table = pq.read_table(path)
    except Exception as error:  # a damaged file: pyarrow raises several kinds
        raise SweepError(
            f"cannot read {path}: {first_line(error)}", path="warm_start.trials"
        ) from None
    finals = [schema.FINAL.named(metric=metric) for metric in metrics]
    best_column = schema.BEST.named(metric=metrics[0])
    needed = [*finals, best_column, schema.STATUS.name]
    missing = [name for name in needed if name not in table.column_names]
    if missing:
        raise SweepError(
            f"{path} has no column {missing[0]}: the earlier sweep measured other metrics than "
            f"{', '.join(metrics)} (its columns: {', '.join(table.column_names)})",
            path="warm_start.trials",
        )
    shared = [key for key in space if schema.CONFIG.named(key=key) in table.column_names]
    if not shared:
        raise SweepError(f"{path} shares no searched key with this sweep", path="warm_start.trials")
    earlier = []
    rows = table.to_pylist()
    outside = 0
    for row in rows:
        values = tuple(row[column] for column in finals)
        best = row[best_column]
        if (
            not all(_finite(value) for value in values)
            or not _finite(best)
            or row[schema.STATUS.name] in (ERRORED, DIVERGED, INFEASIBLE)
        ):
            continue
        config: dict[str, Any] = {}
        for key in shared:
            value = row[schema.CONFIG.named(key=key)]
            if value is None:
                continue
            matched = _from_column(space[key], value)
            if matched is None:
                break
            config[key] = matched
        else:
            earlier.append(
                (conditions.mask(config), tuple(float(value) for value in values), float(best))
            )
            continue
        outside += 1
    return earlier, len(rows), outside


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _from_column(param: Param, value: Any) -> Any:
    """A trials.parquet value as this space's value, or None when the space does not hold it."""
    if isinstance(param, IntRange):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if param.contains(value) else None
    if isinstance(param, FloatRange):
        return float(value) if param.contains(value) else None
    for option in param.representatives():
        # Mixed or list-valued choices are stored as text (see sweeps.driver.output_tables).
        if (
            same_value(option, value)
            or (isinstance(value, str) and str(option) == value)
            or (
                isinstance(value, float)
                and not isinstance(option, bool)
                and isinstance(option, int)
                and option == value
            )
        ):
            return option
    return None
