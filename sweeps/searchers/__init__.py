"""Searchers: how a sweep proposes configurations (``searcher.name`` in a sweep file).

One searcher per module, each a ``Searcher`` (below): ``Options`` (its validated settings),
``check(options, problem)`` (compatibility with the rest of the sweep, at load time) and
``build(options, problem)`` (the Ray Tune search algorithm, which enforces
``trials.max_concurrent`` and tries the warm start's points first, and the parameter space;
imports Ray lazily). A searcher is given a ``SearchProblem``, the part of the sweep it may use.
Module flags say what a searcher supports: ``CHOICES_ARE_GRID``, ``CONDITIONAL`` (keys that apply
only in some trials), ``WARM_START`` (default true) and ``LEARNS_FROM_RESULTS`` (an earlier
sweep's trials).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from sweeps.spec.conditions import Conditions
    from sweeps.spec.space import Param

SEARCHERS: dict[str, str] = {
    "random": "sweeps.searchers.random_search",
    "grid": "sweeps.searchers.grid_search",
    "tpe": "sweeps.searchers.tpe",
    "gp": "sweeps.searchers.gp",
    "bohb": "sweeps.searchers.bohb",
}


@dataclass(frozen=True)
class SearchProblem:
    """What a searcher is given of a sweep (``SweepSpec.search_problem``), and nothing else."""

    space: Mapping[str, Param]
    conditions: Conditions
    metric: str
    mode: str
    seed: int
    max_concurrent: int | None
    points: tuple[dict[str, Any], ...]  # the warm start's configurations, tried first
    learned: tuple[tuple[dict[str, Any], float], ...]  # earlier (config, metric) to learn from
    scheduler_name: str


class Searcher(Protocol):
    """A searcher module."""

    Options: type
    CHOICES_ARE_GRID: bool
    CONDITIONAL: bool

    def check(self, options: Any, problem: SearchProblem) -> None: ...

    def build(self, options: Any, problem: SearchProblem) -> tuple[Any, dict[str, Any]]: ...


def searcher_module(name: str) -> Searcher:
    return cast(Searcher, importlib.import_module(SEARCHERS[name]))


def build_searcher(spec: Any) -> tuple[Any, dict[str, Any]]:
    """The sweep's own searcher, built: (Tune's search algorithm, the param_space for Tune)."""
    return searcher_module(spec.searcher_name).build(spec.searcher, spec.search_problem())


__all__ = [
    "SEARCHERS",
    "SearchProblem",
    "Searcher",
    "build_searcher",
    "searcher_module",
]
