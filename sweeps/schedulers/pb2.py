"""Population-based bandits (``scheduler: {name: pb2}``): PBT whose explore step is chosen by a
Gaussian-process bandit over the mutated keys' ranges instead of random perturbation, which
makes small populations effective. Mutated keys must be numeric ranges (int/float, log ones are
explored on their raw scale); exploits work as in PBT.
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
    numeric_bounds,
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
    quantile_fraction: float = Field(
        0.25, gt=0.0, le=0.5, description="share of the population copied from / to"
    )
    mutate: list[str] | None = Field(
        None, min_length=1, description="searched keys to explore; default: every mutable one"
    )
    synch: bool = Field(False, description="wait for the whole population at each perturbation")


TRAITS = SchedulerTraits(
    one_objective="it fits one metric's improvement to choose new values; use asha, hyperband or median (they judge the first objective)",
    checkpoint_keep=CHECKPOINT_KEEP,
)


def _bounds(options: Options, problem: ScheduleProblem) -> dict[str, list[float]]:
    keys = mutated_keys(options.mutate, problem, "pb2")
    paths = {
        key: f"scheduler.mutate[{options.mutate.index(key)}]" if options.mutate else f"space.{key}"
        for key in keys
    }
    return {key: numeric_bounds(problem.space[key], key, paths[key]) for key in keys}


def fitted(options: Options, problem: ScheduleProblem) -> Options:
    return fitted_interval(options, problem)


def check(options: Options, problem: ScheduleProblem) -> None:
    _bounds(options, problem)
    check_exploits_are_safe(problem, options, "pb2")


def decision_epochs(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return options.perturbation_interval, frozenset()


def auto_checkpoints(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return options.perturbation_interval, frozenset()  # exploits copy the donor's latest checkpoint


def build(options: Options, problem: ScheduleProblem) -> Any:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.schedulers.pb2 import PB2

    bounds = _bounds(options, problem)
    return PB2(
        time_attr=TIME_ATTR,
        perturbation_interval=options.perturbation_interval,
        # Ray annotates a Dict of any bounds, where these are lists (a dict's values are invariant).
        hyperparam_bounds=bounds,  # type: ignore[arg-type]
        quantile_fraction=options.quantile_fraction,
        custom_explore_fn=within_space(dict(problem.space), list(bounds)),
        synch=options.synch,
    )
