"""The shipped two-objective sweep (sweeps/digits_pareto.yaml), shrunk, through launchers.local."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_launcher


def run_pareto_sweep(storage: Path, *sets: str) -> tuple[Path, str]:
    """Run it into ``storage`` with a few trials of 3 epochs and the ``KEY=VALUE`` overrides;
    its folder and console."""
    args = ["trials.num_samples=10", "stop.max_epochs=3", "searcher.population_size=4", *sets]
    run = run_launcher(
        "local",
        "sweeps/digits_pareto.yaml",
        "--storage",
        str(storage),
        *(part for text in args for part in ("--set", text)),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return storage / "digits_pareto", run.stdout
