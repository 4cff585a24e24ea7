"""``--tensorboard``: a real TensorBoard server on the sweep, queried through its HTTP data API for
the runs, the scalars and the HParams of every trial (numbers as numbers, choices as strings,
conditional keys only where they apply), then stopped with the launcher by SIGINT."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, launcher_env
from tests.helpers.processes import stop_if_running

pytestmark = pytest.mark.slow

SWEEP = "tests/fixtures/sweeps/conditional.yaml"


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def post(url: str, body: dict) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def descendants_command_lines(pid: int) -> list[str]:
    """The command lines of every process under ``pid``, read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    found, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                grew = True
    lines = []
    for child in found - {pid}:
        try:
            lines.append(
                Path(f"/proc/{child}/cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
        except OSError:
            continue
    return lines


def test_tensorboard_serves_every_trial_with_its_scalars_and_hparams(tmp_path):
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "launchers.local",
            SWEEP,
            "--storage",
            str(tmp_path),
            "--tensorboard",
        ],
        cwd=ROOT,
        env=launcher_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in launcher.stdout], daemon=True
    ).start()
    output = []

    def wait_for(pattern: str) -> re.Match:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert launcher.poll() is None, "".join(output)
                continue
            output.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError("".join(output))

    try:
        url = wait_for(r"^tensorboard (http://127\.0\.0\.1:\d+/)").group(1)
        wait_for(r"^\[\d\d:\d\d\] trials")  # Ray is up, trials are running
        dashboards = [
            line
            for line in descendants_command_lines(launcher.pid)
            if "dashboard/dashboard.py" in line
        ]
        assert all("--host=127.0.0.1" in line for line in dashboards), (
            dashboards
        )  # Ray's own, on loopback
        own_address = socket.gethostbyname(socket.gethostname())
        if not own_address.startswith("127."):  # TensorBoard listens on loopback only
            with pytest.raises(OSError):
                socket.create_connection(
                    (own_address, int(url.rsplit(":", 1)[1].strip("/"))), timeout=2
                ).close()
        wait_for(r"^finished in")
        wait_for(r"^tensorboard still serving")
        trials = pq.read_table(tmp_path / "conditional" / "trials.parquet").to_pylist()
        expected_runs = {f"tensorboard/{row['trial_id']}" for row in trials}
        deadline = time.monotonic() + 60  # TensorBoard reloads every few seconds
        while set(get(url + "data/runs")) != expected_runs or len(
            get(url + "data/plugin/scalars/tags")
        ) < len(trials):
            assert time.monotonic() < deadline, get(url + "data/runs")
            time.sleep(1)

        for row in trials:
            run = f"tensorboard/{row['trial_id']}"
            points = get(
                url + f"data/plugin/scalars/scalars?run={quote(run, safe='')}&tag=val_accuracy"
            )
            assert [step for _, step, _ in points] == list(range(1, row["epochs"] + 1))
            best = get(
                url
                + f"data/plugin/scalars/scalars?run={quote(run, safe='')}&tag=best%2Fval_accuracy"
            )
            assert best[-1][2] == pytest.approx(row["best_val_accuracy"], rel=1e-6)

        experiment = post(url + "data/plugin/hparams/experiment", {"experimentName": ""})
        types = {info["name"]: info["type"] for info in experiment["hparamInfos"]}
        assert types["lr"] == types["momentum"] == types["depth"] == "DATA_TYPE_FLOAT64"
        assert types["optimizer"] == "DATA_TYPE_STRING"
        metrics = {info["name"]["tag"] for info in experiment["metricInfos"]}
        assert {"best/val_accuracy", "final/val_accuracy", "val_accuracy"} <= metrics
        groups = post(
            url + "data/plugin/hparams/session_groups",
            {
                "experimentName": "",
                "allowedStatuses": [
                    "STATUS_SUCCESS",
                    "STATUS_FAILURE",
                    "STATUS_RUNNING",
                    "STATUS_UNKNOWN",
                ],
                "colParams": [],
                "startIndex": 0,
                "sliceSize": 100,
            },
        )
        assert groups["totalSize"] == len(trials)
        by_trial = {group["name"]: group["hparams"] for group in groups["sessionGroups"]}
        for row in trials:
            hparams = by_trial[row["trial_id"]]
            assert hparams["optimizer"] == row["config/optimizer"] and hparams[
                "lr"
            ] == pytest.approx(row["config/lr"])
            assert ("momentum" in hparams) == (
                row["config/optimizer"] == "sgd"
            )  # only where it applies
            for index in range(3):
                assert (f"widths[{index}]" in hparams) == (index < row["config/depth"])

        port = int(url.rsplit(":", 1)[1].strip("/"))
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=60) == 0, "".join(output)
        with pytest.raises(OSError):  # the server went with the launcher
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        stop_if_running(launcher)
