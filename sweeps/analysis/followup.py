"""A follow-up sweep narrowed around the best trials: each plainly searched range shrinks to
what the top trials used (with a margin, inside the original bounds), each choice keeps the
values they used; conditional and per-layer keys stay as they were. When the best trials
underfit and were still improving, it trains longer. The file validates like any sweep."""

from __future__ import annotations

import copy
import math
from typing import Any

from sweeps.analysis.diagnosis import Diagnosis
from sweeps.analysis.results import SweepResults
from sweeps.results import schema

TOP = 5
RANGES = ("int", "logint", "float", "logfloat")


def followup_sweep(results: SweepResults, diagnoses: list[Diagnosis]) -> dict[str, Any]:
    raw = copy.deepcopy(results.raw)
    raw["name"] = f"{results.name}_followup"[:100]
    top = results.ranked()[:TOP]
    for key, entry in raw.get("space", {}).items():
        if not isinstance(entry, dict) or len(entry) != 1 or not top:
            continue  # conditional (when:) or per-layer entries are kept as they were
        ((kind, body),) = entry.items()
        used = [
            row.get(schema.CONFIG.named(key=key))
            for row in top
            if row.get(schema.CONFIG.named(key=key)) is not None
        ]
        if not used:
            continue
        if kind in RANGES:
            entry[kind] = _narrow(kind, body, used)
        elif kind in ("choice", "grid"):
            kept = [value for value in body if any(_same(value, u) for u in used)]
            entry[kind] = kept or body
    if diagnoses and diagnoses[0].verdict == "underfits" and diagnoses[0].still_improving:
        stop = raw.setdefault("stop", {})
        stop["max_epochs"] = math.ceil(1.5 * stop.get("max_epochs", 10))
    raw.pop("warm_start", None)  # the earlier points may lie outside the narrowed space
    return raw


def _narrow(kind: str, bounds: list[Any], used: list[Any]) -> list[Any]:
    low, high = bounds
    if kind.startswith("log"):
        a, b = max(low, min(used) / 2), min(high, max(used) * 2)
    else:
        margin = 0.1 * (high - low)
        a, b = max(low, min(used) - margin), min(high, max(used) + margin)
    if kind in ("int", "logint"):
        a, b = max(low, math.floor(a)), min(high, math.ceil(b))
        if a == b:
            a, b = max(low, a - 1), min(high, b + 1)
        return [int(a), int(b)]
    a, b = max(low, float(f"{a:.6g}")), min(high, float(f"{b:.6g}"))
    return [float(low), float(high)] if a >= b else [a, b]


def _same(value: Any, used: Any) -> bool:
    return (
        value == used
        and type(value) is type(used)
        or (isinstance(value, list) and list(value) == list(used))
    )
