"""The base class of every model and data configuration."""

from pydantic import BaseModel, ConfigDict


class ArgsModel(BaseModel):
    """Strict and closed: a misspelt key or a string where a number belongs is an error, not a
    silently ignored or coerced value. Frozen so a config can key a per-process cache."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
