"""A worker node lost mid-sweep: SIGKILL its raylet (and the processes under it) by PID while it
trains a trial. The sweep must finish with every trial exactly once, and the trials that ran on
the lost node must continue from their last checkpoints on the surviving node instead of
starting again at epoch 1."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, launcher_env
from tests.helpers.clusters import two_node_cluster
from tests.helpers.processes import descendants, results, stop_if_running

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

SWEEP = "tests/fixtures/sweeps/node_loss.yaml"


def raylet_of(node_process: subprocess.Popen) -> int:
    for pid in descendants(node_process.pid):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "raylet":
                return pid
        except OSError:
            continue
    raise AssertionError("the worker node has no raylet")


def worker_node_id(address: str, env: dict[str, str]) -> str:
    probe = (
        "import ray\n"
        f"ray.init(address={address!r}, logging_level='ERROR')\n"
        "print([n['NodeID'] for n in ray.nodes() if n['Alive'] and 'node:__internal_head__' not in n['Resources']][0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def test_trials_of_a_lost_node_continue_from_their_checkpoints(tmp_path, tmp_path_factory):
    # Ray's socket paths must stay short: its temp folders go in a short pytest folder.
    with two_node_cluster(tmp_path_factory.mktemp("ray")) as (address, token, processes):
        env = launcher_env(RAY_AUTH_TOKEN=token)
        lost = worker_node_id(address, launcher_env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token))
        storage = tmp_path / "results"
        driver = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "launchers.cluster",
                SWEEP,
                "--address",
                address,
                "--storage",
                str(storage),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            sweep_dir = storage / "node_loss"
            deadline = time.monotonic() + 240
            while not any(
                r["node_id"] == lost and r["epoch"] >= 3
                for rs in results(sweep_dir).values()
                for r in rs
            ):
                assert driver.poll() is None, driver.communicate()[0]
                assert time.monotonic() < deadline, "no trial reached epoch 3 on the worker node"
                time.sleep(0.1)
            # The machine is lost: its raylet first, then what ran under it (the trial's worker
            # process would otherwise go on training until Ray's health check gives up on the node).
            node = descendants(processes[1].pid)
            raylet = raylet_of(processes[1])
            os.kill(raylet, signal.SIGKILL)
            killed_at = time.time()
            for pid in node:
                if pid != raylet:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            output = driver.communicate(timeout=400)[0]
        finally:
            stop_if_running(driver)
    assert driver.returncode == 0, output

    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert sorted(row["config/lr"] for row in trials) == [0.001, 0.002, 0.003, 0.004]
    assert {row["status"] for row in trials} == {"completed"} and {
        row["epochs"] for row in trials
    } == {16}
    assert pq.read_table(sweep_dir / "metrics.parquet").num_rows == 4 * 16  # every epoch once

    moved = 0
    for history in results(sweep_dir).values():
        on_lost = [r["epoch"] for r in history if r["node_id"] == lost]
        after = [r["epoch"] for r in history if r["node_id"] != lost]
        if on_lost and after and history[0]["node_id"] == lost:
            moved += 1
            # It continued from a checkpoint of its own (every epoch has one), not from scratch.
            assert 1 < after[0] <= max(on_lost) + 1, history
            assert after[-1] == 16
            resumed = next(r for r in history if r["node_id"] != lost)
            recovery_s = resumed["timestamp"] - killed_at
    assert moved >= 1, "no trial was running on the lost node"
    print(f"recovery: {recovery_s:.1f} s from the kill to the next result of a moved trial")
