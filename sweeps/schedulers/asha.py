"""ASHA (``scheduler: {name: asha}``): asynchronous successive halving.

A trial is stopped at a rung (``grace_period`` x ``reduction_factor``^k epochs) unless it is in
the top 1/``reduction_factor`` of the trials that reached that rung. ``max_t`` defaults to
``stop.max_epochs``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.errors import SweepError
from sweeps.schedulers import TIME_ATTR, SchedulerTraits, largest_budget
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.schedulers import ScheduleProblem


class Options(ArgsModel):
    grace_period: int = Field(
        1, ge=1, description="epochs every trial gets before it may be stopped"
    )
    reduction_factor: float = Field(3.0, gt=1.0, le=100.0)
    brackets: int = Field(1, ge=1, le=10)
    max_t: int | None = Field(None, ge=1, description="defaults to stop.max_epochs")


TRAITS = SchedulerTraits()


def check(options: Options, problem: ScheduleProblem) -> None:
    max_t = largest_budget(options.max_t, problem, "max_t", "trials never get that far")
    if options.grace_period > max_t:
        raise SweepError(
            f"grace_period {options.grace_period} is larger than max_t {max_t} "
            "(stop.max_epochs unless set)",
            path="scheduler.grace_period",
        )


def decision_epochs(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    """The rungs' epochs (as Tune's ASHA brackets place them): a trial reports there at once."""
    max_t = options.max_t or problem.max_epochs
    rf, min_t = options.reduction_factor, options.grace_period
    epochs: set[int] = set()
    for bracket in range(options.brackets):
        rungs = int(math.log(max_t / min_t) / math.log(rf) - bracket + 1)
        epochs.update(math.ceil(min_t * rf ** (k + bracket)) for k in range(max(0, rungs)))
    return 0, frozenset(epoch for epoch in epochs if epoch <= max_t)


def build(options: Options, problem: ScheduleProblem) -> Any:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(
        time_attr=TIME_ATTR,
        max_t=options.max_t or problem.max_epochs,
        grace_period=options.grace_period,
        reduction_factor=options.reduction_factor,
        brackets=options.brackets,
    )
