"""A trial's epoch: metrics averaged over folds, and early stopping on that average."""

import io
import zipfile

import pytest

from sweeps.trial.session import EpochResult, MetricMissing, Patience, epoch_metrics
from tests.helpers.plans import shipped_plan

PLAN = shipped_plan(data_args={"validation": "kfold", "folds": 2}, max_epochs=4, checkpoint_every=1)


def test_epoch_metrics_are_the_mean_over_folds_with_the_spread_of_the_sweep_metric():
    results = [
        EpochResult(2, {"val_accuracy": 0.8, "val_loss": 0.5}),
        EpochResult(2, {"val_accuracy": 0.9, "val_loss": 0.3}),
    ]
    metrics = epoch_metrics(PLAN, results)
    assert metrics == pytest.approx(
        {"val_accuracy": 0.85, "val_loss": 0.4, "val_accuracy_fold_std": 0.05}
    )
    assert epoch_metrics(PLAN, results[:1]) == {
        "val_accuracy": 0.8,
        "val_loss": 0.5,
    }  # hold-out: as logged


def test_a_metric_missing_in_one_fold_names_the_fold_what_was_logged_and_the_closest_name():
    results = [
        EpochResult(1, {"val_accuracy": 0.8}),
        EpochResult(1, {"val_loss": 0.3, "val_acuracy": 0.7}),
    ]
    with pytest.raises(
        MetricMissing,
        match=r"'val_accuracy' was never logged by the mlp model \(fold 1\); it logged: "
        r"val_acuracy, val_loss; did you mean 'val_acuracy'\?",
    ):
        epoch_metrics(PLAN, results)


@pytest.mark.parametrize(
    "mode, values, stops_after",
    [
        ("max", [0.5, 0.6, 0.6, 0.59], 4),  # equal is no improvement
        ("min", [1.0, 0.9, 0.95, 0.8, 0.85, 0.9], 6),
    ],
)
def test_patience_counts_epochs_without_a_strict_improvement(mode, values, stops_after):
    patience = Patience(mode, 2)
    stopped = [patience.exhausted(value) for value in values]
    assert stopped.index(True) + 1 == stops_after


def test_patience_state_survives_a_checkpoint_and_no_patience_never_stops():
    patience = Patience("max", 3)
    for value in (0.5, 0.4, 0.45):
        patience.exhausted(value)
    restored = Patience("max", 3, patience.state())
    assert restored.state() == {"best": 0.5, "waited": 2} and restored.exhausted(0.49)
    endless = Patience("min", None)
    assert not any(endless.exhausted(1.0) for _ in range(50))


def test_a_checkpoint_folder_cut_short_by_a_killed_upload_is_not_resumed_from(tmp_path):
    from sweeps.driver.resume_repair import _complete
    from sweeps.results.storage import Location

    archive = io.BytesIO()  # what torch.save writes: a zip archive
    with zipfile.ZipFile(archive, "w") as writing:
        writing.writestr("archive/data.pkl", b"weights" * 1000)
    whole, half, folds, cut = (tmp_path / f"checkpoint_00000{index}" for index in range(4))
    for folder, files in (
        (whole, ["model.ckpt", "patience.json"]),
        (half, ["patience.json"]),
        (folds, ["fold-0.ckpt", "fold-1.ckpt", "patience.json"]),
        (cut, ["model.ckpt", "patience.json"]),
    ):
        folder.mkdir()
        for name in files:
            (folder / name).write_bytes(archive.getvalue() if name.endswith(".ckpt") else b"{}")
    (cut / "model.ckpt").write_bytes(archive.getvalue()[:-40])  # written short: its end is missing
    assert _complete(Location.parse(str(whole))) and _complete(Location.parse(str(folds)))
    assert not _complete(Location.parse(str(half)))
    assert not _complete(Location.parse(str(cut)))
