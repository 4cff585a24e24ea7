"""Data-parallel trials (resources.workers: 2): each trial trains over two Ray Train workers with
Lightning's DDP strategy (gloo on CPU) inside an ordinary sweep, on embedded Ray."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from lightning_modules.checkpoint import read_checkpoint
from tests.conftest import ROOT, launcher_env
from tests.helpers.processes import command_line, descendants, results, stop_if_running

pytestmark = pytest.mark.slow

TRAIN_WORKER = "ray::RayTrainWorker"
KILL_AT = 2  # a rank of the first trial is killed once it has reported this epoch
EPOCHS = 6  # enough left after the kill for the restart to train


def validation_metrics(checkpoint: str) -> dict[str, float]:
    """The checkpoint's model evaluated on its validation split in this one process."""
    import pytorch_lightning as pl

    from lightning_modules.checkpoint import load_model
    from lightning_modules.registry import DATASETS

    stored = read_checkpoint(checkpoint)
    entry = DATASETS[stored["dataset"]["name"]]
    model = load_model(checkpoint)
    datamodule = entry.datamodule_class()(
        entry.config.from_stored(stored["dataset"]["config"]),
        batch_size=model.config.batch_size,
        fold=stored["dataset"]["fold"],
    )
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    return {
        name: float(value)
        for name, value in trainer.validate(model, datamodule=datamodule, verbose=False)[0].items()
    }


def test_ddp_trials_report_checkpoint_restart_and_are_scheduled_like_any_other(tmp_path):
    """One sweep of two DDP trials: a rank of the first is SIGKILLed at epoch 2 and the trial
    continues from its checkpoint in a new worker group; ASHA then stops the second, hopeless one
    after epoch 1."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    storage = tmp_path / "results"
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "launchers.local",
            "tests/fixtures/sweeps/ddp.yaml",
            "--storage",
            str(storage),
            "--set",
            f"stop.max_epochs={EPOCHS}",
            "--set",
            "failure.max_retries=1",
        ],
        cwd=ROOT,
        env=launcher_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sweep_dir = storage / "ddp"
        deadline = time.monotonic() + 300
        while not any(r["epoch"] >= KILL_AT for rs in results(sweep_dir).values() for r in rs):
            assert driver.poll() is None, driver.communicate()[0]
            assert time.monotonic() < deadline, f"the trial never reached epoch {KILL_AT}"
            time.sleep(0.05)
        workers = [
            pid for pid in descendants(driver.pid) if command_line(pid).startswith(TRAIN_WORKER)
        ]
        assert len(workers) == 2, [command_line(pid) for pid in descendants(driver.pid)]
        with contextlib.suppress(ProcessLookupError):
            os.kill(max(workers), signal.SIGKILL)  # one of the two ranks
        killed_at = time.time()
        output = driver.communicate(timeout=400)[0]
    finally:
        stop_if_running(driver)
    assert driver.returncode == 0, output
    assert "2 data-parallel workers per trial (DDP), 1 CPU, 0 GPU each" in output

    trials = {
        row["config/lr"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    # ASHA compared the two at epoch 1 and stopped the hopeless one; the other ran to the end.
    assert (trials[0.02]["status"], trials[0.02]["epochs"]) == ("completed", EPOCHS)
    assert (trials[0.00001]["status"], trials[0.00001]["epochs"]) == ("stopped", 1)
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    # every epoch once in the tables, the restarted trial's included
    assert sorted((row["trial_id"], row["epoch"]) for row in metrics) == sorted(
        [(trials[0.02]["trial_id"], epoch) for epoch in range(1, EPOCHS + 1)]
        + [(trials[0.00001]["trial_id"], 1)]
    )
    # Rank 0 measures the built-in metrics of a data-parallel trial too.
    for name in ("model/params", "time/epoch_s", "memory/peak_mib", "latency/predict_ms"):
        assert all(row[name] is not None and row[name] > 0 for row in metrics), name

    history = results(sweep_dir)[trials[0.02]["trial_id"]]
    reported = [(r["epoch"], r["iterations_since_restore"]) for r in history]
    restarts = [i for i, (_, since_restore) in enumerate(reported) if since_restore == 1][1:]
    # Exactly one restart (a new trial process and worker group), and it continued from a
    # checkpoint instead of epoch 1.
    assert len(restarts) == 1, reported
    assert 1 < reported[restarts[0]][0] <= reported[restarts[0] - 1][0] + 1, reported
    assert history[restarts[0]]["pid"] != history[0]["pid"]
    print(
        f"recovery: {history[restarts[0]]['timestamp'] - killed_at:.1f} s from the kill to the restarted trial's next result"
    )

    best = trials[0.02]
    folder = sweep_dir / best["trial_id"] / best["checkpoint"].rsplit("/", 1)[-1]
    # rank 0's model only, beside the trial's own files
    assert sorted(path.name for path in folder.iterdir()) == [
        "metrics.json",
        "model.ckpt",
        "patience.json",
    ]
    assert read_checkpoint(folder)["world_size"] == 2
    # The reported metrics are those of the whole validation split (summed over both ranks'
    # shards), equal to evaluating the checkpoint in a single process.
    reported_row = next(
        row
        for row in metrics
        if row["trial_id"] == best["trial_id"] and row["epoch"] == best["checkpoint_epoch"]
    )
    alone = validation_metrics(str(folder))
    assert alone["val_accuracy"] == pytest.approx(reported_row["val_accuracy"], abs=1e-6)
    assert alone["val_loss"] == pytest.approx(reported_row["val_loss"], rel=1e-4)

    # One TensorBoard run per trial, written by the driver: no run per rank.
    runs = sorted(path.name for path in (sweep_dir / "tensorboard").iterdir())
    assert runs == sorted(row["trial_id"] for row in trials.values())
    events = EventAccumulator(str(sweep_dir / "tensorboard" / best["trial_id"]))
    events.Reload()
    assert [event.step for event in events.Scalars("val_accuracy")] == list(range(1, EPOCHS + 1))
