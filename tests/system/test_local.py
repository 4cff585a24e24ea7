"""A real sweep on embedded Ray through ``python -m launchers.local``, and everything it leaves:
the Tune experiment, TensorBoard runs, Parquet tables, best.json and a loadable checkpoint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from lightning_modules.checkpoint import load_model
from lightning_modules.configs import DigitsConfig
from lightning_modules.data.arrays import cached_splits
from lightning_modules.data.digits import DigitsDataModule
from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.processes import command_line, session_members, stop_if_running

pytestmark = pytest.mark.slow

SEARCHED = ["depth", "width", "activation", "dropout", "optimizer", "lr", "batch_size"]
SMALL = [
    "--set",
    "trials.num_samples=6",
    "--set",
    "stop.max_epochs=4",
    "--set",
    "scheduler.grace_period=1",
    "--set",
    "scheduler.reduction_factor=2",
]


@pytest.fixture(scope="module")
def asha_sweep(tmp_path_factory):
    storage = tmp_path_factory.mktemp("storage")
    home = tmp_path_factory.mktemp(
        "home"
    )  # a home of its own: what the run leaves there is checked
    # A session of its own, so that whatever the launcher leaves running is found however it
    # was reparented.
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "launchers.local",
            "sweeps/digits_asha.yaml",
            "--storage",
            str(storage),
            *SMALL,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=launcher_env(HOME=str(home)),
        start_new_session=True,
    )
    try:
        stdout, stderr = launcher.communicate(timeout=300)
    finally:
        stop_if_running(launcher)
    # A killed process takes a moment to go, as does the evaluation helper once told to end.
    deadline = time.monotonic() + 10
    while (left := session_members(launcher.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [command_line(pid) for pid in left]
    run = subprocess.CompletedProcess(launcher.args, launcher.returncode, stdout, stderr)
    assert run.returncode == 0, run.stdout + run.stderr
    return storage / "digits_asha", run, home, left


@pytest.fixture(scope="module")
def diverging_sweep(tmp_path_factory):
    storage = tmp_path_factory.mktemp("storage")
    run = run_launcher("local", "tests/fixtures/sweeps/diverging.yaml", "--storage", str(storage))
    assert run.returncode == 0, run.stdout + run.stderr
    return storage / "diverging", run


def test_sweep_prints_plan_progress_and_best(asha_sweep):
    sweep_dir, run, *_ = asha_sweep
    assert "scheduler  asha" in run.stdout
    assert "trials 6/6" in run.stdout  # the live table
    assert "best       trial" in run.stdout and f"tensorboard --logdir {sweep_dir}" in run.stdout
    assert "Traceback" not in run.stderr


def test_the_embedded_instance_ends_with_the_launcher(asha_sweep):
    """Every process of the sweep's own Ray instance is gone once the launcher has exited: they
    are stopped with it, none is left behind to end on its own (or never)."""
    assert asha_sweep[3] == []


def test_the_embedded_instance_keeps_its_token_to_itself(asha_sweep):
    """The embedded Ray's token lives in the environment of the processes it starts, never in
    ~/.ray/auth_token, where a later driver would take it for another cluster's."""
    home = asha_sweep[2]
    assert not (home / ".ray" / "auth_token").exists()


