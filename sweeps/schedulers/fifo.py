"""FIFO (``scheduler: {name: fifo}``): every trial runs to ``stop.max_epochs``; no early stopping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sweeps.schedulers import SchedulerTraits
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.schedulers import ScheduleProblem


class Options(ArgsModel):
    pass


TRAITS = SchedulerTraits()


def check(options: Options, problem: ScheduleProblem) -> None:
    """FIFO works with every sweep."""


def build(options: Options, problem: ScheduleProblem) -> Any:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray.tune.schedulers import FIFOScheduler

    return FIFOScheduler()
