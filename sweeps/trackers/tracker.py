"""What every tracker does (``Tracker``), and the thread that does it (``TrackerWorker``).

The driver never waits on a tracker: each call is queued to a thread of the tracker's own. A
tracker that is down, slow or refusing never stops the sweep: its first failure is one warning
line, calls are then skipped for ``RETRY_AFTER_S`` seconds before it is tried again, and at the
end one line says what was not logged.
"""

from __future__ import annotations

import abc
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweeps.errors import first_line

RETRY_AFTER_S = 30.0
CLOSE_WAIT_S = 60.0  # how long the end of a sweep waits for what is still queued


@dataclass
class SweepRun:
    """What a tracker's parent run of the sweep holds when it opens."""

    name: str
    folder: str  # the sweep's results folder (a path or URI)
    params: dict[str, Any]  # how the sweep searches: searcher, scheduler, objectives, ...
    sweep_text: str  # the sweep as started (sweep.yaml): the parent run's artifact
    sweep_file: Path | None = None  # a local copy of it, made when the trackers start


@dataclass
class TrialEnd:
    """A trial's end as a tracker records it on the trial's run."""

    status: str  # trials.parquet's status (completed, stopped, errored, ...)
    failed: bool
    summary: dict[str, float] = field(default_factory=dict)  # best/<metric>, final/<metric>
    error: str | None = None


@dataclass
class SweepOutcome:
    """What a tracker records when the sweep's tables are written."""

    trial_runs: dict[str, str]  # trial id -> the tracker's run of it
    rows: list[dict[str, Any]]  # each trial's row of trials.parquet
    best: dict[str, Any]  # best.json
    files: list[Path]  # the sweep's files the parent run keeps (best.json, trials.parquet)

    def status_counts(self) -> Counter[str]:
        return Counter(str(row["status"]) for row in self.rows)


class Tracker(abc.ABC):
    """One tracker's runs. Every method is called on the tracker's own thread, in order;
    an exception is a failure to log, never the sweep's."""

    name = ""  # as in the sweep file's loggers: key

    @abc.abstractmethod
    def where(self) -> str:
        """The tracker as the console names it (with its server or folder)."""

    @abc.abstractmethod
    def open_sweep(self, sweep: SweepRun, run_id: str | None) -> str:
        """The parent run, opened (or, with ``run_id``, continued); returns its id."""

    @abc.abstractmethod
    def open_trial(
        self, parent: str, trial_id: str, params: dict[str, Any], run_id: str | None
    ) -> str:
        """A trial's run under ``parent``, opened or continued; returns its id."""

    @abc.abstractmethod
    def log_epochs(self, run_id: str, epochs: list[tuple[int, dict[str, float]]]) -> None:
        """Each epoch's metrics, by epoch."""

    @abc.abstractmethod
    def close_trial(self, run_id: str, end: TrialEnd) -> None:
        """The trial ended: its status, its summary (best/ and final/ values), its error."""

    @abc.abstractmethod
    def interrupt_trial(self, run_id: str) -> None:
        """The sweep was interrupted while the trial ran (``--resume`` continues the run)."""

    @abc.abstractmethod
    def record_outcome(self, parent: str, outcome: SweepOutcome) -> None:
        """When the sweep's tables are written: each trial's row (status, best checkpoint, ...)
        on its run, and the sweep's outcome (the best trial, the counts, its files) on the
        parent."""

    @abc.abstractmethod
    def close_sweep(self, parent: str, interrupted: bool) -> None:
        """The sweep ended (finished, or interrupted and to be continued with ``--resume``)."""

    def shut_down(self) -> None:  # noqa: B027 - optional: only a tracker with a process has one
        """Release what the tracker holds (its client, its service process)."""


class TrackerWorker:
    """A tracker's thread and what it could not log."""

    def __init__(self, tracker: Tracker, on_warning: Callable[[str], None] | None = None):
        self.tracker = tracker
        self.warn = on_warning or _print_warning
        self.queue: queue.Queue[tuple[str, Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.Queue()
        )
        self.not_logged: Counter[str] = Counter()
        self.first_error: str | None = None
        self._skip_until = 0.0
        self._thread = threading.Thread(
            target=self._work, name=f"tracker-{tracker.name}", daemon=True
        )
        self._thread.start()

    def submit(self, what: str, call: Callable[..., Any], *args: Any) -> None:
        """Queue ``call(*args)``; ``what`` names it in the end's count of what was not logged."""
        self.queue.put((what, call, args))

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            what, call, args = item
            if time.monotonic() < self._skip_until:
                self.not_logged[what] += 1
                continue
            try:
                call(*args)
            except Exception as error:  # noqa: BLE001 - a tracker's failure is never the sweep's
                self.not_logged[what] += 1
                if isinstance(error, MissingRun):
                    continue  # the run's opening failed, and said so
                if self.first_error is None:
                    self.first_error = first_line(error)
                    self.warn(
                        f"warning: {self.tracker.where()}: {self.first_error}; the sweep goes on, "
                        "and says at its end what was not logged"
                    )
                self._skip_until = time.monotonic() + RETRY_AFTER_S

    def close(self, wait_s: float = CLOSE_WAIT_S) -> str | None:
        """Wait (up to ``wait_s``) for what is queued; the line saying what was not logged, or
        None when everything was."""
        self.queue.put(None)
        self._thread.join(wait_s)
        if self._thread.is_alive():
            left = self.queue.qsize()
            self.not_logged["calls still queued"] += left
        try:
            self.tracker.shut_down()
        except Exception:  # noqa: BLE001 - nothing is left to log
            pass
        if not self.not_logged:
            return None
        counts = ", ".join(f"{n} {what}" for what, n in self.not_logged.most_common())
        reason = f" (first error: {self.first_error})" if self.first_error else ""
        return f"{self.tracker.where()}: not logged: {counts}{reason}"


class MissingRun(Exception):
    """A call for a run whose opening failed (that failure was the one reported)."""


def _print_warning(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
