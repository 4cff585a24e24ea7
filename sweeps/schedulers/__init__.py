"""Trial schedulers: which trials keep running (``scheduler.name`` in a sweep file).

One scheduler per module; each exposes ``Options``, ``check(options, spec)`` and
``build(options, spec)`` (the Ray Tune scheduler; imports Ray lazily). Time is measured in
epochs: every trial reports ``epoch`` (completed epochs) with each result.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sweeps.errors import SweepError

SCHEDULERS: dict[str, str] = {
    "fifo": "sweeps.schedulers.fifo",
    "asha": "sweeps.schedulers.asha",
    "hyperband": "sweeps.schedulers.hyperband",
    "median": "sweeps.schedulers.median",
    "pbt": "sweeps.schedulers.pbt",
    "pb2": "sweeps.schedulers.pb2",
}

TIME_ATTR = "epoch"


def largest_budget(max_t: int | None, spec: Any, subject: str, consequence: str) -> int:
    """A scheduler's ``max_t`` in epochs (``stop.max_epochs`` unless set), refused when larger
    than ``stop.max_epochs``: no trial would ever train that long."""
    budget = max_t or spec.stop.max_epochs
    if budget > spec.stop.max_epochs:
        raise SweepError(f"{subject} {budget} is larger than stop.max_epochs {spec.stop.max_epochs}; {consequence}",
                         path="scheduler.max_t")
    return budget


def scheduler_module(name: str) -> ModuleType:
    return importlib.import_module(SCHEDULERS[name])
