"""Cross-key rules: combinations of values that cannot work together.

A rule names the keys it reads and returns a message when a combination is impossible. Config
classes run their rules when built (so a trial never starts with one), and the sweep loader runs
them over every combination of the searched values of those keys (so a sweep never starts with
one). ``given`` is the set of keys the user wrote (fixed or searched): a knob such as
``step_size`` is an error only when it is given without the schedule it belongs to. ``context``
is what the rules of a configuration are judged in besides its values (a model's: its data, a
``lightning_modules.configs.data_info.DataInfo``), or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[dict[str, Any], set[str], Any], "str | None"]


@dataclass(frozen=True)
class Rule:
    keys: tuple[str, ...]
    check: Check
    # For a knob that belongs to one setting of another key: (that key, the values it needs).
    needs: tuple[str, tuple[Any, ...]] | None = None


def knob_needs(knob: str, owner: str, allowed: tuple[Any, ...]) -> Rule:
    """``knob`` may only be given when ``owner`` is one of ``allowed``."""

    def check(values: dict[str, Any], given: set[str], context: Any) -> str | None:
        if knob in given and values[owner] not in allowed:
            wanted = " or ".join(repr(a) for a in allowed)
            return f"{knob} applies only when {owner} is {wanted}, not {values[owner]!r}"
        return None

    return Rule((knob, owner), check, needs=(owner, allowed))


def first_violation(
    rules: list[Rule], values: dict[str, Any], given: set[str], context: Any
) -> str | None:
    for rule in rules:
        message = rule.check(values, given, context)
        if message:
            return message
    return None
