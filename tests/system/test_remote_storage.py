"""Storage named by a URI (s3://bucket/folder): the sweep's trials, checkpoints, Tune state,
TensorBoard runs and tables all land in the bucket, nothing in a local results folder, and a
driver killed mid-sweep resumes from the bucket. The bucket is served by an S3-compatible server
(moto) on loopback, started and stopped by PID; pyarrow and Ray find it through the standard
AWS_* environment variables."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.fs
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.processes import free_port, wait_for_port
from tests.helpers.sweep_args import two_long_trials

pytestmark = pytest.mark.slow

BUCKET = "sweeps"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def s3():
    """(environment for the launchers, pyarrow filesystem of the bucket) for a fresh S3 server."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server, "the S3 server")
        filesystem = pyarrow.fs.S3FileSystem(
            endpoint_override=f"127.0.0.1:{port}",
            scheme="http",
            access_key="test",
            secret_key="test",
            region="us-east-1",
            allow_bucket_creation=True,
        )
        filesystem.create_dir(BUCKET)
        yield launcher_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", **CREDENTIALS), filesystem
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def files(filesystem, folder: str) -> list[str]:
    selector = pyarrow.fs.FileSelector(folder, recursive=True, allow_not_found=True)
    return sorted(
        info.path[len(folder) + 1 :]
        for info in filesystem.get_file_info(selector)
        if info.type == pyarrow.fs.FileType.File
    )


def test_a_sweep_to_s3_leaves_everything_in_the_bucket(s3, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    env, filesystem = s3
    run = run_launcher(
        "local",
        "sweeps/digits_asha.yaml",
        "--storage",
        f"s3://{BUCKET}/results",
        "--name",
        "to_s3",
        "--set",
        "trials.num_samples=4",
        "--set",
        "stop.max_epochs=3",
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"results    s3://{BUCKET}/results/to_s3" in run.stdout
    assert not (ROOT / "results" / "to_s3").exists()  # nothing written to a local folder
    folder = f"{BUCKET}/results/to_s3"
    stored = files(filesystem, folder)
    for name in ("sweep.yaml", "trials.parquet", "metrics.parquet", "best.json", "tuner.pkl"):
        assert name in stored, stored
    assert any(name.startswith("experiment_state-") for name in stored)

    trials = pq.read_table(f"{folder}/trials.parquet", filesystem=filesystem).to_pylist()
    assert len(trials) == 4 and all(
        row["checkpoint"].startswith(f"s3://{folder}/") for row in trials if row["checkpoint"]
    )
    with filesystem.open_input_stream(f"{folder}/best.json") as stream:
        best = json.loads(stream.read())
    assert best["checkpoint"].startswith(f"s3://{folder}/{best['trial_id']}/checkpoint_")
    assert set(best["test"]) == {"test_accuracy", "test_loss"}  # evaluated from the bucket

    # One TensorBoard run per trial in the bucket, with the epochs as steps.
    runs = {name.split("/")[1] for name in stored if name.startswith("tensorboard/")}
    assert runs == {row["trial_id"] for row in trials}
    local = tmp_path / "tensorboard"
    for name in stored:
        if name.startswith(f"tensorboard/{best['trial_id']}/"):
            (local / Path(name).name).parent.mkdir(parents=True, exist_ok=True)
            with filesystem.open_input_stream(f"{folder}/{name}") as stream:
                (local / Path(name).name).write_bytes(stream.read())
    events = EventAccumulator(str(local))
    events.Reload()
    assert [event.step for event in events.Scalars("val_accuracy")][:1] == [1]

    # The evaluate launcher reads a checkpoint straight from its URI.
    evaluated = run_launcher("evaluate", best["checkpoint"], "--json", env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout) == pytest.approx(best["test"])

    again = run_launcher(
        "local",
        "sweeps/digits_asha.yaml",
        "--storage",
        f"s3://{BUCKET}/results",
        "--name",
        "to_s3",
        env=env,
    )
    assert again.returncode == 2 and "already holds a sweep named 'to_s3'" in again.stderr


EPOCHS = 20  # the driver is killed at epoch 10
ARGS = [
    "sweeps/digits_grid.yaml",
    "--name",
    "killed_s3",
    *two_long_trials(EPOCHS),
    "--set",
    "checkpoint.keep=2",
]


def test_a_killed_driver_resumes_from_the_bucket(s3):
    env, filesystem = s3
    folder = f"{BUCKET}/results/killed_s3"
    driver = subprocess.Popen(
        [sys.executable, "-m", "launchers.local", *ARGS, "--storage", f"s3://{BUCKET}/results"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the embedded Ray goes down with it
    )
    try:
        deadline = time.monotonic() + 300
        # Checkpoint 4 of a trial holds epoch 10 (one every 2 epochs).
        while not any("/checkpoint_000004/" in name for name in files(filesystem, folder)):
            assert driver.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no trial reached epoch 10"
            time.sleep(0.5)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
    assert "trials.parquet" not in files(filesystem, folder)

    run = run_launcher("local", *ARGS, "--storage", f"s3://{BUCKET}/results", "--resume", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    trials = pq.read_table(f"{folder}/trials.parquet", filesystem=filesystem).to_pylist()
    assert sorted(row["config/lr"] for row in trials) == [0.001, 0.002]
    assert {(row["status"], row["epochs"]) for row in trials} == {("completed", EPOCHS)}, (
        [row["error"] for row in trials],
        run.stdout[-2000:],
    )
    metrics = pq.read_table(f"{folder}/metrics.parquet", filesystem=filesystem).to_pylist()
    for row in trials:
        assert [m["epoch"] for m in metrics if m["trial_id"] == row["trial_id"]] == list(
            range(1, EPOCHS + 1)
        )
        with filesystem.open_input_stream(f"{folder}/{row['trial_id']}/result.json") as stream:
            reported = [
                json.loads(line)["epoch"]
                for line in stream.read().decode().splitlines()
                if line.strip()
            ]
        # Continued from a checkpoint: the epochs after the kill do not start again at 1.
        assert reported.count(1) == 1, reported


@pytest.mark.parametrize(
    "storage, expected",
    [
        (
            "ftp://host/folder",
            "storage ftp://host/folder/digits_asha: cannot open it (Unrecognized filesystem type",
        ),
        ("s3://", "storage s3://: name a bucket"),
        ("s3://bucket/x?endpoint_override=y", "options in the URI are not supported"),
    ],
)
def test_unusable_storage_uris_are_one_line_errors(storage, expected):
    run = run_launcher("local", "sweeps/digits_asha.yaml", "--storage", storage)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.strip().count("\n") == 0, run.stderr
    assert expected in run.stderr
