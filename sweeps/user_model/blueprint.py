"""A tunable blueprint (Keras Tuner style): ``model: {builder: my_project.tuning:build}``.

    def build(hp):
        hidden = hp.Int("hidden", 32, 512, step=32)
        model = Classifier(hidden=hidden, dropout=hp.Float("dropout", 0.1, 0.5, step=0.1),
                           lr=hp.Float("lr", 1e-4, 1e-2, sampling="log"))
        if hp.Choice("optimizer", ["adam", "sgd"]) == "sgd":
            model.momentum = hp.Float("momentum", 0.5, 0.99)     # only in SGD trials
        return model                  # or (model, datamodule)

The space is found by running the blueprint (define-by-run) with every value at its default and
again with each other value of every choice, boolean and small integer range it asks for (in the
first run that asks for it), under torch's meta device (no memory is spent on weights). A value
asked only under some values of values asked before it is conditional on them (``when:``); its
trials get it only then. A value whose condition these runs do not show is searched in every trial
(unused where the blueprint does not ask for it). In a trial the blueprint runs once more with the
trial's values.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sweeps.errors import SweepError, first_line, show
from sweeps.sweep_file.conditions import Conditions, Entry, resolve
from sweeps.sweep_file.space import Choice, FloatRange, IntRange, Param, Steps, parse_param

MAX_RUNS = 256  # runs of the blueprint to find its space
MAX_SECONDS = 60.0
ENUMERATED = 64  # an integer asked with at most this many values is tried at each of them
SAMPLINGS = ("linear", "log")


@dataclass(frozen=True)
class Asked:
    """One value the blueprint asks for: its domain (None for hp.Fixed) and default."""

    name: str
    param: Param | None
    default: Any
    spec: tuple[Any, ...]  # how it was asked, to tell a name asked twice in two ways


class HyperParameters:
    """The ``hp`` a blueprint gets. ``values`` are the trial's (a name missing from them takes its
    default); every call is recorded in ``asked``, in order."""

    def __init__(self, values: dict[str, Any] | None = None):
        self.values: dict[str, Any] = dict(values or {})
        self.asked: dict[str, Asked] = {}
        self.order: list[str] = []
        self._used: dict[str, Any] = {}

    # Keras Tuner's methods -------------------------------------------------------------------

    def Int(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        **_: Any,
    ) -> int:
        self._check_sampling(name, sampling)
        kind = "logint" if sampling == "log" else "int"
        param = self._param(
            name, {kind: [min_value, max_value], **({"step": step} if step else {})}
        )
        return self._ask(
            name,
            param,
            min_value if default is None else default,
            ("Int", min_value, max_value, step, sampling),
        )

    def Float(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        **_: Any,
    ) -> float:
        self._check_sampling(name, sampling)
        kind = "logfloat" if sampling == "log" else "float"
        param = self._param(
            name, {kind: [float(min_value), float(max_value)], **({"step": step} if step else {})}
        )
        value = self._ask(
            name,
            param,
            float(min_value) if default is None else default,
            ("Float", min_value, max_value, step, sampling),
        )
        return float(value)

    def Choice(self, name: str, values: list[Any], default: Any = None, **_: Any) -> Any:
        param = self._param(
            name, {"choice": list(values) if isinstance(values, (list, tuple)) else values}
        )
        return self._ask(
            name, param, values[0] if default is None else default, ("Choice", tuple(values))
        )

    def Boolean(self, name: str, default: bool = False, **_: Any) -> bool:
        return bool(self._ask(name, Choice((False, True)), bool(default), ("Boolean",)))

    def Fixed(self, name: str, value: Any, **_: Any) -> Any:
        return self._ask(name, None, value, ("Fixed", repr(value)))

    def get(self, name: str) -> Any:
        if name not in self._used:
            raise KeyError(f"{name!r} has not been asked for yet")
        return self._used[name]

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Any:
        """Keras Tuner's explicit form; here the condition is found by running the blueprint."""
        yield

    # -----------------------------------------------------------------------------------------

    def _check_sampling(self, name: str, sampling: str) -> None:
        if sampling not in SAMPLINGS:
            raise BlueprintError(
                f"{name}: sampling={sampling!r}; use one of {', '.join(SAMPLINGS)}"
            )

    def _param(self, name: str, raw: dict[str, Any]) -> Param:
        if not isinstance(name, str) or not name:
            raise BlueprintError(
                f"got the name {name!r}; a hyperparameter's name is a non-empty string"
            )
        try:
            return parse_param(raw, name)
        except SweepError as error:
            raise BlueprintError(f"{error.path or name}: {error.message}") from None

    def _ask(self, name: str, param: Param | None, default: Any, spec: tuple[Any, ...]) -> Any:
        earlier = self.asked.get(name)
        if earlier is not None and earlier.spec != spec:
            raise BlueprintError(
                f"{name!r} is asked for twice in two ways ({_shown(earlier.spec)} and {_shown(spec)})"
            )
        if earlier is None:
            if (
                param is not None
                and not param.contains(default)
                and not isinstance(param, (IntRange, FloatRange))
            ):
                raise BlueprintError(f"{name}: default {show(default)} is not one of its values")
            self.asked[name] = Asked(name, param, default, spec)
            self.order.append(name)
        value = self.values.get(name, default) if param is not None else default
        self._used[name] = value
        return value


