"""Trials that misbehave are contained to themselves: one hangs (ended by stop.trial_timeout_s),
one raises in its first step (retried, then errored), one runs out of memory (ended without a
retry), one prints megabytes; each is recorded with its reason and the sweep finishes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests.conftest import launcher_env, run_launcher

pytestmark = pytest.mark.slow

FAULTS = {
    "hang": {"lr": 0.002},
    "raise": {"lr": 0.003},
    "out_of_memory": {"lr": 0.004},
    "print": {"lr": 0.005},
}


@pytest.fixture(scope="module")
def misbehaving_sweep(tmp_path_factory):
    storage = tmp_path_factory.mktemp("storage")
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/misbehaving.yaml",
        "--storage",
        str(storage),
        env=launcher_env(SWEEP_INJECT_FAULTS=json.dumps(FAULTS)),
        timeout=400,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    trials = {
        row["config/lr"]: row
        for row in pq.read_table(storage / "misbehaving" / "trials.parquet").to_pylist()
    }
    metrics = pq.read_table(storage / "misbehaving" / "metrics.parquet").to_pylist()
    return trials, metrics, run


def epochs_of(metrics, trial):
    return sorted(row["epoch"] for row in metrics if row["trial_id"] == trial["trial_id"])


def test_well_behaved_trials_complete_beside_the_others(misbehaving_sweep):
    trials, metrics, _ = misbehaving_sweep
    assert (trials[0.001]["status"], trials[0.001]["epochs"], trials[0.001]["error"]) == (
        "completed",
        3,
        None,
    )
    assert epochs_of(metrics, trials[0.001]) == [1, 2, 3]


def test_a_hanging_trial_is_ended_by_its_timeout_and_keeps_its_epoch(misbehaving_sweep):
    trials, metrics, _ = misbehaving_sweep
    hung = trials[0.002]
    assert (hung["status"], hung["epochs"]) == ("timed_out", 1)
    assert "stop.trial_timeout_s (12 s)" in hung["error"]
    assert epochs_of(metrics, hung) == [1]
    assert hung["best_val_accuracy"] is not None  # its one epoch still counts


def test_an_exception_in_the_first_step_errors_the_trial_after_its_retry(misbehaving_sweep):
    trials, metrics, _ = misbehaving_sweep
    failed = trials[0.003]
    assert failed["status"] == "errored" and failed["epochs"] == 0
    assert "injected fault: an exception in the trial's first training step" in failed["error"]
    assert epochs_of(metrics, failed) == []


def test_out_of_memory_ends_the_trial_with_its_reason_and_no_retry(misbehaving_sweep):
    trials, _, run = misbehaving_sweep
    starved = trials[0.004]
    assert starved["status"] == "out_of_memory"
    assert "can't allocate memory" in starved["error"] and "\n" not in starved["error"]


def test_megabytes_of_trial_output_stay_out_of_the_sweep_output(misbehaving_sweep):
    trials, metrics, run = misbehaving_sweep
    assert trials[0.005]["status"] == "completed" and epochs_of(metrics, trials[0.005]) == [1, 2, 3]
    assert len(run.stdout) + len(run.stderr) < 100_000  # the trial printed 6 MB
    assert "timed_out" in run.stdout and "out_of_memory" in run.stdout and "errored" in run.stdout
