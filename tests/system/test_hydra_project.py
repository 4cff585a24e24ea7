"""A Hydra project as the popular Lightning template lays it out (tests/zoo/hydra_template:
configs/ with data, model, trainer, callbacks, logger, paths, experiment and hparams_search
groups, a module taking an nn.Module and Hydra-partial optimizer and scheduler), copied outside
the repository and swept from its own folder with launchers.local: Hydra composes and
instantiates every trial, the space pasted from the project's hparams_search config. Every other
path (PBT, a crash retried, --resume, DDP, a cluster, evaluate, report) is the zoo's matrix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
import torch

from tests.conftest import launcher_env
from tests.sweeps.user_model.test_hydra import PROJECT

pytestmark = pytest.mark.slow


def test_a_hydra_project_is_swept_as_it_is(tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    monkeypatch.syspath_prepend(str(project))  # to read its checkpoints here
    env = launcher_env(PYTHONPATH=str(project))
    run = subprocess.run(
        [sys.executable, "-m", "launchers.local", "sweep.yaml", "--storage", str(tmp_path / "out")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Hydra config configs/train.yaml experiment=small logger=csv" in run.stdout
    assert "logger: CSVLogger kept" in run.stdout
    assert "Traceback" not in run.stderr and "GPU available" not in run.stdout + run.stderr
    sweep_dir = tmp_path / "out" / "hydra_template"
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert len(trials) == 2 and {row["status"] for row in trials} <= {"completed", "stopped"}
    checkpointed = [row for row in trials if row["checkpoint"]]
    assert checkpointed
    for row in checkpointed:
        # The trial's values reached Hydra's instantiate: the network is as wide as searched.
        stored = torch.load(
            f"{row['checkpoint']}/model.ckpt", map_location="cpu", weights_only=False
        )
        net = stored["hyper_parameters"]["net"]
        assert net.layers[0].out_features == row["config/model.net.hidden"]
        optimizer = stored["optimizer_states"][0]["param_groups"][0]
        assert optimizer["lr"] == pytest.approx(row["config/model.optimizer.lr"])
    for row in trials:
        # The project's own CSV logger, in the trial's folder (Hydra's output_dir), one run each.
        assert (
            sweep_dir / row["trial_id"] / "csv" / f"trial_{row['trial_id']}" / "metrics.csv"
        ).is_file()
    best = json.loads((sweep_dir / "best.json").read_text())
    assert set(best["test"]) == {"test/acc", "test/loss"}
