"""Sweeping a user's own LightningModule for real: a project in a temporary folder outside the
repository, never installed, swept from its own folder with ``launchers.local`` (embedded Ray):
class paths with its LightningCLI config merged in, a blueprint with a conditional value, PBT on
a ``pytorch_lightning`` module, data-parallel trials, and a misspelt metric that stops the sweep
at the first trial's first validation."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
import yaml

from tests.conftest import launcher_env
from tests.helpers.user_project import write_project

pytestmark = pytest.mark.slow

LR_MONITOR = {
    "class_path": "lightning.pytorch.callbacks.LearningRateMonitor",
    "init_args": {"logging_interval": "epoch"},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("user-project"))


def sweep_in(project: Path, name: str, **sections) -> str:
    raw = {"name": name, "metric": "val/acc", "mode": "max", **sections}
    (project / f"{name}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return f"{name}.yaml"


def launch(project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m launchers.local`` run from the project's own folder, as its user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "launchers.local", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=launcher_env(),
    )


def test_a_users_module_is_swept_with_its_lightning_config(project, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    sweep = sweep_in(
        project,
        "classes",
        model={
            "class_path": "sweepable.models.Classifier"
        },  # fixed-class config: the classes are named here
        data={"class_path": "sweepable.data.Blobs"},
        lightning_config=[
            "configs/fit.yaml"
        ],  # hidden 24, batch 32, LearningRateMonitor, max_epochs 30
        trainer={"gradient_clip_val": 1.0},
        space={
            "model.init_args.lr": {"logfloat": [0.01, 0.3]},
            "data.batch_size": {"choice": [16, 32]},
            "trainer.gradient_clip_val": {"float": [0.2, 1.0], "step": 0.2},
        },
        scheduler={"name": "asha", "grace_period": 1},
        trials={"num_samples": 4},
        stop={"max_epochs": 3},
    )
    done = launch(project, sweep, "--storage", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note       trainer.max_epochs 30 is set by stop.max_epochs" in done.stdout
    sweep_dir = tmp_path / "classes"
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert len(trials) == 4 and {row["status"] for row in trials} <= {"completed", "stopped"}
    assert all(
        row["config/trainer.gradient_clip_val"] in (0.2, 0.4, 0.6, 0.8, 1.0) for row in trials
    )
    metrics = pq.read_table(sweep_dir / "metrics.parquet")
    assert {"val/acc", "val/loss", "train/loss", "lr", "lr-SGD"} <= set(metrics.column_names)

    best = json.loads((sweep_dir / "best.json").read_text())
    assert (
        best["model"]["class_path"] == "sweepable.models.Classifier"
        and best["model"]["init_args"]["hidden"] == 24
    )
    assert best["data"]["init_args"]["batch_size"] == best["config"]["data.batch_size"]
    assert (
        0 < best["test"]["test/acc"] <= 1
    )  # the data module's test_dataloader through the module's test_step
    stored = torch.load(Path(best["checkpoint"]) / "model.ckpt", weights_only=False)
    assert (
        stored["sweep_model"]["config"]["model"]["init_args"]["lr"]
        == best["config"]["model.init_args.lr"]
    )
    evaluated = subprocess.run(
        [sys.executable, "-m", "launchers.evaluate", best["checkpoint"], "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env=launcher_env(),
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout.strip().splitlines()[-1]) == pytest.approx(best["test"])

    # One TensorBoard run per trial, with the scalars the module logged.
    run = EventAccumulator(str(sweep_dir / "tensorboard" / best["trial_id"]))
    run.Reload()
    assert "val/acc" in run.Tags()["scalars"] and "lr-SGD" in run.Tags()["scalars"]


def test_a_blueprint_asks_for_a_value_only_where_it_applies(project, tmp_path):
    sweep = sweep_in(
        project,
        "blueprint",
        model={"builder": "sweepable.tuning:build"},
        searcher={"name": "tpe"},
        trials={"num_samples": 6},
        stop={"max_epochs": 2},
    )
    dry = launch(project, sweep, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "  momentum             float [0, 0.9] step 0.3  when optimizer = sgd" in dry.stdout
    done = launch(project, sweep, "--storage", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    trials = pq.read_table(tmp_path / "blueprint" / "trials.parquet").to_pylist()
    assert len(trials) == 6 and {row["status"] for row in trials} == {"completed"}
    for row in trials:
        # momentum exists exactly in the SGD trials, and the checkpoint's module was built with it
        assert (row["config/momentum"] is not None) == (row["config/optimizer"] == "sgd"), row
        stored = torch.load(Path(row["checkpoint"]) / "model.ckpt", weights_only=False)
        assert stored["hyper_parameters"]["optimizer"] == row["config/optimizer"]
        assert stored["hyper_parameters"]["hidden"] == row["config/hidden"]
        assert stored["hyper_parameters"]["momentum"] == (row["config/momentum"] or 0.0)


def test_a_misspelt_metric_stops_the_sweep_at_the_first_validation(project, tmp_path):
    sweep = sweep_in(
        project,
        "typo",
        model={"class_path": "sweepable.models.Classifier"},
        data={"class_path": "sweepable.data.Blobs", "init_args": {"samples": 4000}},
        space={"model.lr": {"grid": [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]}},
        metric="val/accuracy",
        searcher={"name": "grid"},
        stop={"max_epochs": 20},
    )
    started = time.monotonic()
    done = launch(project, sweep, "--storage", str(tmp_path))
    elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stdout + done.stderr
    errors = done.stderr.strip().splitlines()
    assert errors == [
        f"error: {sweep}: metric: metric 'val/accuracy' was never logged by sweepable.models.Classifier; "
        "it logged: val/acc, val/loss; did you mean 'val/acc'? (fix metric:, then start again with --overwrite)"
    ]
    trials = pq.read_table(tmp_path / "typo" / "trials.parquet").to_pylist()
    # Stopped at once: no trial trained past its first epoch, and most never started.
    assert all((row["epochs"] or 0) == 0 for row in trials), trials
    assert sum(row["status"] == "metric_missing" for row in trials) >= 1
    print(f"metric typo: the launcher exited {elapsed:.1f} s after it started")


def test_pbt_on_a_pytorch_lightning_module_trains_exploited_trials_at_the_mutated_rate(
    project, tmp_path
):
    sweep = sweep_in(
        project,
        "pbt",
        model={
            "class_path": "sweepable.models.ClassicClassifier",
            "init_args": {"optimizer": "adam"},
        },
        data={"class_path": "sweepable.data.ClassicBlobs"},
        space={"model.init_args.lr": {"logfloat": [1e-4, 0.1]}},
        scheduler={
            "name": "pbt",
            "perturbation_interval": 2,
            "quantile_fraction": 0.5,
            "resample_probability": 0.0,
            "synch": True,
        },
        trials={"num_samples": 2},
        stop={"max_epochs": 4},
        checkpoint={"every": 2, "keep": None},
        seed=3,
    )
    done = launch(project, sweep, "--storage", str(tmp_path), timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    exploits = []
    for row in pq.read_table(tmp_path / "pbt" / "trials.parquet").to_pylist():
        if row["checkpoint"] is None:
            # Exploited at its last epoch, a trial is the donor's checkpoint and saves nothing new.
            assert row["status"] == "completed", row
            continue
        stored = torch.load(Path(row["checkpoint"]) / "model.ckpt", weights_only=False)
        for restore in stored["sweep_lineage"]:
            lr = restore["config"]["model"]["init_args"]["lr"]
            assert restore["lr"] == pytest.approx(lr, rel=1e-6)  # the mutated rate, not the donor's
            exploits.append(restore)
    assert exploits, "PBT exploited no trial"


def test_a_users_module_trains_data_parallel(project, tmp_path):
    sweep = sweep_in(
        project,
        "ddp",
        model={"class_path": "sweepable.models.Classifier"},
        data={"class_path": "sweepable.data.Blobs"},
        space={"model.lr": {"grid": [0.05]}},
        searcher={"name": "grid"},
        resources={"cpu": 1, "workers": 2},
        stop={"max_epochs": 2},
    )
    done = launch(project, sweep, "--storage", str(tmp_path), timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = pq.read_table(tmp_path / "ddp" / "trials.parquet").to_pylist()
    assert (row["status"], row["epochs"]) == ("completed", 2)
    assert torch.load(Path(row["checkpoint"]) / "model.ckpt", weights_only=False)["world_size"] == 2
