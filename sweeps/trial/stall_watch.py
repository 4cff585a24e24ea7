"""A trial that stops making progress is ended, not waited for: each process that trains (a
one-process trial, or each rank of a data-parallel one) watches its own epochs.

A ``StallWatch`` is armed while the process trains and disarmed while it legitimately waits on
others (the driver taking its report, rank 0's decision). Armed, it expects the next epoch to end
within a bound: ``stop.stall_s`` when the sweep sets it, otherwise ``FIRST_EPOCH_S`` for the
set-up and first epoch of a run (data preparation, data-parallel start-up and compilation happen
there) and afterwards ``SLOWEST_EPOCH_FACTOR`` times the slowest epoch so far, at least
``FLOOR_S``. Past the bound it writes every thread's stack and hands a ``Stall`` (which rank,
what it was doing, for how long, the stacks) to the process's ``on_stall``, which ends the
trial as a failure (retried per ``failure.max_retries``). Should the interpreter itself be
stuck (a C extension holding its lock), faulthandler's own watchdog dumps the stacks to the
process's error output and exits it ``BACKSTOP_S`` later.
"""

from __future__ import annotations

import faulthandler
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FIRST_EPOCH_S = 600.0
SLOWEST_EPOCH_FACTOR = 10.0
FLOOR_S = 120.0
BACKSTOP_S = 60.0  # after the bound, faulthandler ends a process whose threads cannot run
_TICK_S = 0.2


class TrialStalled(RuntimeError):
    """A trial's process finished no epoch within its bound: the first line says which rank,
    doing what, for how long; the lines after it are each stalled rank's threads' stacks."""


@dataclass(frozen=True)
class Stall:
    rank: int
    doing: str  # "setting up", "training epoch 3", ...
    seconds: float  # since it was last armed
    bound_s: float
    stacks: str  # every thread's stack, as faulthandler writes them

    def summary(self) -> str:
        return (
            f"rank {self.rank} finished no epoch in {self.seconds:.0f} s (its bound: "
            f"{self.bound_s:g} s) while {self.doing}"
        )


def stalled_error(stalls: list[Stall]) -> TrialStalled:
    """The error a stalled trial fails with: one line for the first stalled rank, then every
    stalled rank's stacks (Tune writes them to the trial's error.txt)."""
    first = stalls[0]
    others = f" ({len(stalls) - 1} more rank(s) stalled too)" if len(stalls) > 1 else ""
    stacks = "\n\n".join(f"rank {stall.rank}, {stall.doing}:\n{stall.stacks}" for stall in stalls)
    return TrialStalled(f"{first.summary()}{others}; each thread's stack follows\n\n{stacks}")


def stall_bound(stall_s: float | None, slowest_epoch_s: float | None) -> float:
    """How long a process may go without finishing an epoch (see the module's docstring)."""
    if stall_s is not None:
        return stall_s
    if slowest_epoch_s is None:
        return FIRST_EPOCH_S
    return max(FLOOR_S, SLOWEST_EPOCH_FACTOR * slowest_epoch_s)


def thread_stacks() -> str:
    """Every thread's stack in this process, as faulthandler writes them (it needs no lock the
    stuck thread may hold)."""
    with tempfile.TemporaryFile("w+") as file:
        faulthandler.dump_traceback(file, all_threads=True)
        file.seek(0)
        return file.read()


class StallWatch:
    """One process's watch over its epochs (see the module's docstring)."""

    def __init__(self, stall_s: float | None, rank: int, on_stall: Callable[[Stall], None]):
        self.stall_s = stall_s
        self.rank = rank
        self.on_stall = on_stall
        self.slowest_epoch_s: float | None = None
        self.epoch_started: float | None = None
        self.lock = threading.Lock()
        self.deadline: float | None = None
        self.armed_at = 0.0
        self.doing = ""
        self.fired: Stall | None = None
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)
        self.thread.start()

    def start(self, doing: str = "setting up") -> None:
        """Arm for a run's set-up and first epoch."""
        self._arm(doing)

    def epoch_starting(self, doing: str) -> None:
        """An epoch starts: armed for it, unless still armed since the set-up (the first)."""
        self.epoch_started = time.monotonic()
        with self.lock:
            armed = self.deadline is not None
        if armed:
            self.doing_now(doing)
        else:
            self._arm(doing)

    def doing_now(self, doing: str) -> None:
        """What the process is doing, for the stall's message; the bound stands."""
        with self.lock:
            self.doing = doing

    def epoch_done(self) -> None:
        """An epoch ended: it counts towards the next bound, and the watch rests until the next
        starts (the process may wait on others meanwhile)."""
        if self.epoch_started is not None:
            seconds = time.monotonic() - self.epoch_started
            self.slowest_epoch_s = max(self.slowest_epoch_s or 0.0, seconds)
        self.disarm()

    def _arm(self, doing: str) -> None:
        bound = stall_bound(self.stall_s, self.slowest_epoch_s)
        with self.lock:
            now = time.monotonic()
            self.deadline, self.armed_at, self.doing = now + bound, now, doing
        faulthandler.dump_traceback_later(bound + BACKSTOP_S, exit=True)

    def disarm(self) -> None:
        with self.lock:
            self.deadline = None
        faulthandler.cancel_dump_traceback_later()

    def close(self) -> None:
        self.disarm()
        self.closed.set()

    def _watch(self) -> None:
        while not self.closed.wait(_TICK_S):
            with self.lock:
                deadline = self.deadline
                if deadline is None or time.monotonic() < deadline:
                    continue  # not armed, or not due
                bound = deadline - self.armed_at
                stall = Stall(
                    self.rank, self.doing, time.monotonic() - self.armed_at, bound, thread_stacks()
                )
                self.deadline = None
            self.fired = stall
            self.on_stall(stall)
            return


def supervised(job: Callable[[], None], watch: StallWatch) -> None:
    """Run ``job`` (the training of a one-process trial) in a thread of its own, and fail with
    ``TrialStalled`` as soon as ``watch`` finds it stalled: the stuck thread cannot be stopped,
    but the trial fails at once (Tune then ends its process and retries it). The job's own
    error is raised as it is."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            failure.append(error)

    training = threading.Thread(target=run, name="trial-training", daemon=True)
    watch.start()
    training.start()
    try:
        while training.is_alive():
            training.join(_TICK_S)
            if watch.fired is not None:
                raise stalled_error([watch.fired])
    finally:
        watch.close()
    if failure:
        raise failure[0]
