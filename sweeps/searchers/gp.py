"""Gaussian-process Bayesian optimisation (``searcher: {name: gp}``), Optuna's GP sampler.

After ``n_startup_trials`` seeded random proposals, a Gaussian process (Matern kernel) is fitted
to every finished trial's final metric, and each proposal maximises its expected improvement.
Best for a handful of continuous keys and small budgets. With several objectives, one process per
objective and proposals that maximise the expected hypervolume improvement; with constraints, a
process per constraint too, and the improvement weighted by the chance of keeping them.
"""

from __future__ import annotations

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


TRAITS = SearcherTraits(
    # Proposes only the keys that apply (define-by-run).
    conditional=True,
    # Warm start: learns from an earlier sweep's trials.
    learns_from_results=True,
)


def check(options: Options, problem: SearchProblem) -> None:
    check_sampled_space(problem, "gp")


def build(options: Options, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:
    # Imported here: Optuna loads only for the searchers that use it.
    import optuna

    sampler = optuna.samplers.GPSampler(
        seed=problem.seed if options.seed is None else options.seed,
        n_startup_trials=options.n_startup_trials,
    )
    return build_optuna(sampler, problem)
