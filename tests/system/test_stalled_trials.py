"""Trials that stop making progress are failed within stop.stall_s, not waited for: a
one-process trial whose training hangs (retried, then errored), and a data-parallel trial one of
whose ranks hangs, which ends the whole group. Each failure is one line on the console naming
the rank and what it was doing; the stalled ranks' stacks are in the trial's error.txt."""

from __future__ import annotations

import json
import time

import pyarrow.parquet as pq
import pytest

from tests.conftest import launcher_env, run_launcher

pytestmark = pytest.mark.slow


def failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("failed ")]


def test_a_hanging_trial_fails_within_its_bound_and_is_retried(tmp_path):
    started = time.monotonic()
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/stalling.yaml",
        "--storage",
        str(tmp_path),
        env=launcher_env(SWEEP_INJECT_FAULTS=json.dumps({"hang": {"lr": 0.002}})),
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert time.monotonic() - started < 120
    sweep_dir = tmp_path / "stalling"
    trials = {
        row["config/lr"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    assert (trials[0.001]["status"], trials[0.001]["epochs"]) == ("completed", 3)
    hung = trials[0.002]
    assert hung["status"] == "errored" and hung["epochs"] == 2, hung
    assert hung["error"].startswith("TrialStalled: rank 0 finished no epoch in "), hung["error"]
    lines = failed_lines(run.stdout)
    assert len(lines) == 2, run.stdout
    assert (
        "TrialStalled: rank 0 finished no epoch in 4 s (its bound: 4 s) while training epoch 2"
        in lines[0]
    )
    assert "retry 1 of 1, from its last checkpoint" in lines[0]
    assert "while training epoch 3" in lines[1] and "no retries left" in lines[1]
    errors = (sweep_dir / hung["trial_id"] / "error.txt").read_text()
    assert errors.count("Failure #") == 2 and "fault_injection.py" in errors
    assert "Traceback" not in run.stdout


def test_a_hanging_rank_ends_its_whole_data_parallel_group(tmp_path):
    started = time.monotonic()
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/ddp.yaml",
        "--storage",
        str(tmp_path),
        "--set",
        "space.lr={grid: [0.02]}",
        "--set",
        "stop.stall_s=8",
        "--set",
        "scheduler={name: fifo}",
        env=launcher_env(SWEEP_INJECT_FAULTS=json.dumps({"hang_rank1": {}})),
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # epoch 1 is the best
    assert time.monotonic() - started < 150
    (trial,) = pq.read_table(tmp_path / "ddp" / "trials.parquet").to_pylist()
    assert trial["status"] == "errored" and trial["epochs"] == 1, trial
    (line,) = failed_lines(run.stdout)
    assert "TrialStalled: rank" in line and "no retries" in line, line
    errors = (tmp_path / "ddp" / trial["trial_id"] / "error.txt").read_text()
    assert "rank 1, training epoch 2:" in errors and "fault_injection.py" in errors
