"""A trial that stops making progress fails instead of hanging: the bound each process is held
to, the watch that finds a stall with every thread's stack, and the supervisor that fails a
one-process trial at once while its training thread is stuck."""

from __future__ import annotations

import threading
import time

import pytest

from sweeps.trial.stall_watch import (
    FIRST_EPOCH_S,
    FLOOR_S,
    StallWatch,
    TrialStalled,
    stall_bound,
    supervised,
)


def test_the_bound_follows_the_slowest_epoch_unless_the_sweep_sets_one():
    assert stall_bound(None, None) == FIRST_EPOCH_S
    assert stall_bound(None, 1.0) == FLOOR_S
    assert stall_bound(None, 60.0) == 600.0
    assert stall_bound(7.5, None) == stall_bound(7.5, 300.0) == 7.5


def stuck_in_an_epoch(released: threading.Event) -> None:
    released.wait()


def test_a_stalled_epoch_is_found_with_every_threads_stack():
    stalls = []
    watch = StallWatch(0.5, rank=1, on_stall=stalls.append)
    released = threading.Event()
    stuck = threading.Thread(target=stuck_in_an_epoch, args=(released,), daemon=True)
    try:
        watch.start()
        watch.epoch_starting("training epoch 1")
        stuck.start()
        deadline = time.monotonic() + 10
        while not stalls and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        released.set()
        watch.close()
    (stall,) = stalls
    assert (stall.rank, stall.doing, stall.bound_s) == (1, "training epoch 1", 0.5)
    assert 0.5 <= stall.seconds < 5 and "stuck_in_an_epoch" in stall.stacks
    assert stall.summary().startswith("rank 1 finished no epoch in ")


def test_a_watch_at_rest_between_epochs_never_fires():
    stalls = []
    watch = StallWatch(0.3, rank=0, on_stall=stalls.append)
    try:
        watch.start()
        for epoch in (1, 2, 3):
            watch.epoch_starting(f"training epoch {epoch}")
            time.sleep(0.05)
            watch.epoch_done()
            time.sleep(0.5)  # waiting on the driver: not training
    finally:
        watch.close()
    assert stalls == [] and watch.slowest_epoch_s < 0.3


def test_the_supervisor_fails_a_stuck_trial_at_once_and_passes_errors_on():
    released = threading.Event()
    watch = StallWatch(0.4, rank=0, on_stall=lambda stall: None)
    started = time.monotonic()
    with pytest.raises(TrialStalled) as caught:
        supervised(lambda: stuck_in_an_epoch(released), watch)
    released.set()
    assert time.monotonic() - started < 5
    summary, _, stacks = str(caught.value).partition("\n")
    assert summary.startswith("rank 0 finished no epoch in ") and "while setting up" in summary
    assert "stuck_in_an_epoch" in stacks

    def fails() -> None:
        raise ValueError("the user's own error")

    with pytest.raises(ValueError, match="the user's own error"):
        supervised(fails, StallWatch(10, rank=0, on_stall=lambda stall: None))
    supervised(lambda: None, StallWatch(10, rank=0, on_stall=lambda stall: None))