def test_the_driver_imports_neither_torch_nor_trackers_the_sweep_does_not_use(tmp_path):
    """The driver of a shipped family's sweep trains nothing and tracks nothing: torch stays in
    the trials' processes (and the evaluation helper), and Tune's count of callbacks for Ray's
    usage statistics, which imports mlflow and wandb, is skipped on the embedded instance."""
    # The launcher's main, in a process of its own that then lists what it imported (the module
    # entry point ends the process at once, so it is called here instead).
    code = (
        "import sys\nfrom launchers.cli import main\n"
        f"code = main(['tests/fixtures/sweeps/diverging.yaml', '--storage', {str(tmp_path)!r}, "
        "'--set', 'stop.max_epochs=1'], prog='python -m launchers.local', description='', cluster=False)\n"
        "assert code == 0, code\n"
        "print('loaded:', sorted(m for m in ('torch', 'lightning', 'mlflow', 'wandb') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=launcher_env(),
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "loaded: []" in run.stdout, run.stdout


def test_trials_parquet_has_a_typed_row_per_trial(asha_sweep):
    sweep_dir, *_ = asha_sweep
    table = pq.read_table(sweep_dir / "trials.parquet")
    assert table.num_rows == 6
    schema = table.schema
    for key in SEARCHED:
        assert f"config/{key}" in schema.names
    assert str(schema.field("config/depth").type) == "int64"
    assert str(schema.field("config/lr").type) == "double"
    assert str(schema.field("config/activation").type) == "string"
    rows = table.to_pylist()
    assert len({row["trial_id"] for row in rows}) == 6
    for row in rows:
        assert row["status"] in ("completed", "stopped")
        assert 1 <= row["epochs"] <= 4
        assert (row["status"] == "completed") == (row["epochs"] == 4)
        assert (
            0 < row["best_val_accuracy"] <= 1
            and row["final_val_accuracy"] <= row["best_val_accuracy"]
        )
        assert row["wall_time_s"] > 0 and row["node_id"]
        assert Path(row["checkpoint"]).is_dir()
        assert json.loads(row["config_json"])["model"]["lr"] == pytest.approx(row["config/lr"])


def test_metrics_parquet_has_each_epoch_once(asha_sweep):
    sweep_dir, *_ = asha_sweep
    trials = {
        row["trial_id"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy"} <= set(metrics[0])
    for trial_id, trial in trials.items():
        epochs = [row["epoch"] for row in metrics if row["trial_id"] == trial_id]
        assert epochs == list(range(1, trial["epochs"] + 1))
        last = [row for row in metrics if row["trial_id"] == trial_id][-1]
        assert last["val_accuracy"] == pytest.approx(trial["final_val_accuracy"])


def test_best_json_names_the_best_trial_and_a_checkpoint_that_rebuilds_it(asha_sweep):
    sweep_dir, *_ = asha_sweep
    best = json.loads((sweep_dir / "best.json").read_text())
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert best["value"] == pytest.approx(max(row["best_val_accuracy"] for row in trials))
    assert set(best["config"]) == set(SEARCHED)
    assert best["model"]["family"] == "mlp" and best["data"]["seed"] == 0
    model = load_model(best["checkpoint"])
    assert model.config.model_dump(exclude_unset=True) == {
        k: v for k, v in best["model"].items() if k != "family"
    }
    assert model.data_info.sample_shape == (64,)
    data = {k: v for k, v in best["data"].items() if k != "dataset"}
    splits = cached_splits(DigitsDataModule, DigitsConfig(**data), data["seed"])
    with torch.no_grad():
        accuracy = (model(splits.val_x).argmax(1) == splits.val_y).float().mean().item()
    assert accuracy == pytest.approx(best["checkpoint_value"], abs=1e-6)


def test_tensorboard_has_one_run_per_trial_with_scalars_and_hparams(asha_sweep):
    sweep_dir, *_ = asha_sweep
    trials = {
        row["trial_id"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    runs = sorted(p.name for p in (sweep_dir / "tensorboard").iterdir())
    assert runs == sorted(trials)
    # Nothing else under the sweep holds event files: one run per trial, no duplicates.
    event_files = list(sweep_dir.rglob("events.out.tfevents.*"))
    assert {f.parent.name for f in event_files} == set(trials) and len(event_files) == len(trials)
    for trial_id, trial in trials.items():
        events = EventAccumulator(
            str(sweep_dir / "tensorboard" / trial_id), size_guidance={"scalars": 0, "tensors": 0}
        )
        events.Reload()
        steps = [event.step for event in events.Scalars("val_accuracy")]
        assert steps == list(range(1, trial["epochs"] + 1))
        assert {"train_loss", "val_loss", "best/val_accuracy", "final/val_accuracy"} <= set(
            events.Tags()["scalars"]
        )
        assert events.Scalars("best/val_accuracy")[0].value == pytest.approx(
            trial["best_val_accuracy"]
        )
        content = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
        hparams = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
        assert set(hparams) == set(SEARCHED)
        assert hparams["lr"].number_value == pytest.approx(trial["config/lr"])
        assert hparams["activation"].string_value == trial["config/activation"]
        assert "_hparams_/session_end_info" in events.Tags()["tensors"]


def test_same_name_again_is_refused_and_nothing_is_touched(asha_sweep):
    sweep_dir, *_ = asha_sweep
    before = {p: p.stat().st_mtime_ns for p in sweep_dir.iterdir()}
    run = run_launcher(
        "local", "sweeps/digits_asha.yaml", "--storage", str(sweep_dir.parent), *SMALL
    )
    assert run.returncode == 2
    assert (
        run.stderr.strip().count("\n") == 0
        and "already holds a sweep named 'digits_asha'" in run.stderr
    )
    assert "--resume" in run.stderr
    assert {p: p.stat().st_mtime_ns for p in sweep_dir.iterdir()} == before


def test_resume_with_a_changed_sweep_is_refused(asha_sweep):
    sweep_dir, *_ = asha_sweep
    run = run_launcher(
        "local",
        "sweeps/digits_asha.yaml",
        "--storage",
        str(sweep_dir.parent),
        "--resume",
        *SMALL,
        "--set",
        "stop.max_epochs=5",
    )
    assert (
        run.returncode == 2
        and "differs from the sweep being resumed" in run.stderr
        and "stop" in run.stderr
    )


def test_resume_of_a_finished_sweep_reruns_nothing(asha_sweep):
    sweep_dir, *_ = asha_sweep
    metrics_before = pq.read_table(sweep_dir / "metrics.parquet").num_rows
    logs_before = {p: p.read_bytes() for p in sweep_dir.glob("*/result.json")}
    run = run_launcher(
        "local", "sweeps/digits_asha.yaml", "--storage", str(sweep_dir.parent), "--resume", *SMALL
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert pq.read_table(sweep_dir / "metrics.parquet").num_rows == metrics_before
    assert {p: p.read_bytes() for p in sweep_dir.glob("*/result.json")} == logs_before


def test_diverged_trial_is_recorded_and_never_best(diverging_sweep):
    sweep_dir, _ = diverging_sweep
    rows = {
        row["config/lr"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    assert rows[10.0]["status"] == "diverged" and rows[10.0]["best_val_accuracy"] is None
    assert rows[10.0]["epochs"] < 3 or rows[10.0]["epochs"] == 1
    assert rows[0.01]["status"] == "completed"
    best = json.loads((sweep_dir / "best.json").read_text())
    assert best["config"] == {"lr": 0.01} and best["trial_id"] == rows[0.01]["trial_id"]
    diverged = [
        m for m in pq.read_table(sweep_dir / "metrics.parquet").to_pylist() if m["diverged"]
    ]
    assert len(diverged) == 1 and diverged[0]["trial_id"] == rows[10.0]["trial_id"]


def _no_gpu() -> bool:
    import torch

    return not torch.cuda.is_available()


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (
            ["resources.cpu=64"],
            "resources.cpu: asks for 64 CPUs per trial but the largest node has",
        ),
        (
            ["resources.workers=9"],
            "resources.workers: asks for 9 data-parallel workers per trial (1 CPU each) but the cluster can place only",
        ),
        pytest.param(
            ["resources.gpu=1"],
            "resources.gpu: asks for 1 GPUs per trial but the largest node has 0",
            marks=pytest.mark.skipif(not _no_gpu(), reason="this machine has a GPU"),
        ),
    ],
)
def test_trials_the_machine_cannot_host_are_refused_before_ray_starts(
    overrides, expected, tmp_path
):
    sets = [arg for override in overrides for arg in ("--set", override)]
    ray_folder = tmp_path / "ray"  # where Ray would keep the session of an instance it started
    run = run_launcher(
        "local",
        "sweeps/digits_asha.yaml",
        *sets,
        "--storage",
        str(tmp_path / "s"),
        env=launcher_env(RAY_TMPDIR=str(ray_folder)),
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.strip().count("\n") == 0, run.stderr
    assert expected in run.stderr
    assert not (tmp_path / "s").exists()  # nothing started, nothing written
    assert not ray_folder.exists()


def test_resume_repairs_a_snapshot_that_names_a_deleted_checkpoint(diverging_sweep):
    """Tune may delete the checkpoint its last snapshot calls a trial's latest (the snapshot lags
    behind deletions); a resume must continue from the newest surviving checkpoint instead."""
    from sweeps.driver.resume_repair import repair_missing_checkpoints

    sweep_dir, _ = diverging_sweep
    trial = next(
        row
        for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
        if row["config/lr"] == 0.01
    )
    trial_dir = Path(trial["trial_dir"])
    logged, recorded = sorted(trial_dir.glob("checkpoint_*"))[-2:]  # the snapshot names the last
    unlogged = trial_dir / "checkpoint_999999"  # stored by a worker, its result never logged
    shutil.copytree(recorded, unlogged)
    shutil.rmtree(recorded)  # as if Tune had deleted the recorded one after the snapshot
    assert repair_missing_checkpoints(sweep_dir) == [
        f"trial {trial['trial_id']}: {recorded.name} was gone; continuing from {logged.name}"
    ]
    assert (recorded / "model.ckpt").read_bytes() == (logged / "model.ckpt").read_bytes()
    assert repair_missing_checkpoints(sweep_dir) == []  # nothing left to repair


def test_resume_restores_state_files_damaged_by_a_crash(diverging_sweep, tmp_path):
    """A driver killed while Tune copies its state leaves a truncated file; without the backup
    Ray would start the sweep afresh beside the old trials."""
    sweep_dir = tmp_path / "diverging"
    shutil.copytree(diverging_sweep[0], sweep_dir)  # damaged here, not in the shared sweep
    assert sorted(p.name for p in (sweep_dir / ".resume-backup").iterdir())
    searcher_state = sorted(sweep_dir.glob("basic-variant-state-*.json"))[-1]
    searcher_state.write_bytes(b"")
    trial_dirs = sorted(p.name for p in sweep_dir.glob("*_0000*"))
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/diverging.yaml",
        "--storage",
        str(sweep_dir.parent),
        "--resume",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"resume: {searcher_state.name} was damaged" in run.stdout
    assert sorted(p.name for p in sweep_dir.glob("*_0000*")) == trial_dirs  # no trial started again
    assert pq.read_table(sweep_dir / "trials.parquet").num_rows == 2

    shutil.rmtree(sweep_dir / ".resume-backup")
    sorted(sweep_dir.glob("experiment_state-*.json"))[-1].write_text('{"trial_data": [')
    run = run_launcher(
        "local",
        "tests/fixtures/sweeps/diverging.yaml",
        "--storage",
        str(sweep_dir.parent),
        "--resume",
    )
    assert (
        run.returncode == 2
        and "cannot resume: experiment_state-" in run.stderr
        and "is damaged" in run.stderr
    )


def test_best_json_has_test_metrics_and_evaluate_reproduces_them(asha_sweep, tmp_path):
    sweep_dir, run, *_ = asha_sweep
    best = json.loads((sweep_dir / "best.json").read_text())
    assert (
        set(best["test"]) == {"test_loss", "test_accuracy"}
        and 0.5 < best["test"]["test_accuracy"] <= 1
    )
    assert "test       test_accuracy = " in run.stdout
    evaluated = run_launcher("evaluate", best["checkpoint"], "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout) == pytest.approx(best["test"])
    (tmp_path / "model.ckpt").write_bytes(b"junk")
    broken = run_launcher("evaluate", str(tmp_path))
    assert (
        broken.returncode == 2
        and broken.stderr.startswith("error: ")
        and "not a readable checkpoint" in broken.stderr
    )


def test_early_stopping_ends_a_trial_that_stops_improving(tmp_path):
    run = run_launcher(
        "local", "tests/fixtures/sweeps/early_stopping.yaml", "--storage", str(tmp_path)
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (trial,) = pq.read_table(tmp_path / "early_stopping" / "trials.parquet").to_pylist()
    assert trial["status"] == "stopped" and trial["epochs"] == 2


def test_kfold_trials_report_the_mean_over_their_fold_models(tmp_path):
    from lightning_modules.evaluation import evaluate_checkpoint

    run = run_launcher("local", "tests/fixtures/sweeps/kfold.yaml", "--storage", str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    sweep_dir = tmp_path / "kfold"
    best = json.loads((sweep_dir / "best.json").read_text())
    folder = Path(best["checkpoint"])
    assert sorted(p.name for p in folder.glob("*.ckpt")) == [
        "fold-0.ckpt",
        "fold-1.ckpt",
        "fold-2.ckpt",
    ]
    with pytest.raises(ValueError, match="holds one model per validation fold"):
        load_model(folder)

    config = DigitsConfig(**{k: v for k, v in best["data"].items() if k != "dataset"})
    accuracies, tests = [], []
    for fold in range(3):
        model = load_model(folder / f"fold-{fold}.ckpt")
        splits = cached_splits(DigitsDataModule, config, config.seed, fold)
        with torch.no_grad():
            accuracies.append((model(splits.val_x).argmax(1) == splits.val_y).float().mean().item())
        tests.append(evaluate_checkpoint(folder / f"fold-{fold}.ckpt")["test_accuracy"])
    assert len(set(accuracies)) > 1  # three different models
    assert best["checkpoint_value"] == pytest.approx(sum(accuracies) / 3, abs=1e-6)
    assert best["test"]["test_accuracy"] == pytest.approx(sum(tests) / 3, abs=1e-6)

    history = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    assert len(history) == 6 and all(row["val_accuracy_fold_std"] > 0 for row in history)
    at_checkpoint = [
        row
        for row in history
        if row["trial_id"] == best["trial_id"] and row["epoch"] == best["checkpoint_epoch"]
    ]
    spread = (sum((a - sum(accuracies) / 3) ** 2 for a in accuracies) / 3) ** 0.5
    assert at_checkpoint[0]["val_accuracy_fold_std"] == pytest.approx(spread, abs=1e-6)


ONE_TRIAL = [
    "--set",
    "trials.num_samples=1",
    "--set",
    "stop.max_epochs=1",
    "--set",
    "scheduler.grace_period=1",
]


def test_overwrite_replaces_an_earlier_sweep_and_nothing_else(tmp_path):
    earlier = tmp_path / "digits_asha"
    earlier.mkdir()
    (earlier / "sweep.yaml").write_text("name: digits_asha\n")
    (earlier / "experiment_state-2026-01-01_00-00-00.json").write_text("{}")
    (earlier / "old_trial").mkdir()
    run = run_launcher(
        "local", "sweeps/digits_asha.yaml", "--storage", str(tmp_path), "--overwrite", *ONE_TRIAL
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"overwrite: removed the earlier sweep in {earlier}" in run.stdout
    assert (
        not (earlier / "old_trial").exists()
        and not (earlier / "experiment_state-2026-01-01_00-00-00.json").exists()
    )
    assert pq.read_table(earlier / "trials.parquet").num_rows == 1


def test_resume_sets_a_damaged_checkpoint_aside_and_continues_from_an_intact_one(
    diverging_sweep, tmp_path
):
    from sweeps.driver.resume_repair import repair_missing_checkpoints

    sweep_dir = tmp_path / "diverging"
    shutil.copytree(diverging_sweep[0], sweep_dir)
    trial = next(
        row
        for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
        if row["config/lr"] == 0.01
    )
    trial_dir = sweep_dir / trial["trial_id"]
    # (checkpoint_999999 is an unlogged one another test adds)
    intact, recorded = sorted(trial_dir.glob("checkpoint_00*"))[-2:]
    model = recorded / "model.ckpt"
    half = model.read_bytes()[: model.stat().st_size // 2]
    model.write_bytes(half)  # as a crash mid-write leaves it
    assert repair_missing_checkpoints(sweep_dir) == [
        f"trial {trial['trial_id']}: {recorded.name} was damaged (model.ckpt does not read back); "
        f"continuing from {intact.name}"
    ]
    assert (recorded / "model.ckpt").read_bytes() == (intact / "model.ckpt").read_bytes()
    assert (
        trial_dir / f"{recorded.name}.damaged" / "model.ckpt"
    ).read_bytes() == half  # kept for a look


def test_resume_of_a_sweep_with_a_deleted_trial_folder_keeps_the_other_trials(
    diverging_sweep, tmp_path
):
    sweep_dir = tmp_path / "diverging"
    shutil.copytree(diverging_sweep[0], sweep_dir)
    rows = {
        row["config/lr"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    lost, kept = rows[10.0], rows[0.01]
    shutil.rmtree(sweep_dir / lost["trial_id"])
    run = run_launcher(
        "local", "tests/fixtures/sweeps/diverging.yaml", "--storage", str(tmp_path), "--resume"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    after = {
        row["trial_id"]: row for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    }
    assert after[lost["trial_id"]]["status"] == "missing"
    assert f"its folder {sweep_dir / lost['trial_id']} is gone" in after[lost["trial_id"]]["error"]
    assert (
        f"resume: trial {lost['trial_id']}: its folder {sweep_dir / lost['trial_id']} is gone"
        in run.stdout
    )
    assert {k: after[kept["trial_id"]][k] for k in ("status", "epochs", "best_val_accuracy")} == {
        k: kept[k] for k in ("status", "epochs", "best_val_accuracy")
    }
