"""A driver killed mid-sweep (SIGKILL) and ``--resume``: finished work is kept, unfinished trials
continue from their last checkpoint, and every trial appears exactly once in the results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.sweep_args import two_long_trials

pytestmark = pytest.mark.slow

EPOCHS = 20  # the driver is killed once a trial reports epoch 9
ARGS = [
    "sweeps/digits_grid.yaml",
    "--name",
    "killed",
    *two_long_trials(EPOCHS),
    "--set",
    "checkpoint.keep=2",
]


def reported_epochs(sweep_dir) -> dict[str, list[int]]:
    epochs = {}
    for log in sweep_dir.glob("*/result.json"):
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        epochs[log.parent.name] = [json.loads(line)["epoch"] for line in lines]
    return epochs


def test_killed_driver_resumes_from_checkpoints(tmp_path):
    sweep_dir = tmp_path / "killed"
    driver = subprocess.Popen(
        [sys.executable, "-m", "launchers.local", *ARGS, "--storage", str(tmp_path)],
        cwd=ROOT,
        env=launcher_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the embedded Ray goes down with it
    )
    try:
        deadline = time.monotonic() + 240
        while not any(
            max(e, default=0) >= 9
            for e in reported_epochs(sweep_dir).values()
            if sweep_dir.exists()
        ):
            assert driver.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no trial reached epoch 9"
            time.sleep(0.1)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
    before = reported_epochs(sweep_dir)
    # A trial that had only just started may have no result written yet when the driver dies.
    assert before and all(max(epochs, default=0) < EPOCHS for epochs in before.values())
    assert not (sweep_dir / "trials.parquet").exists()

    run = run_launcher("local", *ARGS, "--storage", str(tmp_path), "--resume")
    assert run.returncode == 0, run.stdout + run.stderr

    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert sorted(row["config/lr"] for row in trials) == [0.001, 0.002]
    for row in trials:
        assert (row["status"], row["epochs"]) == ("completed", EPOCHS), (row, run.stdout[-3000:])
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    for row in trials:
        epochs = [m["epoch"] for m in metrics if m["trial_id"] == row["trial_id"]]
        assert epochs == list(range(1, EPOCHS + 1))

    after = reported_epochs(sweep_dir)
    continued = []
    for trial_id, epochs_before in before.items():
        resumed = after[trial_id][len(epochs_before) :]
        restart = resumed[0] - 1  # the checkpointed epoch the trial continued from (0: none yet)
        assert restart % 2 == 0 and max(epochs_before, default=0) - 6 <= restart <= max(
            epochs_before, default=0
        ), (epochs_before, resumed)
        assert resumed == list(range(restart + 1, EPOCHS + 1))
        continued.append(restart)
    # Tune records a trial's checkpoints in its experiment state at least every `keep` (2)
    # checkpoints, so the trial that had reached epoch 9 continues from epoch 4 or later.
    assert max(continued) >= 4
