"""A tracker's thread: a tracker that fails is one warning, then skipped for a while, and what
was not logged is counted in one line at the end (sweeps.trackers.tracker)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sweeps.trackers import tracker as tracker_module
from sweeps.trackers.tracker import (
    MissingRun,
    SweepOutcome,
    SweepRun,
    Tracker,
    TrackerWorker,
    TrialEnd,
)


class Refusing(Tracker):
    """A tracker whose server refuses its first ``failures`` calls of epoch results."""

    name = "refusing"

    def __init__(self, failures: int):
        self.failures = failures
        self.done: list[int] = []

    def where(self) -> str:
        return "Refusing at nowhere"

    def log_epochs(self, run_id: str, epochs: list[tuple[int, dict[str, float]]]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection refused\nsecond line")
        self.done.extend(epoch for epoch, _ in epochs)

    def call(self, number: int) -> None:
        self.log_epochs("run", [(number, {"loss": 1.0})])

    def open_sweep(self, sweep: SweepRun, run_id: str | None) -> str:
        return run_id or "sweep"

    def open_trial(
        self, parent: str, trial_id: str, params: dict[str, Any], run_id: str | None
    ) -> str:
        return run_id or trial_id

    def close_trial(self, run_id: str, end: TrialEnd) -> None:
        pass

    def interrupt_trial(self, run_id: str) -> None:
        pass

    def record_outcome(self, parent: str, outcome: SweepOutcome) -> None:
        pass

    def close_sweep(self, parent: str, interrupted: bool) -> None:
        pass


def test_a_tracker_must_implement_every_call():
    class Partial(Tracker):
        def where(self) -> str:
            return "partial"

    with pytest.raises(TypeError, match="abstract"):
        Partial()


def test_a_failing_tracker_warns_once_skips_a_while_and_counts_what_it_missed(monkeypatch):
    warnings = []
    tracker = Refusing(failures=1)
    worker = TrackerWorker(tracker, warnings.append)
    for number in range(3):
        worker.submit("epoch results", tracker.call, number)
    line = worker.close()
    assert warnings == [
        "warning: Refusing at nowhere: connection refused; the sweep goes on, and says at its "
        "end what was not logged"
    ]
    assert tracker.done == []  # the two after the failure fell in the skip window
    assert line == (
        "Refusing at nowhere: not logged: 3 epoch results (first error: connection refused)"
    )


def test_after_the_skip_window_the_tracker_is_tried_again(monkeypatch):
    monkeypatch.setattr(tracker_module, "RETRY_AFTER_S", 0.0)
    tracker = Refusing(failures=1)
    worker = TrackerWorker(tracker, lambda line: None)
    for number in range(3):
        worker.submit("epoch results", tracker.call, number)
    assert worker.close() == (
        "Refusing at nowhere: not logged: 1 epoch results (first error: connection refused)"
    )
    assert tracker.done == [1, 2]


def test_calls_for_a_run_that_never_opened_are_counted_without_another_warning():
    warnings = []

    def missing() -> None:
        raise MissingRun("trial_1")

    worker = TrackerWorker(Refusing(0), warnings.append)
    worker.submit("trial ends", missing)
    assert worker.close().endswith("not logged: 1 trial ends")
    assert warnings == []


def test_everything_logged_says_nothing_and_the_end_waits_for_the_queue():
    tracker = Refusing(0)
    worker = TrackerWorker(tracker, lambda line: None)
    release = threading.Event()
    worker.submit("sweep run", release.wait)
    for number in range(50):
        worker.submit("epoch results", tracker.call, number)
    release.set()
    assert worker.close() is None
    assert tracker.done == list(range(50))
