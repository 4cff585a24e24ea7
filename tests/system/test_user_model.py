"""Sweeping a user's own LightningModule for real: a project in a temporary folder outside the
repository, never installed, swept from its own folder with ``launchers.local`` (embedded Ray):
a blueprint with a conditional value, and a misspelt metric that stops the sweep at the first
trial's first validation. Class paths with LightningCLI configs, PBT, data-parallel trials,
evaluation and both Lightning packages go through the zoo's matrix (tests/system/test_zoo.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
import yaml

from sweeps.stop_reasons import METRIC_NEVER_LOGGED
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
    assert done.returncode == METRIC_NEVER_LOGGED.exit_status == 4, done.stdout + done.stderr
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
