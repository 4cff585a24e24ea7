"""What a sweep optimises and what it must respect: its objectives and constraints.

    metric: [val_accuracy, model/params]     # one name, or several (the first one leads)
    mode: [max, min]                         # one per metric
    constraints: ["model/params <= 200000", "time/epoch_s < 2.0"]

With several objectives the sweep looks for the Pareto front: the trials no other feasible trial
beats on every objective. The first objective leads where one number must decide: the early-
stopping schedulers (ASHA, HyperBand, median) and a trial's early stopping judge it, its best
epoch is the epoch a trial stands for (every objective's value at that epoch is the trial's point
on the front) and its kept checkpoints are the best by it; ``best.json`` is the best feasible
trial by it.

A constraint is ``NAME OP NUMBER`` with OP one of ``<=``, ``<``, ``>=``, ``>``. A constraint on
what is known before training (``model/params``, counted on the model built on torch's meta
device) keeps a configuration that breaks it from ever training: the trial ends at once as
``infeasible``, with the value that broke it. The others are judged on the epoch a trial stands
for; a trial that breaks one is infeasible, never the best nor on the front. Optuna's searchers
are told each trial's constraint values (``Trial.set_constraint``).

Every trial logs the built-in metrics below, shipped families and users' own modules alike, so
they can be objectives and constraints anywhere.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sweeps.errors import SweepError, did_you_mean, show

PARAMS = "model/params"
EPOCH_TIME = "time/epoch_s"
PEAK_MEMORY = "memory/peak_mib"
PREDICT_LATENCY = "latency/predict_ms"
BUILTIN_METRICS: dict[str, str] = {
    PARAMS: "trainable parameters of the model",
    EPOCH_TIME: "wall time of the last epoch (training and validation), seconds",
    PEAK_MEMORY: "peak GPU memory of the trial where it has a GPU, else its process's peak "
    "resident memory, MiB",
    PREDICT_LATENCY: "median forward time of one validation sample on the trial's device, "
    "after its first epoch, milliseconds",
}
# Known before any training: a configuration that breaks a constraint on these never trains.
BEFORE_TRAINING = frozenset({PARAMS})

MODES = ("min", "max")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_CONSTRAINT = re.compile(r"^\s*(\S+)\s*(<=|>=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Objective:
    metric: str
    mode: str  # min | max

    def better(self, a: float, b: float) -> bool:
        return a > b if self.mode == "max" else a < b


@dataclass(frozen=True)
class Constraint:
    metric: str
    op: str
    bound: float

    @property
    def text(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"

    @property
    def before_training(self) -> bool:
        return self.metric in BEFORE_TRAINING

    def holds(self, value: Any) -> bool:
        """A value that is not a finite number breaks every constraint."""
        return _finite(value) and _OPERATORS[self.op](float(value), self.bound)

    def violation(self, value: Any) -> float:
        """How far ``value`` is from holding (Optuna's convention: at most 0 when it holds)."""
        if not _finite(value):
            return math.inf
        value = float(value)
        gap = value - self.bound if self.op in ("<=", "<") else self.bound - value
        if self.holds(value):
            return min(gap, 0.0)
        return gap if gap > 0 else 1e-12  # the bound itself, under a strict comparison

    def broken_by(self, value: Any) -> str:
        """One line: the value that broke this constraint."""
        shown = f"{float(value):g}" if _finite(value) else "not a number"
        return f"{self.metric} = {shown} breaks {self.text}"


def _finite(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def load_objectives(metric: Any, mode: Any) -> tuple[Objective, ...]:
    """``metric:`` and ``mode:`` of a sweep file: one name and one mode, or lists of equal length."""
    metrics = metric if isinstance(metric, list) else [metric]
    if not metrics:
        raise SweepError("got []; name at least one metric", path="metric")
    for index, name in enumerate(metrics):
        if not isinstance(name, str) or not name.strip():
            where = f"metric[{index}]" if isinstance(metric, list) else "metric"
            raise SweepError(f"got {show(name)}; a metric is a name the model logs", path=where)
    repeated = next((name for name in metrics if metrics.count(name) > 1), None)
    if repeated is not None:
        raise SweepError(f"{repeated} is listed twice; each objective once", path="metric")
    modes = mode if isinstance(mode, list) else [mode]
    for index, one in enumerate(modes):
        if one not in MODES:
            where = f"mode[{index}]" if isinstance(mode, list) else "mode"
            raise SweepError(f"got {show(one)}; must be one of: min, max", path=where)
    if len(modes) != len(metrics):
        raise SweepError(
            f"{len(metrics)} metric(s) and {len(modes)} mode(s); give one mode per metric, "
            f"e.g. mode: [{', '.join(['max'] * len(metrics))}]",
            path="mode",
        )
    return tuple(Objective(name, one) for name, one in zip(metrics, modes, strict=True))


def load_constraints(raw: Any) -> tuple[Constraint, ...]:
    """``constraints:`` of a sweep file: a list of ``NAME OP NUMBER``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SweepError(
            f'got {show(raw)}; constraints is a list such as ["model/params <= 200000"]',
            path="constraints",
        )
    found = []
    for index, text in enumerate(raw):
        where = f"constraints[{index}]"
        match = _CONSTRAINT.match(text) if isinstance(text, str) else None
        if match is None:
            raise SweepError(
                f"got {show(text)}; write NAME OP NUMBER with OP one of <=, <, >=, >, "
                'e.g. "model/params <= 200000"',
                path=where,
            )
        name, op, number = match.groups()
        try:
            bound = float(number)
        except ValueError:
            bound = math.nan
        if not math.isfinite(bound):
            raise SweepError(f"{show(number)} is not a finite number", path=where)
        found.append(Constraint(name, op, bound))
    return tuple(found)


def check_known(
    objectives: tuple[Objective, ...],
    constraints: tuple[Constraint, ...],
    logged: list[str] | None,
    model: str,
) -> None:
    """Every objective and constraint names a metric the trials log: one of ``logged`` (what the
    model logs) or a built-in. ``logged`` None: a user's module, whose first results tell what it
    logs (sweeps.trial.session); only a name close to a built-in one is refused now."""
    known = [*(logged or []), *BUILTIN_METRICS]
    named = [
        (objective.metric, f"metric[{index}]" if len(objectives) > 1 else "metric")
        for index, objective in enumerate(objectives)
    ]
    named += [
        (constraint.metric, f"constraints[{index}]") for index, constraint in enumerate(constraints)
    ]
    for name, where in named:
        if name in known:
            continue
        if logged is not None:
            raise SweepError(
                f"got {show(name)}, which {model} never logs on this data"
                f"{did_you_mean(name, known)} (it logs: {', '.join(logged)}; built-in: "
                f"{', '.join(BUILTIN_METRICS)})",
                path=where,
            )
        close = difflib.get_close_matches(name, list(BUILTIN_METRICS), n=1, cutoff=0.8)
        if close:
            raise SweepError(
                f"got {show(name)}, which no trial logs; did you mean the built-in {close[0]!r}? "
                f"(built-in: {', '.join(BUILTIN_METRICS)})",
                path=where,
            )


def feasibility(
    constraints: tuple[Constraint, ...], values: Mapping[str, Any]
) -> tuple[bool, str | None]:
    """Whether ``values`` keep every constraint, and the first one they break (one line)."""
    for constraint in constraints:
        if not constraint.holds(values.get(constraint.metric)):
            return False, constraint.broken_by(values.get(constraint.metric))
    return True, None


def pareto_ranks(
    points: Sequence[tuple[float, ...] | None], modes: tuple[str, ...]
) -> list[int | None]:
    """Non-dominated sorting: 0 for the points no other point dominates, 1 for those only points
    of rank 0 dominate, and so on; None for a missing point (an infeasible trial's, or one
    without every objective). Equal points share a rank."""
    signs = [1.0 if mode == "min" else -1.0 for mode in modes]
    keyed = [
        (tuple(sign * value for sign, value in zip(signs, point, strict=True)), index)
        for index, point in enumerate(points)
        if point is not None
    ]
    ranks: list[int | None] = [None] * len(points)
    if len(modes) <= 2:
        # Sorted by the first objective, a point joins the first front whose latest point does
        # not dominate it: O(n log n), for the 10,000-trial sweeps a report must still read.
        keyed.sort()
        latest: list[tuple[float, ...]] = []  # each front's latest point
        for point, index in keyed:
            low, high = 0, len(latest)
            while low < high:
                middle = (low + high) // 2
                if _dominates(latest[middle], point):
                    low = middle + 1
                else:
                    high = middle
            if low == len(latest):
                latest.append(point)
            else:
                latest[low] = point
            ranks[index] = low
        return ranks
    remaining = dict((index, point) for point, index in keyed)
    rank = 0
    while remaining:
        front = [
            index
            for index, point in remaining.items()
            if not any(_dominates(other, point) for other in remaining.values())
        ]
        for index in front:
            ranks[index] = rank
            del remaining[index]
        rank += 1
    return ranks


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """``a`` is no worse than ``b`` on every objective (all minimised) and better on one."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )
