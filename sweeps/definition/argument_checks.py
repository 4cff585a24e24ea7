"""Checking model and data arguments of a sweep before anything runs.

Two steps, because a searched key's neighbours are only known together: first every value
(fixed, or each bound and choice of a searched key) is checked against its own field (type and
range); then every cross-key rule of the config class is evaluated over all combinations of the
values it reads, fixed and searched, and against the data's shape. A sweep that could ever build
an impossible trial is refused, naming the key.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from lightning_modules.configs.data import DataConfig
from lightning_modules.configs.data_info import DataInfo
from sweeps.errors import Mistakes, SweepError, did_you_mean, first_line, show
from sweeps.sweep_file.conditions import NO_CONDITIONS, Conditions, cases
from sweeps.sweep_file.space import Param
from typed_config.base import ArgsModel
from typed_config.rules import Rule

MAX_COMBINATIONS = 20_000


@functools.cache
def _field_adapter(config: type[ArgsModel], name: str) -> TypeAdapter:
    field = config.model_fields[name]
    # A type expression: the field's annotation, with its constraints (Field's ge, le, ...).
    annotated: Any = (
        Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    )
    return TypeAdapter(annotated, config=ConfigDict(strict=True))


def field_error(config: type[ArgsModel], name: str, value: Any) -> str | None:
    """Why ``value`` is not allowed for the field ``name`` alone, or None."""
    try:
        _field_adapter(config, name).validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        return first["msg"]
    return None


def check_fixed(config: type[ArgsModel], args: dict[str, Any], section: str) -> None:
    """Each fixed argument against its field; every bad one is reported."""
    mistakes = Mistakes()
    for name, value in args.items():
        if not isinstance(name, str) or name not in config.model_fields:
            mistakes.add(
                SweepError(
                    f"unknown key{did_you_mean(name, config.model_fields)} (allowed here: "
                    f"{', '.join(sorted(config.model_fields))})",
                    path=f"{section}.{name}",
                )
            )
            continue
        error = field_error(config, name, value)
        if error:
            mistakes.add(SweepError(f"{error} (got {show(value)})", path=f"{section}.{name}"))
    mistakes.raise_if_any()


def check_searched(config: type[ArgsModel], name: str, param: Param, owner: str, path: str) -> None:
    for value in param.representatives():
        error = field_error(config, name, value)
        if error:
            raise SweepError(f"value {show(value)} is not allowed for {owner}: {error}", path=path)


def check_searched_list(
    config: type[ArgsModel], name: str, element: Param, most: int, owner: str, path: str
) -> None:
    """A per-layer list's positions: each value, and the longest list the sweep can make."""
    for value in element.representatives():
        error = field_error(config, name, [value])
        if error and field_error(config, name, value) is None:
            raise SweepError(
                f"{name} of {owner} takes one value, not a list; per_layer is for list arguments",
                path=f"{path}.per_layer",
            )
        if error:
            raise SweepError(
                f"value {show(value)} is not allowed for {owner}: {error}", path=f"{path}.per_layer"
            )
    error = field_error(config, name, [element.representatives()[0]] * most)
    if error:
        raise SweepError(
            f"{most} layers is too many for {name} of {owner}: {error}", path=f"{path}.length"
        )


def check_rules(
    config: type[ArgsModel],
    fixed: dict[str, Any],
    space: dict[str, Param],
    section: str,
    data_infos: Sequence[DataInfo | None],
    prefix: str = "",
    conditions: Conditions = NO_CONDITIONS,
) -> None:
    """Every rule of ``config`` over every way a trial can set the keys it reads. ``space`` is the
    whole searched space; this section's keys are those named ``prefix`` + argument. A key that
    does not apply in a case (a conditional key, say) takes its default and counts as not given."""
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in config.model_fields.items()
    }
    for rule in config.rules():
        found = cases(rule.keys, space, conditions, prefix, MAX_COMBINATIONS)
        if found is None:
            continue  # too many to enumerate here; the trial itself is still checked when built
        for case in found:
            values = {**defaults, **fixed, **case}
            given = set(fixed) | set(case)
            for data in data_infos:
                message = rule.check(values, given, data)
                if message:
                    raise SweepError(
                        message + _condition_hint(rule, space, conditions, prefix),
                        path=_rule_path(rule, fixed, space, conditions, prefix, section),
                    )


def _rule_path(
    rule: Rule,
    fixed: dict[str, Any],
    space: dict[str, Param],
    conditions: Conditions,
    prefix: str,
    section: str,
) -> str:
    searched = [
        key for key in rule.keys if prefix + key in space or prefix + key in conditions.lists
    ]
    if searched:
        return f"space.{prefix}{searched[0]}"
    return f"{section}.{next((key for key in rule.keys if key in fixed), rule.keys[0])}"


def _condition_hint(
    rule: Rule, space: dict[str, Param], conditions: Conditions, prefix: str
) -> str:
    """For a knob searched beside the key it belongs to: how to search it only where it applies."""
    if rule.needs is None:
        return ""
    knob, (owner, allowed) = rule.keys[0], rule.needs
    if (
        prefix + knob not in space
        or prefix + owner not in space
        or prefix + knob in conditions.when
    ):
        return ""
    values = ", ".join(str(value) for value in allowed)
    return (
        f"; to search {knob} only where it applies, add when: {{{prefix}{owner}: [{values}]}} to it"
    )


def data_infos(
    config: type[DataConfig], fixed: dict[str, Any], searched: dict[str, Param]
) -> list[DataInfo]:
    """The data's shape for every combination of the searched data keys (usually one)."""
    keys = list(searched)
    options = [searched[key].representatives() for key in keys]
    count = math.prod(len(values) for values in options)
    if count > MAX_COMBINATIONS:
        raise SweepError(
            f"the searched data keys ({', '.join(keys)}) combine into {count} data sets to check; "
            f"at most {MAX_COMBINATIONS} are allowed, so search fewer values",
            path="space",
        )
    infos = []
    for combination in itertools.product(*options):
        args = {**fixed, **dict(zip(keys, combination, strict=True))}
        try:
            info = config.model_construct(**args).info()
        # The data cannot be read as named: a table's columns, say, or a path that is a directory.
        except (ValueError, OSError) as error:
            raise SweepError(first_line(error), path="data") from None
        if info not in infos:
            infos.append(info)
    return infos
