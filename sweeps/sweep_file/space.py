"""The search space: the kinds of searched key a sweep file may write, and their Tune domains.

A searched key is a one-entry mapping naming its kind:

    lr:         {logfloat: [1.0e-4, 1.0e-1]}   # log-uniform between the bounds
    dropout:    {float: [0.0, 0.5]}            # uniform between the bounds
    depth:      {int: [1, 4]}                  # integer, both bounds included
    width:      {logint: [16, 512]}            # integer, log-uniform, both bounds included
    activation: {choice: [relu, tanh]}         # one of the values, sampled
    batch_size: {grid: [32, 64]}               # every value, each with num_samples trials
    hidden:     {int: [32, 512], step: 32}     # 32, 64, ..., 512 (step: with any range kind)
    dropout:    {float: [0.1, 0.5], step: 0.1} # 0.1, 0.2, ..., 0.5
    filters:    {logint: [16, 256], step: 2}   # 16, 32, 64, 128, 256 (log: step multiplies)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sweeps.errors import SweepError, show

DATA_PREFIX = (
    "data."  # a searched key with this prefix names a data argument, the others model arguments
)

MAX_VALUES = 10_000
KINDS = ("int", "logint", "float", "logfloat", "choice", "grid")


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int
    log: bool = False

    @property
    def kind(self) -> str:
        return "logint" if self.log else "int"

    def representatives(self) -> list[Any]:
        return [self.low, self.high]

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    def to_tune(self) -> Any:
        # Imported here: Ray loads only to run a sweep, never to load a sweep file.
        from ray import tune

        # Tune's integer domains exclude the upper bound; sweep files include it.
        return (
            tune.lograndint(self.low, self.high + 1)
            if self.log
            else tune.randint(self.low, self.high + 1)
        )


@dataclass(frozen=True)
class FloatRange:
    low: float
    high: float
    log: bool = False

    @property
    def kind(self) -> str:
        return "logfloat" if self.log else "float"

    def representatives(self) -> list[Any]:
        return [self.low, self.high]

    def contains(self, value: Any) -> bool:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and math.isfinite(value) and self.low <= value <= self.high

    def to_tune(self) -> Any:
        # Imported here: Ray loads only to run a sweep, never to load a sweep file.
        from ray import tune

        return (
            tune.loguniform(self.low, self.high) if self.log else tune.uniform(self.low, self.high)
        )


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]
    kind: str = "choice"

    def representatives(self) -> list[Any]:
        return [_as_written(v) for v in self.values]

    def contains(self, value: Any) -> bool:
        return any(same_value(option, value) for option in self.representatives())

    def to_tune(self) -> Any:
        # Imported here: Ray loads only to run a sweep, never to load a sweep file.
        from ray import tune

        return tune.choice([_as_written(v) for v in self.values])


@dataclass(frozen=True)
class Grid:
    values: tuple[Any, ...]
    kind: str = "grid"

    def representatives(self) -> list[Any]:
        return [_as_written(v) for v in self.values]

    def contains(self, value: Any) -> bool:
        return any(same_value(option, value) for option in self.representatives())

    def to_tune(self) -> Any:
        # Imported here: Ray loads only to run a sweep, never to load a sweep file.
        from ray import tune

        return tune.grid_search([_as_written(v) for v in self.values])


@dataclass(frozen=True)
class Steps(Choice):
    """A range with ``step:``, as Keras Tuner's ``hp.Int``/``hp.Float`` take it: the values
    ``low + k * step`` (log kinds: ``low * step ** k``) up to ``high``. A choice among those values
    everywhere a choice is (random and grid search, conditions, PBT's neighbours); the Optuna
    searchers propose it as the stepped range it is (sweeps.searchers.optuna_space)."""

    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    log: bool = False
    integer: bool = False

    @property
    def range_kind(self) -> str:
        return ("log" if self.log else "") + ("int" if self.integer else "float")


def stepped_values(
    low: float, high: float, step: float, log: bool, integer: bool
) -> tuple[Any, ...]:
    """The values of a stepped range (rounded to 12 significant digits: 0.1 * 3 is 0.3)."""
    values: list[Any] = []
    index = 0
    while True:
        value = low * step**index if log else low + index * step
        value = int(round(value)) if integer else float(f"{value:.12g}")
        if value > high * (1 + 1e-12):
            return tuple(values)
        values.append(value)
        if len(values) > MAX_VALUES:
            raise ValueError(f"makes more than {MAX_VALUES} values")
        index += 1


Param = IntRange | FloatRange | Choice | Grid


def plain(value: Any) -> Any:
    """NumPy scalars (what Tune's samplers return) as Python values, for strict validation."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps true apart from 1 (and lists of them), as a sweep file's author does."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same_value(x, y) for x, y in zip(a, b, strict=True))
        )
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _as_written(value: Any) -> Any:
    """A value as the sweep file wrote it (list values are stored as tuples to stay hashable)."""
    return list(value) if isinstance(value, tuple) else value


def parse_param(raw: Any, path: str) -> Param:
    """One searched key from its sweep-file form; errors name ``path`` and what is allowed."""
    example = "a one-entry mapping such as {float: [0.0, 0.5]} or {choice: [relu, tanh]}"
    if isinstance(raw, dict) and "step" in raw and len(raw) == 2:
        raw = dict(raw)
        step = raw.pop("step")
        ((kind, body),) = raw.items()
        if kind in ("choice", "grid"):
            raise SweepError(
                f"step applies to int, float, logint and logfloat ranges, not {kind}",
                path=f"{path}.step",
            )
        param = parse_param(raw, path)
        return _stepped(param, step, f"{path}.step")  # type: ignore[arg-type]
    if not isinstance(raw, dict) or len(raw) != 1:
        raise SweepError(f"got {show(raw)}; a searched key must be {example}", path=path)
    ((kind, body),) = raw.items()
    if kind not in KINDS:
        raise SweepError(
            f"unknown kind {show(kind)}; must be one of: {', '.join(KINDS)}", path=path
        )
    path = f"{path}.{kind}"
    if kind in ("choice", "grid"):
        return _parse_values(kind, body, path)
    return _parse_range(kind, body, path)


def _stepped(param: IntRange | FloatRange, step: Any, path: str) -> Steps:
    integer = isinstance(param, IntRange)
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step):
        raise SweepError(f"got {show(step)}; step is a number", path=path)
    if integer and not param.log and not isinstance(step, int):
        raise SweepError(f"got {show(step)}; an int range takes a whole-number step", path=path)
    if param.log and step <= 1:
        raise SweepError(
            f"got {show(step)}; a log range's step multiplies, so it must be above 1", path=path
        )
    if not param.log and step <= 0:
        raise SweepError(f"got {show(step)}; step must be above 0", path=path)
    if not param.log and step > param.high - param.low:
        raise SweepError(
            f"step {step:g} is larger than the range {param.low:g}..{param.high:g}", path=path
        )
    try:
        values = stepped_values(param.low, param.high, step, param.log, integer)
    except ValueError as error:
        raise SweepError(
            f"step {step:g} over {param.low:g}..{param.high:g} {error}; take a larger step",
            path=path,
        ) from None
    if len(values) < 2:
        raise SweepError(
            f"step {step:g} leaves one value ({values[0]}) in {param.low:g}..{param.high:g}",
            path=path,
        )
    return Steps(values, low=param.low, high=param.high, step=step, log=param.log, integer=integer)


