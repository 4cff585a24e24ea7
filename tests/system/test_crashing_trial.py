"""A trial that keeps crashing: its process is SIGKILLed every time it runs. After
``failure.max_retries`` restarts (each from its last checkpoint) it must be marked errored, while
the sweep goes on, finishes the other trials and exits 0. Each failure is one line of the
launcher's on the console; Ray's tracebacks and boxes stay in the trial's error file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, launcher_env
from tests.helpers.processes import results, stop_if_running

pytestmark = pytest.mark.slow

DOOMED_LR = 0.002


def test_a_trial_that_keeps_crashing_is_errored_without_taking_the_sweep_down(tmp_path):
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "launchers.local",
            "tests/fixtures/sweeps/crashing.yaml",
            "--storage",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=launcher_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    killed: list[int] = []
    try:
        sweep_dir = tmp_path / "crashing"
        deadline = time.monotonic() + 400
        while driver.poll() is None:
            assert time.monotonic() < deadline, "the sweep did not finish"
            for history in results(sweep_dir).values():
                if not history or history[0]["config"]["lr"] != DOOMED_LR:
                    continue
                pid = history[-1]["pid"]  # the process running the doomed trial now
                if pid not in killed:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.05)
        output = driver.communicate()[0]
    finally:
        stop_if_running(driver)
    assert driver.returncode == 0, output
    assert len(killed) == 3, killed  # the first run and its two retries

    trials = {
        row["config/lr"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    doomed = trials.pop(DOOMED_LR)
    assert doomed["status"] == "errored" and doomed["error"], doomed
    assert {(row["status"], row["epochs"]) for row in trials.values()} == {("completed", 12)}
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    doomed_epochs = [row["epoch"] for row in metrics if row["trial_id"] == doomed["trial_id"]]
    assert (
        doomed_epochs == sorted(set(doomed_epochs)) and len(doomed_epochs) >= 3
    )  # each once, progress kept
    assert "2 completed, 1 errored" in output
    failed = [line for line in output.splitlines() if line.startswith("failed ")]
    error_file = f"traceback in {sweep_dir / doomed['trial_id']}/error.txt"
    assert len(failed) == 3 and all(error_file in line for line in failed), failed
    assert "retry 1 of 2" in failed[0] and "no retries left" in failed[2], failed
    for noise in ("Traceback", "ERROR", "╭", "Trial train_trial", "Configuration for experiment"):
        assert noise not in output, output
