"""NSGA-II (``searcher: {name: nsga2}``), Optuna's genetic algorithm for several objectives.

Each generation of ``population_size`` trials is bred from the best of the trials so far: parents
are picked by Pareto rank (fewer trials dominate them) and, within a rank, by how far they are
from their neighbours on the front (crowding distance), so the front spreads instead of bunching.
Children mix their parents' values (crossover) and mutate; the first generation is random
(seeded). With constraints, a feasible trial always ranks before an infeasible one, and
infeasible ones rank by how far they break the constraints. One objective works too (a plain
genetic algorithm), but TPE learns faster there.
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
    population_size: int | None = Field(
        None,
        ge=2,
        le=10_000,
        description="trials per generation; default: a quarter of the sweep's trials, 4 to 50, "
        "so that a sweep sees at least four generations",
    )
    mutation_prob: float | None = Field(
        None, gt=0.0, le=1.0, description="per key; default 1 / the number of keys"
    )
    crossover_prob: float = Field(0.9, ge=0.0, le=1.0, description="per child")


def population_size(options: Options, problem: SearchProblem) -> int:
    if options.population_size is not None:
        return options.population_size
    return max(4, min(50, problem.trial_count // 4))


TRAITS = SearcherTraits(
    # Proposes only the keys that apply (define-by-run).
    conditional=True,
    # Its generations are its own trials; warm start: points only.
    learns_from_results=False,
)


def check(options: Options, problem: SearchProblem) -> None:
    check_sampled_space(problem, "nsga2")


def build(options: Options, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:
    # Imported here: Optuna loads only for the searchers that use it.
    from sweeps.searchers.nsga2_sampler import PicklableNSGAIISampler

    sampler = PicklableNSGAIISampler(
        population_size=population_size(options, problem),
        mutation_prob=options.mutation_prob,
        crossover_prob=options.crossover_prob,
        seed=problem.seed if options.seed is None else options.seed,
    )
    return build_optuna(sampler, problem)
