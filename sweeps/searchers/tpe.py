"""Tree-structured Parzen estimators (``searcher: {name: tpe}``), Optuna's TPE sampler.

The first ``n_startup_trials`` configurations are sampled at random (seeded); after that each
proposal maximises the ratio of a density fitted to the good trials over one fitted to the rest.
Every trial's final metric is what the model learns from, so ASHA-stopped trials count too. With
several objectives it is Optuna's multi-objective TPE: the good trials are those of the best
Pareto ranks; with constraints, infeasible trials count among the bad ones.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.searchers import SearcherTraits
from sweeps.searchers.optuna_space import build_optuna, check_sampled_space
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.searchers import SearchProblem


class Options(ArgsModel):
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="defaults to the sweep's seed")
    n_startup_trials: int = Field(
        8, ge=1, le=10_000, description="random proposals before the model is used"
    )
    multivariate: bool = Field(True, description="model the keys jointly instead of one by one")


TRAITS = SearcherTraits(
    # Proposes only the keys that apply (define-by-run).
    conditional=True,
    # Warm start: learns from an earlier sweep's trials.
    learns_from_results=True,
)


def check(options: Options, problem: SearchProblem) -> None:
    check_sampled_space(problem, "tpe")


def build(options: Options, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:

    # Imported here: Optuna loads only for the searchers that use it.
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", optuna.exceptions.ExperimentalWarning
        )  # multivariate, group
        sampler = optuna.samplers.TPESampler(
            seed=problem.seed if options.seed is None else options.seed,
            n_startup_trials=options.n_startup_trials,
            multivariate=options.multivariate,
            group=options.multivariate,  # keys that exist only in some trials form their own groups
        )
    return build_optuna(sampler, problem)
