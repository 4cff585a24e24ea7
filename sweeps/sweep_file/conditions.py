"""Conditional search spaces: searched keys that exist only in some trials.

    optimizer: {choice: [sgd, adam]}
    momentum:  {float: [0.5, 0.99], when: {optimizer: sgd}}          # only in SGD trials
    nesterov:  {choice: [true, false], when: {optimizer: [sgd]}}     # a list: any of these values
    depth:     {int: [1, 4]}
    widths:    {per_layer: {logint: [16, 512]}, length: depth}      # one width per sampled layer

``when:`` maps searched keys (the parents) to the value or values under which the key applies;
with several parents, all must hold. A key whose parent does not apply does not apply either.
A per-layer list becomes one searched key per position (``widths[0]`` .. ``widths[3]``), each
applying only when the length key reaches past it; ``length:`` is a searched integer key or a
fixed number. Trials get the positions back as one list.

A key that does not apply is absent from the trial's config: the model uses its default, the
searchers neither sample nor learn from it, and the results tables show it as null.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sweeps.errors import SweepError, show
from sweeps.sweep_file.space import (
    Choice,
    FloatRange,
    Grid,
    IntRange,
    Param,
    parse_param,
    plain,
    same_value,
)

MAX_LAYERS = 32
# A condition on an integer range is checked over all its values when it has at most this many.
ENUMERATED_RANGE = 64
ELEMENT_KEY = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")


def element_key(name: str, index: int) -> str:
    return f"{name}[{index}]"


@dataclass(frozen=True)
class Condition:
    """The key applies only when ``parent`` applies and holds one of ``values``."""

    parent: str
    values: tuple[Any, ...]

    def holds(self, config: dict[str, Any]) -> bool:
        if self.parent not in config:
            return False
        value = plain(config[self.parent])
        return any(same_value(value, allowed) for allowed in self.values)


@dataclass(frozen=True)
class LayerList:
    """A per-layer list: ``elements`` are its position keys, ``length`` a searched key or a number."""

    name: str
    element: Param
    length: str | int
    elements: tuple[str, ...]
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class Conditions:
    """Which searched keys apply in which trials. ``order`` lists every searched key, each after
    the keys its conditions read, which is the order to sample them in."""

    when: dict[str, tuple[Condition, ...]] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    lists: dict[str, LayerList] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.when)

    def applies(self, key: str, config: dict[str, Any]) -> bool:
        """Whether ``key`` applies, given the applicable keys of ``config`` decided so far."""
        return all(condition.holds(config) for condition in self.when.get(key, ()))

    def mask(self, config: dict[str, Any]) -> dict[str, Any]:
        """``config`` without the keys that do not apply to it."""
        kept: dict[str, Any] = {}
        for key in self.order:
            if key in config and self.applies(key, kept):
                kept[key] = config[key]
        extra = {key: value for key, value in config.items() if key not in self.order}
        return {**kept, **extra}

    def parents(self, key: str) -> list[str]:
        return [condition.parent for condition in self.when.get(key, ())]


NO_CONDITIONS = Conditions()


def assemble_lists(config: dict[str, Any]) -> dict[str, Any]:
    """A trial's flat config with per-layer positions (``widths[0]``, ...) joined into lists."""
    joined: dict[str, Any] = {}
    positions: dict[str, dict[int, Any]] = {}
    for key, value in config.items():
        match = ELEMENT_KEY.match(key)
        if match:
            positions.setdefault(match["name"], {})[int(match["index"])] = value
        else:
            joined[key] = value
    for name, by_index in positions.items():
        joined[name] = [by_index[index] for index in sorted(by_index)]
    return joined


# Reading the sweep file ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One key under ``space:`` before its conditions are resolved against the other keys."""

    key: str
    path: str
    param: Param  # for a per-layer list: the domain of each position
    when: Any = None
    length: Any = None  # set for a per-layer list

    @property
    def is_list(self) -> bool:
        return self.length is not None


def parse_entry(key: str, body: Any, path: str) -> Entry:
    """One searched key: a domain (see sweeps.sweep_file.space), optionally with ``when:``, or a per-layer list."""
    if not isinstance(body, dict):
        return Entry(key, path, parse_param(body, path))
    body = dict(body)
    when = body.pop("when", _ABSENT)
    if "per_layer" in body:
        # In the file's order: keys of mixed types (a number, a string) cannot be sorted.
        unknown = [key for key in body if key not in ("per_layer", "length")]
        if unknown:
            raise SweepError(
                f"unknown key {show(unknown[0])}; a per-layer list takes per_layer, length and when",
                path=f"{path}.{unknown[0]}",
            )
        if "length" not in body:
            raise SweepError(
                "a per-layer list needs length: the searched key (or the number) of layers, "
                "e.g. length: depth",
                path=path,
            )
        element = parse_param(body["per_layer"], f"{path}.per_layer")
        if isinstance(element, Grid):
            raise SweepError(
                "a per-layer position cannot be a grid; use choice: [...]",
                path=f"{path}.per_layer.grid",
            )
        if isinstance(element, Choice) and any(
            isinstance(value, tuple) for value in element.values
        ):
            raise SweepError(
                "a per-layer position takes plain values, not lists",
                path=f"{path}.per_layer.choice",
            )
        return Entry(key, path, element, when=_given_when(when, path), length=body["length"])
    if "length" in body:
        raise SweepError(
            "length: belongs to a per-layer list: {per_layer: {...}, length: KEY}",
            path=f"{path}.length",
        )
    param = parse_param(body, path)
    when = _given_when(when, path)
    if when is not None and isinstance(param, Grid):
        raise SweepError(
            "a conditional key cannot be a grid (its grid points would repeat the trials where it does "
            "not apply); use choice: [...]",
            path=f"{path}.grid",
        )
    return Entry(key, path, param, when=when)


