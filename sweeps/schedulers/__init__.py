"""Trial schedulers: which trials keep running (``scheduler.name`` in a sweep file).

One scheduler per module, each a ``Scheduler`` (below): ``Options``, ``check(options, problem)``
and ``build(options, problem)`` (the Ray Tune scheduler; imports Ray lazily), given a
``ScheduleProblem``, the part of the sweep a scheduler may use. Time is measured in
epochs: every trial reports ``epoch`` (completed epochs) with each result. A scheduler that judges
trials at known epochs exposes ``decision_epochs(options, problem)`` (an epoch period, and single
epochs), where trials report at once instead of batching epochs (sweeps.results.epoch_results); one that
needs checkpoints there (to pause or copy trials) exposes ``auto_checkpoints`` alike, where
``checkpoint: {every: auto}`` saves (see ``checkpoint_schedule``). Defaults fit the sweep they
are in: a scheduler may expose ``fitted(options, problem)``, its options with the defaults the
sweep did not write fitted to it (PBT's perturbation interval to short trials). What it supports
is declared as its ``TRAITS`` (a ``SchedulerTraits``, every field defaulted).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from sweeps.errors import SweepError

if TYPE_CHECKING:
    from sweeps.sweep_file.space import Param
    from typed_config.base import ArgsModel

SCHEDULERS: dict[str, str] = {
    "fifo": "sweeps.schedulers.fifo",
    "asha": "sweeps.schedulers.asha",
    "hyperband": "sweeps.schedulers.hyperband",
    "median": "sweeps.schedulers.median",
    "pbt": "sweeps.schedulers.pbt",
    "pb2": "sweeps.schedulers.pb2",
}

TIME_ATTR = "epoch"


@dataclass(frozen=True)
class ScheduleProblem:
    """What a scheduler is given of a sweep (``SweepDefinition.schedule_problem``), and nothing else."""

    space: Mapping[str, Param]
    conditional_keys: frozenset[str]  # searched keys that apply only in some trials
    mutable_keys: frozenset[str]  # searched keys a checkpoint can continue under a new value of
    users_model: bool  # a user's own module (which keys mutate unlisted: the real-valued ones)
    max_epochs: int
    checkpoint_every: int | str  # N, or "auto"
    checkpoint_keep: int | None
    checkpoint_interval_s: float | None
    max_concurrent: int | None
    trial_count: int
    searcher_name: str
    several_objectives: bool = False  # more than one objective (the first one leads)


@dataclass(frozen=True)
class SchedulerTraits:
    """What a scheduler supports, declared by its module (``TRAITS``)."""

    # Why it cannot rank trials by several objectives, where it cannot (the others judge the
    # first objective).
    one_objective: str | None = None
    # The checkpoints it needs kept (``checkpoint.keep``) unless the sweep sets how many.
    checkpoint_keep: int | None = None


class Scheduler(Protocol):
    """A scheduler module."""

    Options: type
    TRAITS: SchedulerTraits

    def check(self, options: Any, problem: ScheduleProblem) -> None: ...

    def build(self, options: Any, problem: ScheduleProblem) -> Any: ...


def largest_budget(
    max_t: int | None, problem: ScheduleProblem, subject: str, consequence: str
) -> int:
    """A scheduler's ``max_t`` in epochs (``stop.max_epochs`` unless set), refused when larger
    than ``stop.max_epochs``: no trial would ever train that long."""
    budget = max_t or problem.max_epochs
    if budget > problem.max_epochs:
        raise SweepError(
            f"{subject} {budget} is larger than stop.max_epochs {problem.max_epochs}; {consequence}",
            path="scheduler.max_t",
        )
    return budget


def checkpoint_schedule(
    name: str, options: ArgsModel, problem: ScheduleProblem
) -> tuple[int, frozenset[int], float | None]:
    """When the trials of a sweep with the scheduler ``name`` checkpoint: (every N epochs or 0,
    the epochs that must have one, the most seconds of training between two or None). The last
    epoch always has one."""
    every = problem.checkpoint_every
    if every != "auto":
        return int(every), frozenset(), None
    auto = getattr(scheduler_module(name), "auto_checkpoints", None)
    period, epochs = auto(options, problem) if auto else (0, frozenset())
    if problem.several_objectives:
        # A trial the scheduler stops early may well be on the front (a small, fast model), and
        # each trial on the front is evaluated from its checkpoint: every epoch where the
        # scheduler may stop a trial has one.
        every, decisions = report_schedule(name, options, problem)
        period = math.gcd(period, every) if period and every else period or every
        epochs = epochs | decisions
    return period, epochs, problem.checkpoint_interval_s


def report_schedule(
    name: str, options: ArgsModel, problem: ScheduleProblem
) -> tuple[int, frozenset[int]]:
    """Where the trials report at once: (every N epochs or 0, single epochs)."""
    decisions = getattr(scheduler_module(name), "decision_epochs", None)
    return decisions(options, problem) if decisions else (0, frozenset())


def scheduler_module(name: str) -> Scheduler:
    return cast(Scheduler, importlib.import_module(SCHEDULERS[name]))


def build_scheduler(name: str, options: ArgsModel, problem: ScheduleProblem) -> Any:
    """The sweep's own scheduler, built (Tune's TrialScheduler)."""
    return scheduler_module(name).build(options, problem)


__all__ = [
    "SCHEDULERS",
    "ScheduleProblem",
    "Scheduler",
    "build_scheduler",
    "TIME_ATTR",
    "checkpoint_schedule",
    "largest_budget",
    "report_schedule",
    "scheduler_module",
]
