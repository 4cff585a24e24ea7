"""Population-based training (``scheduler: {name: pbt}``).

Every ``perturbation_interval`` epochs, a trial in the bottom ``quantile_fraction`` of the
population continues from the latest checkpoint of a trial in the top fraction (its weights and
optimizer state) with that trial's hyperparameters mutated: each mutated key is resampled from
its space with ``resample_probability``, otherwise multiplied by one of ``perturbation_factors``
(a choice moves to a neighbouring value). The mutated values are in force from the next step;
they are kept inside the ranges the sweep file wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.schedulers import TIME_ATTR, SchedulerTraits
from sweeps.schedulers.population import (
    CHECKPOINT_KEEP,
    check_exploits_are_safe,
    fitted_interval,
    mutated_keys,
    mutation_domain,
    within_space,
)
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.schedulers import ScheduleProblem


class Options(ArgsModel):
    perturbation_interval: int = Field(
        4,
        ge=1,
        le=100_000,
        description="epochs between exploit/explore steps (default: 4, or half of a shorter trial)",
    )
    burn_in_period: int = Field(
        0, ge=0, le=100_000, description="epochs before the first perturbation"
    )
    quantile_fraction: float = Field(
        0.25, gt=0.0, le=0.5, description="share of the population copied from / to"
    )
    resample_probability: float = Field(
        0.25, ge=0.0, le=1.0, description="chance of resampling instead of perturbing"
    )
    perturbation_factors: list[float] = Field(
        [1.2, 0.8],
        min_length=2,
        max_length=2,
        description="factors a numeric key is multiplied by (up, down)",
    )
    mutate: list[str] | None = Field(
        None, min_length=1, description="searched keys to mutate; default: every mutable one"
    )
    synch: bool = Field(False, description="wait for the whole population at each perturbation")


TRAITS = SchedulerTraits(
    one_objective="it copies the best trials' checkpoints over the worst, which needs one order of the trials; use asha, hyperband or median (they judge the first objective)",
    checkpoint_keep=CHECKPOINT_KEEP,
)


def fitted(options: Options, problem: ScheduleProblem) -> Options:
    return fitted_interval(options, problem)


def check(options: Options, problem: ScheduleProblem) -> None:
    mutated_keys(options.mutate, problem, "pbt")
    check_exploits_are_safe(problem, options, "pbt")


def decision_epochs(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return options.perturbation_interval, frozenset()


def auto_checkpoints(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return options.perturbation_interval, frozenset()  # exploits copy the donor's latest checkpoint


def build(options: Options, problem: ScheduleProblem) -> Any:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.schedulers import PopulationBasedTraining

    keys = mutated_keys(options.mutate, problem, "pbt")
    up, down = options.perturbation_factors  # two, as the options require
    return PopulationBasedTraining(
        time_attr=TIME_ATTR,
        perturbation_interval=options.perturbation_interval,
        burn_in_period=options.burn_in_period,
        hyperparam_mutations={key: mutation_domain(problem.space[key]) for key in keys},
        quantile_fraction=options.quantile_fraction,
        resample_probability=options.resample_probability,
        perturbation_factors=(up, down),
        custom_explore_fn=within_space(dict(problem.space), keys),
        synch=options.synch,
    )
