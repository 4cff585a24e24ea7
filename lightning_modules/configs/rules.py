"""Cross-key rules: combinations of meta-parameters that cannot work together.

A rule names the keys it reads and returns a message when a combination is impossible. Config
classes run their rules when built (so a trial never starts with one), and the sweep loader runs
them over every combination of the searched values of those keys (so a sweep never starts with
one). ``given`` is the set of keys the user wrote (fixed or searched): a knob such as
``step_size`` is an error only when it is given without the schedule it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know of its data, known before any data is loaded.

    kind: "vector" (features,), "image" (channels, height, width) or "sequence" (length, features).
    num_classes: None for regression.
    """

    kind: str
    sample_shape: tuple[int, ...]
    num_classes: int | None

    @property
    def task(self) -> str:
        return "regression" if self.num_classes is None else "classification"

    def to_stored(self) -> dict[str, Any]:
        """Plain values, as a checkpoint's hyperparameters hold them."""
        return {
            "kind": self.kind,
            "sample_shape": list(self.sample_shape),
            "num_classes": self.num_classes,
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> DataInfo:
        return cls(stored["kind"], tuple(stored["sample_shape"]), stored["num_classes"])


Check = Callable[[dict[str, Any], set[str], "DataInfo | None"], "str | None"]


@dataclass(frozen=True)
class Rule:
    keys: tuple[str, ...]
    check: Check
    # For a knob that belongs to one setting of another key: (that key, the values it needs).
    needs: tuple[str, tuple[Any, ...]] | None = None


def knob_needs(knob: str, owner: str, allowed: tuple[Any, ...]) -> Rule:
    """``knob`` may only be given when ``owner`` is one of ``allowed``."""

    def check(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
        if knob in given and values[owner] not in allowed:
            wanted = " or ".join(repr(a) for a in allowed)
            return f"{knob} applies only when {owner} is {wanted}, not {values[owner]!r}"
        return None

    return Rule((knob, owner), check, needs=(owner, allowed))


def first_violation(
    rules: list[Rule], values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    for rule in rules:
        message = rule.check(values, given, data)
        if message:
            return message
    return None
