"""examples/lightning_project: an ordinary Lightning project (its LightningCLI trains it) whose
two sweep files, by class path and by blueprint, are valid and run when shrunk."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sweeps.definition import load_sweep
from tests.conftest import ROOT, launcher_env

PROJECT = ROOT / "examples" / "lightning_project"
SWEEPS = sorted(PROJECT.glob("sweep_*.yaml"))


@pytest.fixture
def in_project(monkeypatch):
    monkeypatch.chdir(PROJECT)
    monkeypatch.syspath_prepend(str(PROJECT))
    yield
    for name in [
        name for name in sys.modules if name == "my_project" or name.startswith("my_project.")
    ]:
        del sys.modules[name]


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_each_example_sweep_is_valid(path, in_project):
    spec = load_sweep(path.name)
    assert spec.model.is_users_own and spec.metric == "val/acc" and len(spec.space) >= 5


def test_the_project_trains_with_its_own_lightning_cli(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "my_project.cli",
            "fit",
            "--config",
            "configs/fit.yaml",
            "--trainer.max_epochs",
            "1",
            "--trainer.enable_checkpointing",
            "false",
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.default_root_dir",
            str(tmp_path),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
def test_the_class_path_example_runs_when_shrunk(tmp_path):
    # The blueprint example is checked by loading it above (its space is found by running the
    # blueprint); blueprints train for real in tests/system/test_user_model.py.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchers.local",
            "sweep_classes.yaml",
            "--storage",
            str(tmp_path),
            "--set",
            "trials.num_samples=2",
            "--set",
            "stop.max_epochs=2",
            "--set",
            "scheduler.grace_period=1",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env=launcher_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (sweep_dir,) = tmp_path.iterdir()
    best = json.loads((sweep_dir / "best.json").read_text())
    assert best["value"] > 0.5 and 0.5 < best["test"]["test/acc"] <= 1