_ABSENT = object()


def _given_when(when: Any, path: str) -> Any:
    if when is _ABSENT:
        return None
    if not isinstance(when, dict) or not when:
        raise SweepError(
            f"got {show(when)}; write when: {{parent: value}} or when: {{parent: [value, ...]}}",
            path=f"{path}.when",
        )
    return when


def resolve(entries: list[Entry]) -> tuple[dict[str, Param], Conditions]:
    """The flat space (per-layer lists expanded into positions) and its conditions."""
    singles = {entry.key: entry.param for entry in entries if not entry.is_list}
    space: dict[str, Param] = {}
    when: dict[str, tuple[Condition, ...]] = {}
    lists: dict[str, LayerList] = {}
    edges: dict[str, set[str]] = {}
    for entry in entries:
        own = _conditions(entry, singles)
        if not entry.is_list:
            space[entry.key] = entry.param
            if own:
                when[entry.key] = own
            edges[entry.key] = {condition.parent for condition in own}
            continue
        lengths, length_key = _lengths(entry, singles)
        elements = tuple(element_key(entry.key, index) for index in range(max(lengths)))
        for index, key in enumerate(elements):
            space[key] = entry.param
            reaches = tuple(value for value in lengths if value > index)
            by_length = (
                (Condition(length_key, reaches),)
                if length_key and len(reaches) < len(lengths)
                else ()
            )
            if by_length or own:
                when[key] = own + by_length
            edges[key] = {condition.parent for condition in own} | (
                {length_key} if length_key else set()
            )
        lists[entry.key] = LayerList(
            entry.key, entry.param, length_key or lengths[0], elements, own
        )
    order = _parents_first(edges, {entry.key: entry.path for entry in entries})
    return space, Conditions(when=when, order=order, lists=lists)


def _conditions(entry: Entry, singles: dict[str, Param]) -> tuple[Condition, ...]:
    if entry.when is None:
        return ()
    conditions = []
    for parent, wanted in entry.when.items():
        path = f"{entry.path}.when.{parent}"
        if parent == entry.key:
            raise SweepError("a key cannot depend on itself", path=path)
        if parent not in singles:
            raise SweepError(
                f"names {show(parent)}, which is not a searched key (a conditional key's parent must be searched "
                f"under space:, not a per-layer list); searched keys: {', '.join(singles) or 'none'}",
                path=path,
            )
        possible = parent_values(singles[parent], parent, path)
        values = wanted if isinstance(wanted, list) else [wanted]
        if not values:
            raise SweepError(
                "lists no value; give the parent's value or values under which the key applies",
                path=path,
            )
        for value in values:
            if not _is_value_of(singles[parent], possible, value):
                shown = ", ".join(str(option) for option in possible[:20]) + (
                    " ..." if len(possible) > 20 else ""
                )
                raise SweepError(
                    f"{show(value)} is never a value of {parent} ({shown}), so the key would never apply",
                    path=path,
                )
        conditions.append(Condition(parent, tuple(values)))
    return tuple(conditions)


def parent_values(param: Param, parent: str, path: str) -> Sequence[Any]:
    """Every value a parent can take (conditions compare exact values). An integer range stays a
    ``range``: it may span billions of values."""
    if isinstance(param, FloatRange):
        raise SweepError(
            f"{parent} is a {param.kind} range; a condition needs a parent with distinct values "
            "(choice, grid or an integer range)",
            path=path,
        )
    if isinstance(param, IntRange):
        return range(param.low, param.high + 1)
    if any(isinstance(value, tuple) for value in param.values):
        raise SweepError(
            f"{parent} takes lists; a condition needs a parent with plain values", path=path
        )
    return list(param.values)


