"""Searchers: how a sweep proposes configurations (``searcher.name`` in a sweep file).

One searcher per module; each exposes ``Options`` (its validated settings), ``check(options,
spec)`` (compatibility with the rest of the sweep, at load time) and ``build(options, spec)``
(the Ray Tune search algorithm, which enforces ``trials.max_concurrent`` and tries the warm
start's points first, and the parameter space; imports Ray lazily). Module flags say what a
searcher supports: ``CHOICES_ARE_GRID``, ``CONDITIONAL`` (keys that apply only in some trials),
``WARM_START`` (default true) and ``LEARNS_FROM_RESULTS`` (an earlier sweep's trials).
"""

from __future__ import annotations

import importlib
from types import ModuleType

SEARCHERS: dict[str, str] = {
    "random": "sweeps.searchers.random_search",
    "grid": "sweeps.searchers.grid_search",
    "tpe": "sweeps.searchers.tpe",
    "gp": "sweeps.searchers.gp",
    "bohb": "sweeps.searchers.bohb",
}


def searcher_module(name: str) -> ModuleType:
    return importlib.import_module(SEARCHERS[name])


__all__ = [
    "SEARCHERS",
    "searcher_module",
]
