"""Which way is better for a logged metric: each objective's ``mode`` for its metric, and by name
for the others (losses go down, accuracies go up)."""

from __future__ import annotations

import math
from typing import Any, TypeGuard


def direction(name: str, modes: dict[str, str]) -> str:
    """Which way ``name`` improves: an objective's mode, else up for accuracies, down otherwise."""
    if name in modes:
        return modes[name]
    return "max" if "accuracy" in name else "min"


def better(a: float, b: float, mode: str) -> float:
    return max(a, b) if mode == "max" else min(a, b)


def is_number(value: Any) -> TypeGuard[float]:
    """A real number (booleans are not), NaN and infinities included."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> TypeGuard[float]:
    return is_number(value) and math.isfinite(value)
