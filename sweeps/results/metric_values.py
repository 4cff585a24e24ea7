"""Which way is better for a logged metric: the sweep's ``mode`` for its own metric, and by name
for the others (losses go down, accuracies go up)."""

from __future__ import annotations

import math
from typing import Any


def direction(name: str, metric: str, mode: str) -> str:
    if name == metric:
        return mode
    return "max" if "accuracy" in name else "min"


def better(a: float, b: float, mode: str) -> float:
    return max(a, b) if mode == "max" else min(a, b)


def is_number(value: Any) -> bool:
    """A real number (booleans are not), NaN and infinities included."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    return is_number(value) and math.isfinite(value)
