"""Turning pydantic validation errors into the one-line messages a sweep file's author reads."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sweeps.errors import SweepError, show

M = TypeVar("M", bound=BaseModel)


def validate_section(model: type[M], raw: Any, path: str) -> M:
    """Validate ``raw`` as ``model``; the first problem becomes a SweepError at ``path.key``."""
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
    details = error.errors()
    first = details[0]
    location = [str(part) for part in first["loc"] if part != "__root__"]
    key_path = ".".join([path, *location]) if path else ".".join(location)
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(sorted(model.model_fields))
        message = f"unknown key; allowed here: {allowed}"
    elif kind == "missing":
        message = "required key is missing"
    else:
        text = first["msg"].removeprefix("Value error, ")
        message = text if not location else f"{text} (got {show(first.get('input'))})"
    more = len(details) - 1
    if more:
        message += f" [and {more} more problem{'s' if more > 1 else ''}]"
    return SweepError(message, path=key_path)
