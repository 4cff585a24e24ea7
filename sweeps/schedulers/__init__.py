"""Trial schedulers: which trials keep running (``scheduler.name`` in a sweep file).

One scheduler per module; each exposes ``Options``, ``check(options, spec)`` and
``build(options, spec)`` (the Ray Tune scheduler; imports Ray lazily). Time is measured in
epochs: every trial reports ``epoch`` (completed epochs) with each result. A scheduler that judges
trials at known epochs exposes ``decision_epochs(options, spec)`` (an epoch period, and single
epochs), where trials report at once instead of batching epochs (sweeps.results.epoch_results); one that
needs checkpoints there (to pause or copy trials) exposes ``auto_checkpoints`` alike, where
``checkpoint: {every: auto}`` saves (see ``checkpoint_schedule``).
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
        raise SweepError(
            f"{subject} {budget} is larger than stop.max_epochs {spec.stop.max_epochs}; {consequence}",
            path="scheduler.max_t",
        )
    return budget


def checkpoint_schedule(spec: Any) -> tuple[int, frozenset[int], float | None]:
    """When a sweep's trials checkpoint: (every N epochs or 0, the epochs that must have one,
    the most seconds of training between two or None). The last epoch always has one."""
    every = spec.checkpoint.every
    if every != "auto":
        return every, frozenset(), None
    module = scheduler_module(spec.scheduler_name)
    auto = getattr(module, "auto_checkpoints", None)
    period, epochs = auto(spec.scheduler, spec) if auto else (0, frozenset())
    return period, epochs, spec.checkpoint.interval_s


def report_schedule(spec: Any) -> tuple[int, frozenset[int]]:
    """Where a sweep's trials report at once: (every N epochs or 0, single epochs)."""
    decisions = getattr(scheduler_module(spec.scheduler_name), "decision_epochs", None)
    return decisions(spec.scheduler, spec) if decisions else (0, frozenset())


def scheduler_module(name: str) -> ModuleType:
    return importlib.import_module(SCHEDULERS[name])


__all__ = [
    "SCHEDULERS",
    "TIME_ATTR",
    "checkpoint_schedule",
    "largest_budget",
    "report_schedule",
    "scheduler_module",
]
