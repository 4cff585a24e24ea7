"""GPU paths, run where CUDA GPUs are present and skipped elsewhere: four trials packed onto one
GPU (a quarter each, running at once), and data-parallel trials over two GPUs (DDP over NCCL)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from lightning_modules.checkpoint import read_checkpoint
from tests.conftest import run_launcher
from tests.helpers.processes import results


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.gpu,
    pytest.mark.skipif(gpu_count() == 0, reason="no CUDA GPU here"),
]


def test_four_quarter_gpu_trials_share_one_gpu_at_once(tmp_path):
    done = run_launcher(
        "local", "tests/fixtures/sweeps/gpu_packed.yaml", "--storage", str(tmp_path), timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sweep_dir = tmp_path / "gpu_packed"
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert {(row["status"], row["epochs"]) for row in trials} == {("completed", 8)} and len(
        trials
    ) == 4
    # All four were training at the same time: each started before any ended.
    spans = [
        (history[0]["timestamp"] - history[0]["time_this_iter_s"], history[-1]["timestamp"])
        for history in results(sweep_dir).values()
    ]
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans


@pytest.mark.skipif(gpu_count() < 2, reason="DDP over GPUs needs two of them")
def test_ddp_trials_train_over_two_gpus(tmp_path):
    done = run_launcher(
        "local", "tests/fixtures/sweeps/ddp_gpu.yaml", "--storage", str(tmp_path), timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sweep_dir = tmp_path / "ddp_gpu"
    trials = {
        row["config/lr"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    assert (trials[0.02]["status"], trials[0.02]["epochs"]) == ("completed", 4)
    best = trials[0.02]
    folder = sweep_dir / best["trial_id"] / best["checkpoint"].rsplit("/", 1)[-1]
    assert read_checkpoint(folder)["world_size"] == 2
