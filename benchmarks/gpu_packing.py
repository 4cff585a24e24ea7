"""Fractional GPUs: the training throughput of four trials packed onto one GPU (``gpu: 0.25``
each, running at once) against one trial alone on the same GPU (``gpu: 1``).

    python -m benchmarks.gpu_packing                 # needs a CUDA GPU
    python -m benchmarks.gpu_packing --out my.json

Both are real sweeps of tests/fixtures/sweeps/gpu_packed.yaml (a 1-D CNN on MNIST-1D) through
the local launcher, in one run so the ratio compares like with like. Throughput is epochs trained
per second once training runs: each trial's epochs after its first, over the time they took (its
result log's ``time_total_s``), summed over the trials, which train at the same time. Ray's
start-up, each trial's set-up and first epoch, and the final export are left out. Prints a table
and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sweeps.results.layout import RESULT_LOG

ROOT = Path(__file__).resolve().parent.parent
SWEEP = "tests/fixtures/sweeps/gpu_packed.yaml"
SETUPS = {
    "alone": ["--set", "space={lr: {grid: [0.001]}}", "--set", "resources.gpu=1"],
    "packed_4": [],
}


def training_throughput(sweep_dir: Path) -> dict[str, float]:
    trials, epochs, rate, seconds = 0, 0, 0.0, 0.0
    for log in sweep_dir.glob(f"*/{RESULT_LOG}"):
        history = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        steady = history[-1]["time_total_s"] - history[0]["time_total_s"]
        trials += 1
        epochs += len(history) - 1
        rate += (len(history) - 1) / steady
        seconds = max(seconds, steady)
    return {"trials": trials, "epochs": epochs, "seconds": seconds, "epochs_per_s": rate}


def run(name: str, extra: list[str], storage: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchers.local",
            SWEEP,
            "--storage",
            str(storage),
            "--name",
            name,
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {name} sweep failed:\n{done.stdout}{done.stderr}")
    return training_throughput(storage / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "gpu_packing.json"))
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("error: this benchmark needs a CUDA GPU", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gpu-packing-") as storage:
        figures = {name: run(name, extra, Path(storage)) for name, extra in SETUPS.items()}
    ratio = figures["packed_4"]["epochs_per_s"] / figures["alone"]["epochs_per_s"]
    print(f"{'setup':<10} {'trials':>6} {'epochs':>6} {'seconds':>8} {'epochs/s':>9}")
    for name, row in figures.items():
        print(
            f"{name:<10} {row['trials']:>6} {row['epochs']:>6} {row['seconds']:>8.1f} {row['epochs_per_s']:>9.2f}"
        )
    print(f"four packed trials train {ratio:.2f}x the epochs per second of one trial alone")
    result = {
        "device": torch.cuda.get_device_name(0),
        "setups": figures,
        "packed_over_alone": ratio,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
