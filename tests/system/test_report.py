"""python -m launchers.report on real sweeps: the summary, importance, diagnosis, PNG plots, one
self-contained HTML page, a follow-up sweep that validates and runs, the report of a sweep still
running (result logs only), and several sweeps compared (one pyarrow dataset)."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from sweeps.analysis.diagnosis import diagnose_trial
from sweeps.analysis.results import SweepResults, folders_dataset, sweeps_dataset
from tests.conftest import run_launcher

pytestmark = pytest.mark.slow

SMALL = [
    "--set",
    "trials.num_samples=8",
    "--set",
    "stop.max_epochs=6",
    "--set",
    "scheduler.grace_period=2",
    "--set",
    "scheduler.reduction_factor=2",
]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    storage = tmp_path_factory.mktemp("storage")
    for name, samples in (("digits_asha", "8"), ("other", "4")):
        run = run_launcher(
            "local",
            "sweeps/digits_asha.yaml",
            "--storage",
            str(storage),
            "--name",
            name,
            *SMALL,
            "--set",
            f"trials.num_samples={samples}",
        )
        assert run.returncode == 0, run.stdout + run.stderr
    return storage


def test_report_summarises_plots_diagnoses_and_suggests_a_follow_up(storage, tmp_path):
    out = tmp_path / "report"
    done = run_launcher(
        "report",
        str(storage / "digits_asha"),
        "--compare",
        str(storage / "other"),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout
    assert (
        "sweep      digits_asha  (finished" in text
        and "trials     8:" in text
        and "best       val_accuracy = " in text
    )
    assert re.search(r"epochs     \d+ spent; wall time \d+ s", text)
    assert (
        "compare    digits_asha: best val_accuracy" in text
        and "compare    other: best val_accuracy" in text
    )
    assert "other: best val_accuracy" in text and ", 4 trials," in text
    assert "importance " in text and "random-forest impurity importance" in text
    assert "diagnosis  trial " in text and any(
        word in text for word in ("overfits", "underfits", "fits well")
    )
    for name in ("learning_curves", "best_so_far", "parallel_coordinates", "importance"):
        assert (out / f"{name}.png").read_bytes().startswith(PNG), name
    page = (out / "report.html").read_text()
    # Self-contained: the plots are inline, nothing is fetched (base64 has no ':', so '://'
    # cannot occur inside an image by chance).
    assert page.count("src='data:image/png;base64,") == 4
    assert "://" not in page.split("<body>")[1].split("Follow-up")[0]

    followup = yaml.safe_load((out / "followup.yaml").read_text())
    assert followup["name"] == "digits_asha_followup"
    # The launcher takes it as it is: every check a sweep file gets passes (started for real,
    # it would be a sweep like any other).
    run = run_launcher(
        "local", str(out / "followup.yaml"), "--storage", str(tmp_path / "next"), "--dry-run"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sweep      digits_asha_followup" in run.stdout


def test_report_on_a_sweep_still_running_reads_its_result_logs(storage, tmp_path):
    running = tmp_path / "digits_asha"
    shutil.copytree(storage / "digits_asha", running)
    for table in ("trials.parquet", "metrics.parquet", "best.json"):
        (running / table).unlink()  # what a sweep has before it ends
    done = run_launcher("report", str(running), "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "running (from the result logs so far)" in done.stdout
        and "trials     8: 8 running" in done.stdout
    )
    assert (tmp_path / "report" / "learning_curves.png").read_bytes().startswith(PNG)


def test_sweeps_in_one_storage_read_as_one_dataset(storage):
    assert folders_dataset([storage / "digits_asha", storage / "other"]).count_rows() == 12
    table = sweeps_dataset(storage).to_table()
    assert sorted(set(table.column("sweep").to_pylist())) == ["digits_asha", "other"]
    assert table.num_rows == 12
    metrics = sweeps_dataset(storage, "metrics").to_table()
    assert set(metrics.column("sweep").to_pylist()) == {"digits_asha", "other"}


def test_bad_report_arguments_are_one_line_errors(tmp_path):
    done = run_launcher("report", str(tmp_path))
    assert (
        done.returncode == 2
        and done.stderr.startswith("error: ")
        and "holds no sweep" in done.stderr
    )


def results_with(history: list[dict]) -> SweepResults:
    epochs = [{"trial_id": "t", "epoch": index + 1, **row} for index, row in enumerate(history)]
    return SweepResults(
        folder=None,
        name="s",
        metric="val_accuracy",
        mode="max",
        raw={},
        trials=[],
        epochs=epochs,
        finished=True,
    )


@pytest.mark.parametrize(
    "history, verdict",
    [
        # validation loss far above training loss, and climbing back: high variance
        (
            [
                {"train_loss": 0.5, "val_loss": 0.6, "val_accuracy": 0.8, "train_accuracy": 0.85},
                {"train_loss": 0.1, "val_loss": 0.4, "val_accuracy": 0.9, "train_accuracy": 0.99},
                {"train_loss": 0.02, "val_loss": 0.7, "val_accuracy": 0.88, "train_accuracy": 1.0},
            ],
            "overfits",
        ),
        # training itself poor, the two close: high bias
        (
            [
                {"train_loss": 1.2, "val_loss": 1.25, "val_accuracy": 0.55, "train_accuracy": 0.56},
                {"train_loss": 1.1, "val_loss": 1.15, "val_accuracy": 0.6, "train_accuracy": 0.6},
                {"train_loss": 1.1, "val_loss": 1.16, "val_accuracy": 0.6, "train_accuracy": 0.61},
            ],
            "underfits",
        ),
        # close together and settled
        (
            [
                {"train_loss": 0.2, "val_loss": 0.22, "val_accuracy": 0.95, "train_accuracy": 0.95},
                {
                    "train_loss": 0.15,
                    "val_loss": 0.17,
                    "val_accuracy": 0.96,
                    "train_accuracy": 0.96,
                },
                {
                    "train_loss": 0.15,
                    "val_loss": 0.18,
                    "val_accuracy": 0.96,
                    "train_accuracy": 0.96,
                },
            ],
            "fits",
        ),
    ],
)
def test_the_diagnosis_reads_bias_and_variance_from_the_curves(history, verdict):
    diagnosis = diagnose_trial(results_with(history), {"trial_id": "t"})
    assert diagnosis.verdict == verdict, diagnosis.text()
    assert diagnosis.knobs


@pytest.mark.parametrize(
    "damage, expected",
    [
        ({"trials.parquet": b"PAR1 cut short"}, "trials.parquet: damaged or not a Parquet table"),
        ({"sweep.yaml": b"- a list\n"}, "sweep.yaml: damaged (no metric and mode)"),
        ({"sweep.yaml": b"\xff\xfe"}, "sweep.yaml: not UTF-8 text"),
    ],
)
def test_damaged_sweep_files_are_one_line_errors_naming_the_file(damage, expected, tmp_path):
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "sweep.yaml").write_text("name: damaged\nmetric: val_accuracy\nmode: max\n")
    (folder / "metrics.parquet").write_bytes(b"")
    (folder / "trials.parquet").write_bytes(b"")
    for name, content in damage.items():
        (folder / name).write_bytes(content)
    done = run_launcher("report", str(folder))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.strip().count("\n") == 0, done.stderr
    assert expected in done.stderr