def _is_value_of(param: Param, possible: Sequence[Any], value: Any) -> bool:
    if isinstance(param, IntRange):
        # As same_value compares (3.0 is 3, true is not 1), without walking the range.
        number = (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
        return number and value == int(value) and param.low <= value <= param.high
    return any(same_value(value, option) for option in possible)


def _lengths(entry: Entry, singles: dict[str, Param]) -> tuple[list[int], str | None]:
    """The lengths a per-layer list can have, and the searched key that decides it (None: fixed)."""
    path = f"{entry.path}.length"
    length = entry.length
    if isinstance(length, int) and not isinstance(length, bool):
        if not 1 <= length <= MAX_LAYERS:
            raise SweepError(
                f"got {length}; a per-layer list has 1 to {MAX_LAYERS} positions", path=path
            )
        return [length], None
    if not isinstance(length, str) or length not in singles:
        raise SweepError(
            f"got {show(length)}; length names a searched integer key (such as depth) or is a number; "
            f"searched keys: {', '.join(singles) or 'none'}",
            path=path,
        )
    param = singles[length]
    if isinstance(param, IntRange):
        low, high = param.low, param.high
    elif isinstance(param, (Choice, Grid)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in param.values
    ):
        low, high = min(param.values), max(param.values)
    else:
        raise SweepError(
            f"{length} is a {param.kind} key of {'non-integer ' if param.kind in ('choice', 'grid') else ''}"
            "values; the length of a per-layer list must be an integer key",
            path=path,
        )
    # Bounds first: an integer range may span billions of values.
    if low < 0 or high > MAX_LAYERS:
        raise SweepError(
            f"{length} ranges over {low}..{high}; a per-layer list has 0 to {MAX_LAYERS} positions",
            path=path,
        )
    if high == 0:
        raise SweepError(f"{length} is always 0, so the list would always be empty", path=path)
    values = list(range(low, high + 1)) if isinstance(param, IntRange) else sorted(param.values)
    return values, length


def _parents_first(edges: dict[str, set[str]], paths: dict[str, str]) -> tuple[str, ...]:
    """Every key after its parents; a cycle of conditions is an error naming one of its keys."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(key: str, trail: list[str]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            cycle = trail[trail.index(key) :] + [key]
            owner = ELEMENT_KEY.match(cycle[0])
            name = owner["name"] if owner else cycle[0]
            raise SweepError(
                f"conditions form a cycle: {' -> '.join(cycle)}",
                path=f"{paths.get(name, 'space.' + name)}.when",
            )
        state[key] = "visiting"
        for parent in sorted(edges.get(key, ())):
            visit(parent, trail + [key])
        state[key] = "done"
        order.append(key)

    for key in edges:
        visit(key, [])
    return tuple(order)


# Enumerating what trials can look like, for the load-time rule checks -------------------------


def _decision_values(key: str, param: Param, conditions: Conditions) -> list[Any]:
    """The values of ``key`` worth trying: all of them where conditions read an integer range
    (every layer count, say), else the representatives of its domain."""
    is_parent = any(
        condition.parent == key for conds in conditions.when.values() for condition in conds
    )
    if is_parent and isinstance(param, IntRange) and param.high - param.low < ENUMERATED_RANGE:
        return list(range(param.low, param.high + 1))
    if is_parent and isinstance(param, IntRange):
        edges = {param.low, param.high}
        for conds in conditions.when.values():
            for condition in conds:
                if condition.parent == key:
                    for value in condition.values:
                        edges |= {value - 1, value, value + 1}
        return sorted(value for value in edges if param.low <= value <= param.high)
    return param.representatives()


def cases(
    fields: tuple[str, ...],
    space: dict[str, Param],
    conditions: Conditions,
    prefix: str,
    limit: int,
) -> Iterator[dict[str, Any]] | None:
    """Each way a trial can set ``fields`` (a section's argument names; ``prefix`` maps them to
    searched keys): a mapping of the fields that are searched and apply in that case. None when
    there are more than ``limit`` cases to try."""
    lists = {
        prefix + name: conditions.lists[prefix + name]
        for name in fields
        if prefix + name in conditions.lists
    }
    wanted = [prefix + name for name in fields if prefix + name in space]
    for layer_list in lists.values():
        wanted += [condition.parent for condition in layer_list.when]
        if isinstance(layer_list.length, str):
            wanted.append(layer_list.length)
    deciding: list[str] = []
    while wanted:
        key = wanted.pop()
        if key not in deciding:
            deciding.append(key)
            wanted += conditions.parents(key)
    options = [_decision_values(key, space[key], conditions) for key in deciding]
    options += [layer_list.element.representatives() for layer_list in lists.values()]
    count = 1
    for values in options:
        count *= len(values)
    if count > limit:
        return None
    return _cases(fields, deciding, lists, options, conditions, prefix)


def _cases(
    fields: tuple[str, ...],
    deciding: list[str],
    lists: dict[str, LayerList],
    options: list[list[Any]],
    conditions: Conditions,
    prefix: str,
) -> Iterator[dict[str, Any]]:
    for combination in itertools.product(*options):
        config = conditions.mask(dict(zip(deciding, combination[: len(deciding)], strict=True)))
        case = {
            key[len(prefix) :]: value
            for key, value in config.items()
            if key[len(prefix) :] in fields and key.startswith(prefix)
        }
        for (key, layer_list), value in zip(
            lists.items(), combination[len(deciding) :], strict=True
        ):
            if not all(condition.holds(config) for condition in layer_list.when):
                continue
            length = (
                layer_list.length
                if isinstance(layer_list.length, int)
                else config.get(layer_list.length)
            )
            if length:
                case[key[len(prefix) :]] = [value] * length
        yield case
