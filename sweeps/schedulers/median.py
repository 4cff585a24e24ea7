"""Median stopping (``scheduler: {name: median}``).

After ``grace_period`` epochs, a trial is stopped when its best result so far is worse than the
median of the other trials' running averages at the same epoch, once at least
``min_samples_required`` trials have reached it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.errors import SweepError
from sweeps.schedulers import TIME_ATTR, SchedulerTraits
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.schedulers import ScheduleProblem


class Options(ArgsModel):
    grace_period: int = Field(
        1, ge=1, description="epochs every trial gets before it may be stopped"
    )
    min_samples_required: int = Field(
        3, ge=1, le=10_000, description="trials to compare with before stopping any"
    )


TRAITS = SchedulerTraits()


def check(options: Options, problem: ScheduleProblem) -> None:
    if (
        options.grace_period >= problem.max_epochs
        and "grace_period" not in options.model_fields_set
    ):
        raise SweepError(
            f"median stopping compares trials between epochs, and stop.max_epochs {problem.max_epochs} "
            "leaves no epoch to stop a trial before; train at least 2 epochs, or use scheduler fifo",
            path="stop.max_epochs",
        )
    if options.grace_period >= problem.max_epochs:
        raise SweepError(
            f"grace_period {options.grace_period} is not below stop.max_epochs {problem.max_epochs}; "
            "no trial could ever be stopped",
            path="scheduler.grace_period",
        )


def decision_epochs(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return 1, frozenset()  # a trial's running average counts every epoch


def build(options: Options, problem: ScheduleProblem) -> Any:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.schedulers import MedianStoppingRule

    return MedianStoppingRule(
        time_attr=TIME_ATTR,
        grace_period=options.grace_period,
        min_samples_required=options.min_samples_required,
        hard_stop=True,
    )
