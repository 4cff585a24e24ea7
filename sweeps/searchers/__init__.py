"""Searchers: how a sweep proposes configurations (``searcher.name`` in a sweep file).

One searcher per module, each a ``Searcher`` (below): ``Options`` (its validated settings),
``check(options, problem)`` (compatibility with the rest of the sweep, at load time) and
``build(options, problem)`` (the Ray Tune search algorithm, which enforces
``trials.max_concurrent`` and tries the warm start's points first, and the parameter space;
imports Ray lazily). A searcher is given a ``SearchProblem``, the part of the sweep it may use,
and declares what it supports as its ``TRAITS`` (a ``SearcherTraits``, every field defaulted).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from sweeps.sweep_file.conditions import Conditions
    from sweeps.sweep_file.objectives import Constraint, Objective
    from sweeps.sweep_file.space import Param
    from typed_config.base import ArgsModel

SEARCHERS: dict[str, str] = {
    "random": "sweeps.searchers.random_search",
    "grid": "sweeps.searchers.grid_search",
    "tpe": "sweeps.searchers.tpe",
    "gp": "sweeps.searchers.gp",
    "bohb": "sweeps.searchers.bohb",
    "nsga2": "sweeps.searchers.nsga2",
}


@dataclass(frozen=True)
class SearchProblem:
    """What a searcher is given of a sweep (``SweepDefinition.search_problem``), and nothing else."""

    space: Mapping[str, Param]
    conditions: Conditions
    metric: str  # the first objective's
    mode: str
    seed: int
    max_concurrent: int | None
    points: tuple[dict[str, Any], ...]  # the warm start's configurations, tried first
    # earlier (config, each objective's final value) to learn from
    learned: tuple[tuple[dict[str, Any], tuple[float, ...]], ...]
    scheduler_name: str
    objectives: tuple[Objective, ...] = ()  # every objective, the first one leading
    constraints: tuple[Constraint, ...] = ()
    trial_count: int = 0  # how many trials the sweep runs at most

    @property
    def metrics(self) -> list[str]:
        return [objective.metric for objective in self.objectives] or [self.metric]

    @property
    def modes(self) -> list[str]:
        return [objective.mode for objective in self.objectives] or [self.mode]


@dataclass(frozen=True)
class SearcherTraits:
    """What a searcher supports, declared by its module (``TRAITS``)."""

    # Searched choices are combined as a grid (every value once) rather than sampled.
    choices_are_grid: bool = False
    # It handles keys that apply only in some trials (``when:``).
    conditional: bool = False
    # An earlier sweep's best configurations may be tried first (``warm_start``).
    warm_start: bool = True
    # It learns from an earlier sweep's trials and their results (the warm start's).
    learns_from_results: bool = False
    # Why it cannot search for several objectives' front, where it cannot.
    one_objective: str | None = None
    # The scheduler a sweep with this searcher gets unless it names one.
    scheduler: str = "fifo"


class Searcher(Protocol):
    """A searcher module."""

    Options: type
    TRAITS: SearcherTraits

    def check(self, options: Any, problem: SearchProblem) -> None: ...

    def build(self, options: Any, problem: SearchProblem) -> tuple[Any, dict[str, Any]]: ...


def searcher_module(name: str) -> Searcher:
    return cast(Searcher, importlib.import_module(SEARCHERS[name]))


def build_searcher(
    name: str, options: ArgsModel, problem: SearchProblem
) -> tuple[Any, dict[str, Any]]:
    """The sweep's own searcher, built: (Tune's search algorithm, the param_space for Tune)."""
    return searcher_module(name).build(options, problem)


__all__ = [
    "SEARCHERS",
    "SearchProblem",
    "Searcher",
    "build_searcher",
    "searcher_module",
]
