"""Turning pydantic validation errors into the one-line messages a sweep file's author reads."""

from __future__ import annotations

import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sweeps.errors import Mistakes, SweepError, SweepErrors, did_you_mean, show

M = TypeVar("M", bound=BaseModel)


def validate_section(model: type[M], raw: Any, path: str) -> M:
    """Validate ``raw`` as ``model``; each problem becomes a SweepError at ``path.key``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SweepError(f"got {show(raw)}; must be a mapping of keys to values", path=path)
    bad_keys = [key for key in raw if not isinstance(key, str)]
    if bad_keys:
        raise SweepError(f"key {show(bad_keys[0])} is not a string", path=path)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise error_from_pydantic(error, model, path) from None


def error_from_pydantic(error: ValidationError, model: type[BaseModel], path: str) -> SweepError:
    """Every problem pydantic found, each at its key path."""
    mistakes = Mistakes()
    for detail in error.errors():
        location = [str(part) for part in detail["loc"] if part != "__root__"]
        key_path = ".".join([path, *location]) if path else ".".join(location)
        kind = detail["type"]
        if kind == "extra_forbidden":
            fields = _model_at(model, location[:-1]).model_fields
            allowed = ", ".join(sorted(fields))
            message = f"unknown key{did_you_mean(location[-1] if location else '', fields)} (allowed here: {allowed})"
        elif kind == "missing":
            message = "required key is missing"
        else:
            text = detail["msg"].removeprefix("Value error, ")
            message = text if not location else f"{text} (got {show(detail.get('input'))})"
        mistakes.add(SweepError(message, path=key_path))
    return SweepErrors(mistakes.found) if len(mistakes.found) > 1 else mistakes.found[0]


def _model_at(model: type[BaseModel], location: list[str]) -> type[BaseModel]:
    """The model of the mapping at ``location`` inside ``model`` (itself where none is found)."""
    for part in location:
        field = model.model_fields.get(part)
        if field is None:
            return model
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        nested = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nested is None:
            return model
        model = nested
    return model
