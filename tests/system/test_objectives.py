"""Several objectives and constraints, end to end through launchers.local: the shipped Pareto
sweep (NSGA-II, a shipped family) and a user's own module searched by TPE for accuracy against
its prediction latency. Configurations over a parameter bound never train and are recorded as
infeasible; the front is in pareto.json with each trial's checkpoint evaluated, and in the tables,
TensorBoard and the console."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from sweeps.sweep_file.objectives import BUILTIN_METRICS
from tests.conftest import ROOT, run_launcher
from tests.helpers.pareto import run_pareto_sweep

pytestmark = pytest.mark.slow

PROJECT = ROOT / "examples" / "lightning_project"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    return run_pareto_sweep(
        tmp_path_factory.mktemp("pareto"),
        # Depth 3 at width 60 and over breaks it: some configurations never train.
        'constraints=["model/params <= 8000", "time/epoch_s < 30"]',
        "scheduler={name: asha, grace_period: 1}",
    )


def test_the_console_names_the_objectives_constraints_and_the_front(shipped):
    _, console = shipped
    assert "objectives val_accuracy (max), model/params (min): their Pareto front" in console
    assert "constraint model/params <= 8000 (before training)" in console
    assert "constraint time/epoch_s < 30 (on trained trials)" in console
    assert "(judges val_accuracy, the first objective)" in console
    assert "front so far:" in console
    assert "front      " in console and "trial(s) (pareto.json):" in console


def test_infeasible_configurations_never_train_and_say_what_broke(shipped):
    sweep_dir, _ = shipped
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    infeasible = [trial for trial in trials if trial["status"] == "infeasible"]
    assert infeasible, "no configuration broke the parameter bound"
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    for trial in infeasible:
        assert trial["epochs"] == 0 and trial["checkpoint"] is None
        assert not trial["feasible"] and trial["pareto_rank"] is None
        assert trial["violated"].startswith("model/params = ")
        assert trial["violated"].endswith(" breaks model/params <= 8000")
        assert int(trial["violated"].split()[2]) > 8000
        assert not [row for row in metrics if row["trial_id"] == trial["trial_id"]]
    trained = [trial for trial in trials if trial["status"] != "infeasible"]
    assert all(trial["feasible"] and trial["at_best_model/params"] <= 8000 for trial in trained)


def test_the_front_is_in_pareto_json_the_tables_and_best_json(shipped):
    sweep_dir, _ = shipped
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    pareto = json.loads((sweep_dir / "pareto.json").read_text())
    assert pareto["metrics"] == ["val_accuracy", "model/params"]
    assert pareto["modes"] == ["max", "min"]
    assert pareto["constraints"] == ["model/params <= 8000", "time/epoch_s < 30"]
    on_front = {trial["trial_id"] for trial in trials if trial["pareto_rank"] == 0}
    assert {trial["trial_id"] for trial in pareto["trials"]} == on_front
    points = {
        trial["trial_id"]: (trial["best_val_accuracy"], trial["at_best_model/params"])
        for trial in trials
        if trial["pareto_rank"] is not None
    }
    for trial in pareto["trials"]:
        accuracy, params = trial["values"]["val_accuracy"], trial["values"]["model/params"]
        assert (accuracy, params) == points[trial["trial_id"]]
        # No ranked trial beats a front trial on both objectives.
        assert not any(
            a >= accuracy and p <= params and (a, p) != (accuracy, params)
            for a, p in points.values()
        )
        assert trial["checkpoint"] and (sweep_dir / trial["trial_id"]).is_dir()
        assert set(trial["test"]) == {"test_accuracy", "test_loss"}, trial["test"]
    accuracies = [trial["values"]["val_accuracy"] for trial in pareto["trials"]]
    assert accuracies == sorted(accuracies, reverse=True)
    best = json.loads((sweep_dir / "best.json").read_text())
    assert best["trial_id"] == pareto["trials"][0]["trial_id"]
    assert best["values"] == pareto["trials"][0]["values"]
    # Every trial that trained logged the built-in metrics every epoch.
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    assert metrics and all(
        all(row[name] is not None for name in BUILTIN_METRICS) for row in metrics
    )


def test_tensorboard_carries_every_objective(shipped):
    sweep_dir, _ = shipped
    trial = next(
        row
        for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
        if row["pareto_rank"] == 0
    )
    events = EventAccumulator(str(sweep_dir / "tensorboard" / trial["trial_id"]))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"val_accuracy", "model/params", "best/val_accuracy", "best/model/params"} <= tags
    assert events.Scalars("best/model/params")[0].value == trial["at_best_model/params"]
    assert set(BUILTIN_METRICS) <= tags


def test_a_users_module_searched_for_accuracy_against_latency(tmp_path):
    sweep = tmp_path / "latency.yaml"
    sweep.write_text(
        json.dumps(
            {
                "name": "latency",
                "model": {"class_path": "my_project.models.Classifier"},
                "data": {"class_path": "my_project.data.Digits"},
                "space": {
                    "model.hidden": {"choice": [16, 64, 512]},
                    "model.lr": {"logfloat": [1.0e-3, 3.0e-2]},
                },
                "metric": ["val/acc", "latency/predict_ms"],
                "mode": ["max", "min"],
                "constraints": ["model/params <= 40000", "val/loss < 100"],
                "searcher": {"name": "tpe", "n_startup_trials": 4},
                "trials": {"num_samples": 5},
                "stop": {"max_epochs": 2},
            }
        )
    )
    run = run_launcher("local", str(sweep), "--storage", str(tmp_path / "results"), cwd=PROJECT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    sweep_dir = tmp_path / "results" / "latency"
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert {trial["status"] for trial in trials} <= {"completed", "infeasible"}
    for trial in trials:
        wide = trial["config/model.hidden"] == 512  # 64 inputs x 512: over the bound
        assert (trial["status"] == "infeasible") == wide, trial
        if not wide:
            assert trial["at_best_latency/predict_ms"] > 0
    pareto = json.loads((sweep_dir / "pareto.json").read_text())
    assert pareto["trials"] and all(trial["test"] for trial in pareto["trials"])
    assert all("latency/predict_ms" in trial["values"] for trial in pareto["trials"])


def test_the_report_reads_a_sweep_of_several_objectives(shipped):
    sweep_dir, _ = shipped
    run = run_launcher("report", str(sweep_dir))
    assert run.returncode == 0, run.stderr
    assert "best       val_accuracy = " in run.stdout
    assert (sweep_dir / "report" / "report.html").is_file()
