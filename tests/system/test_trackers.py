"""Sweeps logging to the user's trackers: a real MLflow tracking server on loopback (SQLite,
artifacts served through it), read back with MLflow's client, and W&B in offline mode, its run
files read back with W&B's own reader (``wandb leet inspect``). One parent run per sweep, one run
per trial whatever happens to the trial (a retry, PBT's restores, an interrupted and resumed
sweep), and a tracker that is down never stops the sweep."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sweeps.results.epoch_results import epoch_results
from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.mlflow_server import mlflow_server
from tests.helpers.processes import free_port, results, stop_if_running, wait_for_epochs
from tests.helpers.sweep_args import ONE_QUICK_TRIAL, grid

pytestmark = pytest.mark.slow

WANDB = str(Path(sys.executable).with_name("wandb"))


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory):
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as uri:
        yield uri


def mlflow_runs(uri: str, experiment: str) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    return client.search_runs([found.experiment_id], max_results=1000)


def history(uri: str, run_id: str, metric: str) -> list[tuple[int, float]]:
    from mlflow.tracking import MlflowClient

    return sorted((m.step, m.value) for m in MlflowClient(uri).get_metric_history(run_id, metric))


def wandb_runs(folder: Path) -> list[dict]:
    """Each offline run under ``folder``, as W&B's own reader prints its records."""
    runs = []
    for run_dir in sorted(folder.glob("wandb/offline-run-*")):
        printed = subprocess.run(
            [WANDB, "leet", "inspect", "--json", str(run_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        records = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
        run = next(record["run"] for record in records if record["type"] == "run")
        runs.append(
            {
                "name": run["display_name"],
                "group": run.get("run_group"),
                "job_type": run.get("job_type"),
                "config": run.get("config", {}).get("update", {}),
                "history": [r["history"]["item"] for r in records if r["type"] == "history"],
                "summary": {
                    key: value
                    for r in records
                    if r["type"] == "summary"
                    for key, value in r["summary"]["update"].items()
                },
                "exit": next(
                    (r["exit"].get("exit_code", 0) for r in records if r["type"] == "exit"), None
                ),
                "files": sorted(p.name for p in (run_dir / "files").iterdir()),
            }
        )
    return runs


def test_a_sweep_with_a_retried_trial_logs_one_run_per_trial_to_mlflow_and_wandb(
    tracking_uri, tmp_path
):
    """Two trials, one of which crashes before its second epoch and is retried from its
    checkpoint: its runs go on instead of new ones starting."""
    run = run_launcher(
        "local",
        "sweeps/digits_grid.yaml",
        "--storage",
        str(tmp_path),
        *grid([1], [32], [0.001, 0.002], 4, "checkpoint.every=1", "failure.max_retries=1"),
        "--set",
        f"loggers.mlflow={{tracking_uri: '{tracking_uri}', experiment: retried, artifacts: true}}",
        "--set",
        "loggers.wandb={project: retried, mode: offline}",
        env=launcher_env(SWEEP_INJECT_FAULTS=json.dumps({"crash": {"lr": 0.002}})),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "loggers    mlflow (" in run.stdout and "wandb (offline, project retried)" in run.stdout
    assert "warning" not in run.stderr and "View run" not in run.stdout
    sweep_dir = tmp_path / "digits_grid"
    trials = json.loads((sweep_dir / "best.json").read_text())

    runs = mlflow_runs(tracking_uri, "retried")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 2
    parent = parents[0]
    assert parent.info.run_name == "digits_grid" and parent.info.status == "FINISHED"
    assert parent.data.params["searcher"] == "grid" and parent.data.params["max_epochs"] == "4"
    assert parent.data.tags["sweeps.best_trial"] == trials["trial_id"]
    assert parent.data.metrics["trials/completed"] == 2
    assert parent.data.metrics["best/val_accuracy"] == pytest.approx(trials["value"])
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    parent_files = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"sweep.yaml", "best.json", "trials.parquet"} <= parent_files
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        trial_id = child.info.run_name
        assert child.data.tags["sweeps.trial_id"] == trial_id
        assert child.info.status == "FINISHED" and child.data.tags["sweeps.status"] == "completed"
        assert set(child.data.params) == {"depth", "width", "lr"}
        steps = [step for step, _ in history(tracking_uri, child.info.run_id, "val_accuracy")]
        assert steps == [1, 2, 3, 4], (trial_id, steps)  # the retry logged each epoch once
        checkpoint = child.data.tags["sweeps.checkpoint"]
        assert Path(checkpoint).is_dir() and trial_id in checkpoint
        uploaded = client.list_artifacts(child.info.run_id, "checkpoint")
        assert {Path(a.path).name for a in uploaded} == {p.name for p in Path(checkpoint).iterdir()}

    wandb = wandb_runs(sweep_dir)
    assert sorted(r["job_type"] for r in wandb) == ["sweep", "trial", "trial"]
    assert {r["group"] for r in wandb} == {"digits_grid"}
    sweep_run = next(r for r in wandb if r["job_type"] == "sweep")
    assert sweep_run["name"] == "digits_grid" and sweep_run["exit"] == 0
    assert {"sweep.yaml", "best.json", "trials.parquet"} <= set(sweep_run["files"])
    assert sweep_run["summary"]["best_trial"] == trials["trial_id"]
    for trial_run in (r for r in wandb if r["job_type"] == "trial"):
        assert [item["epoch"] for item in trial_run["history"]] == [1, 2, 3, 4]
        assert all("val_accuracy" in item for item in trial_run["history"])
        assert set(trial_run["config"]) - {"_wandb"} == {"depth", "width", "lr"}
        assert trial_run["summary"]["status"] == "completed" and trial_run["exit"] == 0


def test_an_interrupted_then_resumed_pbt_sweep_continues_its_runs(tracking_uri, tmp_path):
    """PBT restores trials from each other's checkpoints, Ctrl-C stops the sweep and --resume
    continues it: still one parent run and one run per trial, each with every epoch."""
    args = [
        "sweeps/digits_pbt.yaml",
        "--storage",
        str(tmp_path),
        "--set",
        "trials.num_samples=4",
        "--set",
        "trials.max_concurrent=4",
        "--set",
        "stop.max_epochs=9",
        "--set",
        "resources.cpu=0.5",
        "--set",
        f"loggers.mlflow={{tracking_uri: '{tracking_uri}', experiment: pbt}}",
    ]
    launcher = subprocess.Popen(
        [sys.executable, "-m", "launchers.local", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=launcher_env(),
    )
    try:
        wait_for_epochs(tmp_path / "digits_pbt", 4, launcher)
        launcher.send_signal(signal.SIGINT)
        stdout, stderr = launcher.communicate(timeout=60)
    finally:
        stop_if_running(launcher)
    assert launcher.returncode == 130, stdout + stderr
    interrupted = mlflow_runs(tracking_uri, "pbt")
    assert [r.info.status for r in interrupted if "mlflow.parentRunId" not in r.data.tags] == [
        "KILLED"
    ]

    resumed = run_launcher("local", *args, "--resume", timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    runs = mlflow_runs(tracking_uri, "pbt")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert len(children) == 4 and len({c.info.run_name for c in children}) == 4
    logged = results(tmp_path / "digits_pbt")  # every trial's result log: what Tune received
    for child in children:
        assert child.info.status == "FINISHED"
        steps = Counter(
            step for step, _ in history(tracking_uri, child.info.run_id, "val_accuracy")
        )
        # Each epoch the trial reported, as often as it reported it (a trial PBT restores from
        # another's checkpoint goes on from that trial's epoch), before and after the interruption
        # alike. The result log is the driver's copy, which the interruption may have left without
        # the epochs reported since the trial's last checkpoint; the resumed trial trains those
        # again and reports them once more, so the tracker may hold each of them once more.
        epochs = Counter(
            int(entry["epoch"])
            for report in logged[child.info.run_name]
            for entry in epoch_results(report)
        )
        assert set(steps) == set(epochs) and max(steps) == 9, (child.info.run_name, steps, epochs)
        assert all(epochs[epoch] <= count <= epochs[epoch] + 1 for epoch, count in steps.items()), (
            child.info.run_name,
            steps,
            epochs,
        )


def test_a_tracker_that_is_down_never_stops_the_sweep(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    run = run_launcher(
        "local",
        "sweeps/digits_grid.yaml",
        "--storage",
        str(tmp_path),
        *ONE_QUICK_TRIAL,
        "--set",
        f"loggers.mlflow={{tracking_uri: '{down}'}}",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, run.stderr
    assert warnings[0].startswith(f"warning: MLflow at {down}: ")
    assert "the sweep goes on" in warnings[0]
    assert warnings[1].startswith(f"warning: MLflow at {down}: not logged: ")
    assert "Traceback" not in run.stderr
    assert (tmp_path / "digits_grid" / "best.json").is_file()
