"""What PBT and PB2 share: which searched keys may mutate, the checks that make an exploit safe,
and keeping mutated values inside the space the sweep file wrote.

An exploit continues a trial from another trial's latest checkpoint with new values for the
mutated keys. That needs a checkpoint at every perturbation (``checkpoint.every`` dividing
``perturbation_interval``), checkpoints kept long enough for other trials to copy them
(``checkpoint.keep`` null or above 2), and mutated keys that a checkpoint can continue under:
optimizer settings, regularisation, batch size, dropout, augmentation; not the network's shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sweeps.errors import SweepError
from sweeps.sweep_file.space import Choice, FloatRange, Grid, IntRange, Param, Steps

if TYPE_CHECKING:
    from sweeps.schedulers import ScheduleProblem


def mutated_keys(listed: list[str] | None, problem: ScheduleProblem, scheduler: str) -> list[str]:
    """The keys to mutate: those listed under ``mutate``, or every mutable searched key."""
    allowed = problem.mutable_keys
    if listed is None:
        every_trial = [
            key
            for key in problem.space
            if key in allowed
            and key not in problem.conditional_keys
            and (not problem.users_model or _real_valued(problem.space[key]))
        ]
        if not every_trial:
            raise SweepError(
                f"{scheduler} mutates searched keys, but none of the searched keys can change during a trial "
                "(conditional keys cannot: not every trial has them); search lr, weight_decay, dropout or "
                "another training key",
                path="space",
            )
        return every_trial
    for index, key in enumerate(listed):
        where = f"scheduler.mutate[{index}]"
        if key not in problem.space:
            raise SweepError(
                f"{key!r} is not a searched key; mutations must be keys under space: "
                f"({', '.join(problem.space) or 'none'})",
                path=where,
            )
        if key not in allowed:
            raise SweepError(
                f"{key!r} cannot change during a trial (a checkpoint could not continue under a new "
                f"value); mutable searched keys: {', '.join(sorted(allowed)) or 'none'}",
                path=where,
            )
        if key in problem.conditional_keys:
            raise SweepError(
                f"{key!r} applies only in some trials, and a trial that exploits another may not have it; "
                "mutate keys that every trial has",
                path=where,
            )
    return list(listed)


def _real_valued(param: Param) -> bool:
    return isinstance(param, FloatRange) or (isinstance(param, Steps) and not param.integer)


# checkpoint.keep unless the sweep sets it: checkpoints outlive the next perturbation, so that the
# trials exploiting a donor still find its latest one (see check_exploits_are_safe).
CHECKPOINT_KEEP = 4
DEFAULT_INTERVAL = 4  # epochs between perturbations, unless trials are shorter


def fitted_interval(options: Any, problem: ScheduleProblem) -> Any:
    """``options`` with ``perturbation_interval``, when the sweep does not set it, fitted to its
    trials: every 4 epochs, or every half of a shorter trial."""
    if "perturbation_interval" in options.model_fields_set or problem.max_epochs < 2:
        return options  # too short a trial to perturb: check_exploits_are_safe says so
    interval = max(1, min(DEFAULT_INTERVAL, problem.max_epochs // 2))
    return options.model_copy(update={"perturbation_interval": interval})


# The searchers that only draw a population's first values (Tune refuses any other with a
# population-based scheduler, mid-run, in a traceback).
POPULATION_SEARCHERS = ("random", "grid")


def check_exploits_are_safe(problem: ScheduleProblem, options: Any, scheduler: str) -> None:
    if problem.searcher_name not in POPULATION_SEARCHERS:
        raise SweepError(
            f"{scheduler} draws its population's first values and then explores from the best "
            f"trials itself, so no model-based searcher can guide it; use searcher random or "
            f"grid (got {problem.searcher_name})",
            path="searcher.name",
        )
    interval = options.perturbation_interval
    if problem.checkpoint_every != "auto" and interval % problem.checkpoint_every:
        raise SweepError(
            f"{scheduler} exploits every {interval} epochs from the donor's latest checkpoint, so checkpoint.every "
            f"({problem.checkpoint_every}) must divide scheduler.perturbation_interval",
            path="checkpoint.every",
        )
    if problem.checkpoint_keep is not None and problem.checkpoint_keep <= 2:
        raise SweepError(
            f"{scheduler} needs checkpoints to outlive the next perturbation so that other trials can copy them; "
            f"set checkpoint.keep to null or more than 2 (got {problem.checkpoint_keep})",
            path="checkpoint.keep",
        )
    if interval >= problem.max_epochs:
        if "perturbation_interval" not in options.model_fields_set:
            raise SweepError(
                f"{scheduler} perturbs trials between epochs, and stop.max_epochs {problem.max_epochs} "
                "leaves no epoch to perturb after; train at least 2 epochs, or use another scheduler",
                path="stop.max_epochs",
            )
        raise SweepError(
            f"perturbation_interval {interval} is not below stop.max_epochs {problem.max_epochs}; "
            "no trial would ever be perturbed",
            path="scheduler.perturbation_interval",
        )


def within_space(space: dict[str, Param], keys: list[str]):
    """A PBT/PB2 ``custom_explore_fn``: perturbing by a factor can leave the range the sweep file
    allows (a dropout of 1.1) and PB2 proposes floats for integer keys; both are put back."""

    def explore(config: dict[str, Any]) -> dict[str, Any]:
        for key in keys:
            param = space[key]
            if key in config and isinstance(param, Steps):
                config[key] = min(param.values, key=lambda value: abs(value - float(config[key])))
                continue
            if key not in config or not isinstance(param, (IntRange, FloatRange)):
                continue
            value = min(max(float(config[key]), param.low), param.high)
            config[key] = int(round(value)) if isinstance(param, IntRange) else value
        return config

    return explore


def mutation_domain(param: Param) -> Any:
    """What PBT resamples from: a list of values (perturbed to a neighbour) or a Tune domain."""
    if isinstance(param, (Choice, Grid)):
        return param.representatives()
    return param.to_tune()


def numeric_bounds(param: Param, key: str, path: str) -> list[float]:
    """PB2's bounds for one key: its range (PB2 models numbers only)."""
    if isinstance(param, Steps):
        return [float(param.low), float(param.values[-1])]
    if not isinstance(param, (IntRange, FloatRange)):
        raise SweepError(
            f"PB2 explores numeric ranges only; {key!r} is a {param.kind} key "
            "(use pbt, or leave it out of mutate)",
            path=path,
        )
    return [float(param.low), float(param.high)]
