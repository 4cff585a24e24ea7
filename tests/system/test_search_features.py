"""Real sweeps through ``python -m launchers.local`` for the search features: a conditional space
whose trials train exactly the keys that apply to them, a warm start from that sweep's
trials.parquet, and a sweep that ends when its metric target is reached."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from lightning_modules.checkpoint import load_model
from tests.conftest import run_launcher

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def conditional_sweep(tmp_path_factory):
    storage = tmp_path_factory.mktemp("storage")
    run = run_launcher("local", "tests/fixtures/sweeps/conditional.yaml", "--storage", str(storage))
    assert run.returncode == 0, run.stdout + run.stderr
    return storage / "conditional"


def test_each_trial_trains_with_exactly_the_keys_that_apply(conditional_sweep):
    trials = pq.read_table(conditional_sweep / "trials.parquet").to_pylist()
    assert len(trials) == 6 and {row["config/optimizer"] for row in trials} == {"sgd", "adam"}
    for row in trials:
        assert (row["config/momentum"] is None) == (row["config/optimizer"] == "adam")
        widths = [row[f"config/widths[{index}]"] for index in range(3)]
        assert [width is not None for width in widths] == [
            index < row["config/depth"] for index in range(3)
        ]
        model = load_model(row["checkpoint"])
        assert model.config.layer_widths() == widths[: row["config/depth"]]
        assert model.config.momentum == (
            row["config/momentum"] if row["config/optimizer"] == "sgd" else 0.0
        )
        linear_outputs = [
            layer.out_features for layer in model.modules() if layer.__class__.__name__ == "Linear"
        ]
        assert linear_outputs[:-1] == widths[: row["config/depth"]]


def test_warm_start_reruns_the_best_earlier_trial_and_learns_from_all(conditional_sweep, tmp_path):
    earlier = pq.read_table(conditional_sweep / "trials.parquet").to_pylist()
    best = max(earlier, key=lambda row: row["best_val_accuracy"])
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/conditional.yaml",
        "--storage",
        str(tmp_path),
        "--name",
        "warm",
        "--set",
        "searcher={name: tpe}",
        "--set",
        "trials.num_samples=3",
        "--set",
        f"warm_start={{trials: {conditional_sweep}, rerun_best: 1}}",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        f"1 configuration(s) tried first; 6 of 6 earlier trials in {conditional_sweep} learned from"
        in run.stdout
    )
    rerun = {
        key: value for key, value in best.items() if key.startswith("config/") and value is not None
    }
    trials = pq.read_table(tmp_path / "warm" / "trials.parquet").to_pylist()
    assert sum(all(row[key] == value for key, value in rerun.items()) for row in trials) == 1


def test_the_sweep_ends_once_a_trial_reaches_the_target(tmp_path):
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/conditional.yaml",
        "--storage",
        str(tmp_path),
        "--set",
        "trials.num_samples=12",
        "--set",
        "trials.max_concurrent=1",
        "--set",
        "stop.max_epochs=4",
        "--set",
        "space.lr={logfloat: [0.01, 0.05]}",
        "--set",
        "stop.target=0.5",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        "stopping the sweep: trial" in run.stdout
        and "reached the target val_accuracy 0.5" in run.stdout
    )
    trials = pq.read_table(tmp_path / "conditional" / "trials.parquet").to_pylist()
    trained = [row for row in trials if row["epochs"] > 0]
    assert 1 <= len(trained) <= 2 < 12  # the first good trial ends the sweep
    assert json.loads((tmp_path / "conditional" / "best.json").read_text())["value"] >= 0.5


def test_an_epoch_budget_ends_a_bohb_sweep_with_trials_still_waiting(tmp_path):
    # HyperBand holds proposed trials back until their bracket runs; the ones the budget never
    # reached have no config yet and are listed as not started.
    run = run_launcher(
        "local",
        "sweeps/digits_bohb.yaml",
        "--storage",
        str(tmp_path),
        "--set",
        "stop.epoch_budget=12",
        "--set",
        "stop.time_budget_s=null",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "stopping the sweep: the trials have trained 12 epochs, the epoch budget" in run.stdout
    trials = pq.read_table(tmp_path / "digits_bohb" / "trials.parquet").to_pylist()
    assert sum(row["epochs"] for row in trials) >= 12
    assert any(row["status"] == "not_started" for row in trials)
