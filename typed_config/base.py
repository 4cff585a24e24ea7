"""The base class of every typed configuration: the model families' and data sets', and the
sweep definition's options."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar, cast

from pydantic import BaseModel, ConfigDict, model_validator

from typed_config.rules import Rule, first_violation

Config = TypeVar("Config", bound="ArgsModel")  # the class ``from_stored`` is called on


class ArgsModel(BaseModel):
    """Strict and closed: a misspelt key or a string where a number belongs is an error, not a
    silently ignored or coerced value. Frozen so a config can key a per-process cache."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # Keys a running trial may take a new value of (population-based training continues a trial
    # from a checkpoint with mutated values): they act through the optimizer, the loss, the
    # batches or dropout, never through the network's shape or state that a checkpoint restores.
    mutable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def mutable_keys(cls) -> frozenset[str]:
        return frozenset().union(
            *(vars(klass).get("mutable", frozenset()) for klass in cls.__mro__)
        )

    @classmethod
    def rules(cls) -> list[Rule]:
        """The cross-key rules of this config (see ``typed_config.rules``)."""
        return []

    @model_validator(mode="after")
    def _check_rules(self):
        message = first_violation(self.rules(), self.model_dump(), set(self.model_fields_set), None)
        if message:
            raise ValueError(message)
        return self

    def to_stored(self) -> dict[str, Any]:
        """Plain values for a checkpoint: every value, and which keys were given. Rules such as
        "step_size needs schedule step" apply to given keys only, so both are kept."""
        return {"values": self.model_dump(), "given": sorted(self.model_fields_set)}

    @classmethod
    def from_stored(cls: type[Config], stored: dict[str, Any]) -> Config:
        """The config ``to_stored`` wrote: the given keys validated (rules included), every other
        value as stored rather than today's default, should a default ever change."""
        values, given = stored["values"], set(stored["given"])
        cls.model_validate({key: value for key, value in values.items() if key in given})
        # A Config: pydantic's mypy plugin types model_construct as the declaring class's.
        return cast(Config, cls.model_construct(_fields_set=given, **values))
