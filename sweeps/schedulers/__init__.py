"""Trial schedulers: which trials keep running (``scheduler.name`` in a sweep file).

One scheduler per module; each exposes ``Options``, ``check(options, spec)`` and
``build(options, spec)`` (the Ray Tune scheduler; imports Ray lazily). Time is measured in
epochs: every trial reports ``epoch`` (completed epochs) with each result.
"""

from __future__ import annotations

import importlib
from types import ModuleType

SCHEDULERS: dict[str, str] = {
    "fifo": "sweeps.schedulers.fifo",
    "asha": "sweeps.schedulers.asha",
    "hyperband": "sweeps.schedulers.hyperband",
    "median": "sweeps.schedulers.median",
    "pbt": "sweeps.schedulers.pbt",
    "pb2": "sweeps.schedulers.pb2",
}

TIME_ATTR = "epoch"


def scheduler_module(name: str) -> ModuleType:
    return importlib.import_module(SCHEDULERS[name])
