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
from typing import Annotated, Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from lightning_modules.configs.base import ArgsModel
from lightning_modules.configs.rules import DataInfo
from sweeps.errors import SweepError, show
from sweeps.space import Param

MAX_COMBINATIONS = 20_000


@functools.lru_cache(maxsize=None)
def _field_adapter(config: type[ArgsModel], name: str) -> TypeAdapter:
    field = config.model_fields[name]
    annotated = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
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
    for name, value in args.items():
        if not isinstance(name, str) or name not in config.model_fields:
            raise SweepError(f"unknown key; allowed here: {', '.join(sorted(config.model_fields))}", path=f"{section}.{name}")
        error = field_error(config, name, value)
        if error:
            raise SweepError(f"{error} (got {show(value)})", path=f"{section}.{name}")


def check_searched(config: type[ArgsModel], name: str, param: Param, owner: str, path: str) -> None:
    for value in param.representatives():
        error = field_error(config, name, value)
        if error:
            raise SweepError(f"value {show(value)} is not allowed for {owner}: {error}", path=path)


def check_rules(
    config: type[ArgsModel],
    fixed: dict[str, Any],
    searched: dict[str, Param],
    section: str,
    data_infos: list[DataInfo | None],
    space_prefix: str = "",
) -> None:
    """Every rule of ``config`` over every combination of the values it reads."""
    defaults = {name: field.get_default(call_default_factory=True) for name, field in config.model_fields.items()}
    given = set(fixed) | set(searched)
    for rule in config.rules():
        options = []
        for key in rule.keys:
            if key in searched:
                options.append(searched[key].representatives())
            else:
                options.append([fixed.get(key, defaults[key])])
        count = 1
        for values in options:
            count *= len(values)
        if count > MAX_COMBINATIONS:
            continue  # too many to enumerate here; the trial itself is still checked when built
        for combination in itertools.product(*options):
            values = {**defaults, **fixed, **dict(zip(rule.keys, combination))}
            for data in data_infos:
                message = rule.check(values, given, data)
                if message:
                    searched_keys = [key for key in rule.keys if key in searched]
                    if searched_keys:
                        path = f"space.{space_prefix}{searched_keys[0]}"
                    else:
                        path = f"{section}.{next((k for k in rule.keys if k in fixed), rule.keys[0])}"
                    raise SweepError(message, path=path)


def data_infos(config: type[ArgsModel], fixed: dict[str, Any], searched: dict[str, Param]) -> list[DataInfo]:
    """The data's shape for every combination of the searched data keys (usually one)."""
    keys = list(searched)
    infos = []
    for combination in itertools.product(*(searched[key].representatives() for key in keys)):
        args = {**fixed, **dict(zip(keys, combination))}
        try:
            info = config.model_construct(**args).info()
        except ValueError as error:  # the data cannot be read as named (a table's columns, say)
            raise SweepError(str(error), path="data") from None
        if info not in infos:
            infos.append(info)
    return infos