def _parse_values(kind: str, body: Any, path: str) -> Param:
    if not isinstance(body, list) or not body:
        raise SweepError(f"got {show(body)}; must be a non-empty list of values", path=path)
    if len(body) > MAX_VALUES:
        raise SweepError(f"has {len(body)} values; at most {MAX_VALUES} are allowed", path=path)
    seen: set[tuple[type, Any]] = set()
    for index, value in enumerate(body):
        # A list of plain values is one value too: the widths of every layer, say.
        parts = value if isinstance(value, list) else [value]
        if not parts or not all(isinstance(part, (str, int, float, bool)) for part in parts):
            raise SweepError(
                f"value {show(value)} is not a plain number, string, boolean or non-empty list of them",
                path=f"{path}[{index}]",
            )
        if any(isinstance(part, float) and not math.isfinite(part) for part in parts):
            raise SweepError(f"value {show(value)} is not finite", path=f"{path}[{index}]")
        # 1 and True compare equal in Python; they are different values to a user. A set, not a
        # scan of the values so far: a list may hold 10000 of them.
        key = (type(value), tuple(value) if isinstance(value, list) else value)
        if key in seen:
            raise SweepError(f"value {show(value)} is listed twice", path=f"{path}[{index}]")
        seen.add(key)
    values = tuple(tuple(v) if isinstance(v, list) else v for v in body)  # hashable, frozen
    return Choice(values) if kind == "choice" else Grid(values)


def _parse_range(kind: str, body: Any, path: str) -> Param:
    integer = kind in ("int", "logint")
    log = kind.startswith("log")
    if not isinstance(body, list) or len(body) != 2:
        raise SweepError(f"got {show(body)}; must be a list [low, high]", path=path)
    for bound in body:
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise SweepError(f"bound {show(bound)} is not a number", path=path)
        if integer and not isinstance(bound, int):
            raise SweepError(
                f"bound {show(bound)} is not an integer; use float: for real values", path=path
            )
        if not math.isfinite(bound):
            raise SweepError(f"bound {show(bound)} is not finite", path=path)
    low, high = body
    if low > high:
        raise SweepError(f"range is inverted: low {low} > high {high}", path=path)
    if low == high:
        raise SweepError(
            f"range is empty: low and high are both {low}; fix the value under model: or data: instead",
            path=path,
        )
    if log and low <= 0:
        raise SweepError(f"a log range needs low > 0, got {low}", path=path)
    if integer:
        return IntRange(int(low), int(high), log=log)
    return FloatRange(float(low), float(high), log=log)


def grid_size(space: dict[str, Param], choices_as_grid: bool) -> int:
    """How many configurations one sample of the space expands to (1 when nothing is a grid)."""
    size = 1
    for param in space.values():
        if isinstance(param, Grid) or (choices_as_grid and isinstance(param, Choice)):
            size *= len(param.values)
    return size
