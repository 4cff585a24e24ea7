"""HyperBand (``scheduler: {name: hyperband}``), synchronous.

Trials are grouped into brackets; within a bracket every trial trains to the rung's budget, then
only the best 1/``reduction_factor`` continue, until ``max_t`` epochs. Unlike ASHA, a rung waits
for all its trials, pausing the early finishers (each resumes from its checkpoint, so
``checkpoint.every`` must be 1 or auto, which is every epoch here). Every trial of a bracket must exist for its rungs to fill, so
``trials.max_concurrent`` stays unset: the CPUs and GPUs per trial limit how many run at once.
With the bohb searcher this is BOHB's scheduler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.errors import SweepError
from sweeps.schedulers import TIME_ATTR, SchedulerTraits, largest_budget
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.schedulers import ScheduleProblem


class Options(ArgsModel):
    max_t: int | None = Field(
        None, ge=1, description="the largest budget in epochs; defaults to stop.max_epochs"
    )
    reduction_factor: float = Field(
        3.0, gt=1.0, le=100.0, description="1/reduction_factor of a rung goes on"
    )


TRAITS = SchedulerTraits()


def check(options: Options, problem: ScheduleProblem) -> None:
    largest_budget(
        options.max_t,
        problem,
        "HyperBand's largest budget max_t",
        "its last rung would never be reached",
    )
    if problem.max_concurrent is not None and problem.max_concurrent < problem.trial_count:
        raise SweepError(
            "HyperBand waits at each rung for every trial of its bracket, so the searcher must create them all: "
            "leave trials.max_concurrent out (resources per trial still limit how many run at once)",
            path="trials.max_concurrent",
        )
    if problem.checkpoint_every not in (1, "auto"):
        raise SweepError(
            f"HyperBand pauses trials at its rungs and resumes them from their last checkpoint, so it needs "
            f"one every epoch; got every {problem.checkpoint_every}",
            path="checkpoint.every",
        )


def decision_epochs(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return 1, frozenset()  # any epoch can be a rung of some bracket


def auto_checkpoints(options: Options, problem: ScheduleProblem) -> tuple[int, frozenset[int]]:
    return 1, frozenset()  # a trial pauses at its rung and resumes from its checkpoint there


def build(options: Options, problem: ScheduleProblem) -> Any:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.schedulers import HyperBandForBOHB, HyperBandScheduler

    scheduler_class = HyperBandForBOHB if problem.searcher_name == "bohb" else HyperBandScheduler
    return scheduler_class(
        time_attr=TIME_ATTR,
        max_t=options.max_t or problem.max_epochs,
        reduction_factor=options.reduction_factor,
        stop_last_trials=True,
    )