class BlueprintError(Exception):
    """A blueprint asked for something the sweep cannot search."""


def _shown(spec: tuple[Any, ...]) -> str:
    return f"hp.{spec[0]}({', '.join(repr(part) for part in spec[1:] if part is not None)})"


def call_blueprint(builder: Callable[[Any], Any], hp: HyperParameters) -> tuple[Any, Any]:
    """(module, data module or None) from one run of the blueprint."""
    built = builder(hp)
    if isinstance(built, tuple):
        if len(built) != 2:
            raise BlueprintError(
                f"returned a tuple of {len(built)}; return a LightningModule or (module, data module)"
            )
        return built[0], built[1]
    return built, None


@dataclass(frozen=True)
class Blueprint:
    """The space a blueprint asks for, and the fixed values it asks with hp.Fixed."""

    space: dict[str, Param]
    conditions: Conditions
    fixed: dict[str, Any]
    runs: int
    module_class: type
    datamodule_class: type | None


def discover(builder: Callable[[Any], Any], target: str, path: str) -> Blueprint:
    """Run the blueprint until every value it can ask for has been seen (see the module's
    docstring); a SweepError at ``path`` when it fails or asks for something unsearchable."""
    runs: list[tuple[dict[str, Any], HyperParameters]] = []
    tried: set[tuple[tuple[str, Any], ...]] = set()
    todo: list[dict[str, Any]] = [{}]
    explored: set[str] = set()  # names whose other values are queued (in the first run asking them)
    started = time.monotonic()
    built: tuple[Any, Any] | None = None
    while todo and len(runs) < MAX_RUNS and time.monotonic() - started < MAX_SECONDS:
        forced = todo.pop(0)
        key = tuple(sorted(forced.items(), key=lambda item: item[0]))
        if key in tried:
            continue
        tried.add(key)
        hp = HyperParameters(forced)
        result = _run(builder, hp, target, path)
        built = built or result
        runs.append((dict(hp._used), hp))
        prefix: dict[str, Any] = {}
        for name in hp.order:
            asked = hp.asked[name]
            if name not in explored:
                explored.add(name)
                todo += [
                    {**prefix, name: value}
                    for value in _alternatives(asked.param)
                    if value != hp._used[name]
                ]
            if asked.param is not None:
                prefix[name] = hp._used[name]
    assert built is not None
    every_asked = _all_asked(runs, target, path)
    entries = [
        Entry(
            name, f"{path} ({name})", item.param, when=_condition(name, runs, every_asked) or None
        )
        for name, item in every_asked.items()
        if item.param is not None
    ]
    try:
        space, conditions = resolve(entries)
    except SweepError as error:
        raise SweepError(f"{target}: {error.message}", path=path) from None
    fixed = {name: item.default for name, item in every_asked.items() if item.param is None}
    module, datamodule = built
    return Blueprint(
        space,
        conditions,
        fixed,
        len(runs),
        type(module),
        type(datamodule) if datamodule is not None else None,
    )


def _run(
    builder: Callable[[Any], Any], hp: HyperParameters, target: str, path: str
) -> tuple[Any, Any]:
    # Imported here: torch loads only in the processes that train or evaluate.
    import torch

    def attempt(device: str) -> tuple[Any, Any]:
        with torch.device(device):
            return call_blueprint(builder, hp)

    try:
        try:
            return attempt("meta")
        except BlueprintError:
            raise
        except Exception:
            # Something in the blueprint needs real tensors (data read into tensors, say).
            hp.asked.clear()
            hp.order.clear()
            hp._used.clear()
            return attempt("cpu")
    except BlueprintError as error:
        raise SweepError(f"{target}: {error}", path=path) from None
    except Exception as error:
        values = {name: hp._used[name] for name in hp.order if hp.asked[name].param is not None}
        raise SweepError(
            f"{target} raised {type(error).__name__}: {first_line(error)} (with {values})",
            path=path,
        ) from None


def _alternatives(param: Param | None) -> list[Any]:
    """The values worth a run to find what depends on them: all of a small discrete domain."""
    if isinstance(param, Steps) or (isinstance(param, Choice) and not isinstance(param, Steps)):
        values = list(param.values)
        return values if len(values) <= ENUMERATED else []
    if isinstance(param, IntRange) and param.high - param.low < ENUMERATED:
        return list(range(param.low, param.high + 1))
    return []


def _all_asked(
    runs: list[tuple[dict[str, Any], HyperParameters]], target: str, path: str
) -> dict[str, Asked]:
    asked: dict[str, Asked] = {}
    for _, hp in runs:
        for name in hp.order:
            item = hp.asked[name]
            if name in asked and asked[name].spec != item.spec:
                raise SweepError(
                    f"{target} asks for {name!r} in two ways ({_shown(asked[name].spec)} and "
                    f"{_shown(item.spec)})",
                    path=path,
                )
            asked.setdefault(name, item)
    return asked


def _condition(
    name: str, runs: list[tuple[dict[str, Any], HyperParameters]], asked: dict[str, Asked]
) -> dict[str, list[Any]]:
    """``when:`` for ``name``: the values of earlier discrete values under which it is asked.
    Empty when it is asked in every run, or when no earlier value explains when it is."""
    runs_with = [hp for _, hp in runs if name in hp.asked]
    if len(runs_with) == len(runs):
        return {}
    order = runs_with[0].order
    candidates = [
        parent
        for parent in order[: order.index(name)]
        if _alternatives(asked[parent].param) and all(parent in hp.asked for hp in runs_with)
    ]
    when: dict[str, list[Any]] = {}
    remaining = runs
    for parent in candidates:
        inside = [(values, hp) for values, hp in remaining if parent in hp.asked]
        values_in = {_key(values[parent]) for values, hp in inside if name in hp.asked}
        values_out = {_key(values[parent]) for values, hp in inside if name not in hp.asked}
        if values_out and not values_in & values_out:
            when[parent] = [
                value for value in _ordered(asked[parent].param) if _key(value) in values_in
            ]
            remaining = [(values, hp) for values, hp in inside if _key(values[parent]) in values_in]
    if not when or any(name not in hp.asked for _, hp in remaining):
        return {}  # asked in some runs only, but not because of earlier values: searched in every trial
    return when


def _key(value: Any) -> Any:
    return (type(value).__name__, value)


def _ordered(param: Param | None) -> list[Any]:
    if isinstance(param, IntRange):
        return list(range(param.low, param.high + 1))
    return list(getattr(param, "values", ()))
