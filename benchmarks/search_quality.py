"""Search quality at equal compute: how good a model each way of searching finds on MNIST-1D for a
fixed number of training epochs, over several seeds.

    python -m benchmarks.search_quality                  # MLP and CNN, 3 seeds (about half an hour)
    python -m benchmarks.search_quality --families mlp --seeds 0 1 2 3 4 --out my.json

Methods, each a real sweep through the runner on embedded Ray, on the shipped sweeps' spaces
(sweeps/mnist1d_mlp.yaml, sweeps/mnist1d_cnn.yaml) with the same data split for every run:

    random     random search, every trial trained to max_epochs (FIFO)
    asha       random search, ASHA stopping
    tpe        Optuna's TPE, every trial trained to max_epochs
    tpe_asha   TPE proposing, ASHA stopping
    bohb       BOHB with its HyperBand budgets
    pbt        population-based training (population = budget / max_epochs)

Equal compute: every sweep ends when its trials have trained ``budget`` epochs in all
(``stop.epoch_budget``). From each sweep's result logs, in the order the epochs finished, the
script takes the best validation accuracy reached after 25 %, 50 % and 100 % of the budget and
evaluates that checkpoint on the held-out test split. It prints a table (mean and spread over
seeds) and writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sweeps.results.layout import RESULT_LOG
from sweeps.sweep_file.yaml_loading import read_yaml_file

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = {
    # family: (shipped sweep, max_epochs per trial, epoch budget per sweep, PBT perturbation interval)
    "mlp": ("sweeps/mnist1d_mlp.yaml", 20, 200, 4),
    "cnn": ("sweeps/mnist1d_cnn.yaml", 12, 96, 3),
}
METHODS = ("random", "asha", "tpe", "tpe_asha", "bohb", "pbt")
FRACTIONS = (0.25, 0.5, 1.0)


def method_sections(method: str, max_epochs: int, budget: int, interval: int) -> dict[str, Any]:
    """The searcher, scheduler and trial sections that make ``method``."""
    many = {"num_samples": 1000, "max_concurrent": 2}  # the epoch budget ends the sweep
    asha = {"name": "asha", "grace_period": 2, "reduction_factor": 3, "max_t": max_epochs}
    return {
        "random": {"searcher": {"name": "random"}, "scheduler": {"name": "fifo"}, "trials": many},
        "asha": {"searcher": {"name": "random"}, "scheduler": asha, "trials": many},
        "tpe": {"searcher": {"name": "tpe"}, "scheduler": {"name": "fifo"}, "trials": many},
        "tpe_asha": {"searcher": {"name": "tpe"}, "scheduler": asha, "trials": many},
        # HyperBand runs its brackets itself: no concurrency limit (see sweeps.schedulers.hyperband).
        "bohb": {
            "searcher": {"name": "bohb"},
            "scheduler": {"name": "hyperband", "max_t": max_epochs, "reduction_factor": 3},
            "trials": {"num_samples": 1000},
        },
        "pbt": {
            "searcher": {"name": "random"},
            "scheduler": {"name": "pbt", "perturbation_interval": interval},
            "trials": {"num_samples": max(2, budget // max_epochs), "max_concurrent": 2},
        },
    }[method]


def sweep_file(family: str, method: str, seed: int) -> dict[str, Any]:
    path, max_epochs, budget, interval = FAMILIES[family]
    raw = read_yaml_file(ROOT / path)
    raw.update(method_sections(method, max_epochs, budget, interval))
    raw["name"] = f"{family}_{method}_seed{seed}"
    raw["seed"] = seed
    raw["data"] = {**raw["data"], "seed": 0}  # one data split for every run: only the search varies
    raw["stop"] = {"max_epochs": max_epochs, "epoch_budget": budget}
    # Every epoch's checkpoint is kept, to evaluate the best one at each fraction of the budget.
    raw["checkpoint"] = {"every": 1, "keep": None}
    return raw


def epochs_in_order(sweep_dir: Path) -> list[dict[str, Any]]:
    """Every epoch every trial reported, in the order they finished."""
    import pyarrow.parquet as pq

    results = []
    for row in pq.read_table(sweep_dir / "trials.parquet", columns=["trial_dir"]).to_pylist():
        log = Path(row["trial_dir"]) / RESULT_LOG
        if not log.is_file():
            continue
        for line in log.read_text().splitlines():
            if line.strip():
                result = json.loads(line)
                result["trial_dir"] = row["trial_dir"]
                results.append(result)
    # Tune stamps whole seconds; a trial's own clock orders its epochs within one second.
    return sorted(results, key=lambda r: (r["timestamp"], r["time_total_s"]))


def best_at_fractions(
    results: list[dict[str, Any]], metric: str, budget: int
) -> list[dict[str, Any]]:
    from lightning_modules.evaluation import evaluate_checkpoint

    points = []
    for fraction in FRACTIONS:
        spent = results[: max(1, round(fraction * min(budget, len(results))))]
        scored = [
            r
            for r in spent
            if isinstance(r.get(metric), (int, float))
            and math.isfinite(r[metric])
            and r.get("checkpoint_dir_name")
        ]
        best = max(scored, key=lambda r: r[metric])
        checkpoint = Path(best["trial_dir"]) / best["checkpoint_dir_name"]
        points.append(
            {
                "fraction": fraction,
                "epochs_spent": len(spent),
                "val_accuracy": best[metric],
                "test_accuracy": evaluate_checkpoint(checkpoint)["test_accuracy"],
                "trial_id": best["trial_id"],
                "epoch": best["epoch"],
            }
        )
    return points


def run_one(family: str, method: str, seed: int, storage: Path, keep: bool) -> dict[str, Any]:
    from sweeps.definition import sweep_from_dict
    from sweeps.driver.runner import run_sweep

    raw = sweep_file(family, method, seed)
    spec = sweep_from_dict(raw, source=f"{family}/{method}")
    budget = spec.stop.epoch_budget
    assert budget is not None  # sweep_file sets one
    started = time.monotonic()
    outcome = run_sweep(spec, storage, progress_interval_s=3600)
    wall = time.monotonic() - started
    assert isinstance(outcome.sweep_dir, Path)  # local storage: a folder, not a URI
    results = epochs_in_order(outcome.sweep_dir)
    run = {
        "family": family,
        "method": method,
        "seed": seed,
        "wall_s": round(wall, 1),
        # Epochs trained, counted from the result logs (a PBT trial's epoch number jumps when it
        # continues from another trial's checkpoint, so the last epoch numbers would not do).
        "trials": sum(outcome.status_counts.values()),
        "trials_started": len({result["trial_id"] for result in results}),
        "epochs": len(results),
        "curve": best_at_fractions(results, spec.metric, budget),
    }
    if not keep:  # every epoch's checkpoint is kept: hundreds of megabytes per sweep
        shutil.rmtree(outcome.sweep_dir)
    return run


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for family in dict.fromkeys(run["family"] for run in runs):
        for method in dict.fromkeys(run["method"] for run in runs if run["family"] == family):
            group = [run for run in runs if run["family"] == family and run["method"] == method]
            row: dict[str, Any] = {"family": family, "method": method, "seeds": len(group)}
            for index, fraction in enumerate(FRACTIONS):
                for name in ("val_accuracy", "test_accuracy"):
                    values = [run["curve"][index][name] for run in group]
                    row[f"{name}@{fraction:g}"] = _mean_spread(values)
            row["epochs"] = statistics.mean(run["epochs"] for run in group)
            row["trials"] = statistics.mean(run["trials_started"] for run in group)
            row["wall_s"] = statistics.mean(run["wall_s"] for run in group)
            rows.append(row)
    return rows


def _mean_spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": statistics.mean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = [
        "family",
        "method",
        "test@25%",
        "test@50%",
        "test@100%",
        "val@100%",
        "epochs",
        "trials",
        "wall s",
    ]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for row in rows:

        def shown(key: str, row: dict = row) -> str:
            return f"{row[key]['mean']:.3f} ± {row[key]['std']:.3f}"

        lines.append(
            " | ".join(
                [
                    row["family"],
                    row["method"],
                    shown("test_accuracy@0.25"),
                    shown("test_accuracy@0.5"),
                    shown("test_accuracy@1"),
                    shown("val_accuracy@1"),
                    f"{row['epochs']:.0f}",
                    f"{row['trials']:.0f}",
                    f"{row['wall_s']:.0f}",
                ]
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--families", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--storage",
        type=Path,
        help="keep the sweeps in this folder (default: a temporary folder, each deleted once measured)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "search_quality.json")
    args = parser.parse_args(argv)

    storage = args.storage or Path(tempfile.mkdtemp(prefix="search-quality-"))
    runs = []
    for family in args.families:
        for seed in args.seeds:
            for method in args.methods:
                run = run_one(family, method, seed, storage, keep=args.storage is not None)
                last = run["curve"][-1]
                print(
                    f"[{family} {method} seed {seed}] {run['epochs']} epochs, {run['trials_started']} trials, "
                    f"{run['wall_s']:.0f} s: val {last['val_accuracy']:.4f}, test {last['test_accuracy']:.4f}",
                    flush=True,
                )
                runs.append(run)
    rows = summarise(runs)
    print()
    print(table(rows))
    budgets = {family: FAMILIES[family][2] for family in args.families}
    args.out.write_text(
        json.dumps({"budgets": budgets, "summary": rows, "runs": runs}, indent=1) + "\n"
    )
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
