"""BOHB (``searcher: {name: bohb}``): Bayesian optimisation with HyperBand budgets.

A TPE-style model (kernel densities over the good and the bad configurations, from hpbandster)
proposes configurations, and HyperBand decides how many epochs each gets; the model learns from
the largest budget with enough results. The matching scheduler (HyperBand for BOHB) is wired in
automatically: leave ``scheduler`` out or name ``hyperband`` to set its options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.errors import SweepError
from sweeps.searchers import SearcherTraits
from sweeps.searchers.optuna_space import check_sampled_space
from sweeps.sweep_file.space import Choice
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.searchers import SearchProblem


class Options(ArgsModel):
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="defaults to the sweep's seed")


TRAITS = SearcherTraits(
    one_objective="its model and its HyperBand brackets rank trials by one metric; use tpe or nsga2 with scheduler hyperband",
    scheduler="hyperband",
)


def check(options: Options, problem: SearchProblem) -> None:
    check_sampled_space(problem, "bohb")
    if problem.scheduler_name != TRAITS.scheduler:
        raise SweepError(
            f"the bohb searcher runs with its own HyperBand scheduler, not {problem.scheduler_name}; "
            f"leave scheduler out or write scheduler: {{name: {TRAITS.scheduler}}} to set its options",
            path="scheduler.name",
        )
    for key, param in problem.space.items():
        if isinstance(param, Choice) and any(
            isinstance(value, list) for value in param.representatives()
        ):
            raise SweepError(
                "the bohb searcher cannot propose lists; use tpe, or one key per list entry",
                path=f"space.{key}",
            )


def build(options: Options, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.search import ConcurrencyLimiter, Searcher
    from ray.tune.search.bohb import TuneBOHB

    param_space = {key: param.to_tune() for key, param in problem.space.items()}
    searcher: Searcher = TuneBOHB(
        metric=problem.metric,
        mode=problem.mode,
        seed=problem.seed if options.seed is None else options.seed,
        points_to_evaluate=[dict(point) for point in problem.points] or None,
    )
    if problem.max_concurrent:
        searcher = ConcurrencyLimiter(searcher, max_concurrent=problem.max_concurrent)
    return searcher, param_space
