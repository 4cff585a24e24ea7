"""Pieces of the results export that the end-to-end sweeps cannot force."""

import json

import pytest

from sweeps.results.storage import write_atomically
from sweeps.results.trial_status import trial_status


@pytest.mark.parametrize(
    "history, error, expected",
    [
        ([], None, "not_started"),
        ([{"epoch": 1}, {"epoch": 2}], None, "stopped"),
        ([{"epoch": 1}, {"epoch": 3}], None, "completed"),
        ([{"epoch": 1, "diverged": True}], None, "diverged"),
        ([{"epoch": 3}], "boom", "errored"),
    ],
)
def test_trial_status(history, error, expected):
    assert trial_status(history, error, max_epochs=3) == expected


def test_write_atomically_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "best.json"
    write_atomically(target, b'{"old": 1}')
    write_atomically(target, json.dumps({"new": 2}).encode())
    assert json.loads(target.read_text()) == {"new": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["best.json"]


def test_a_trial_breaking_a_constraint_when_it_ends_is_neither_best_nor_on_the_front(tmp_path):
    """Three trials of two objectives: the most accurate breaks a constraint on a trained metric
    (at the epoch it stands for), two tie on accuracy and the smaller one is best."""
    import pyarrow.parquet as pq

    from sweeps.definition import sweep_from_dict
    from sweeps.driver.output_tables import TrialRecord, write_outputs

    spec = sweep_from_dict(
        {
            "name": "front",
            "model": {"family": "mlp"},
            "data": {"dataset": "digits"},
            "space": {"width": {"choice": [8, 16, 32]}},
            "metric": ["val_accuracy", "model/params"],
            "mode": ["max", "min"],
            "constraints": ["time/epoch_s < 1.0"],
            "stop": {"max_epochs": 2},
        },
        source="front.yaml",
    )

    def record(trial_id, width, accuracies, params, epoch_s):
        history = [
            {
                "epoch": epoch,
                "val_accuracy": accuracy,
                "model/params": params,
                "time/epoch_s": epoch_s,
            }
            for epoch, accuracy in enumerate(accuracies, start=1)
        ]
        return TrialRecord(
            trial_id, "completed", {"width": width}, history, [], None, f"/x/{trial_id}"
        )

    records = [
        record("slow", 32, [0.90, 0.99], 3000.0, 2.5),  # breaks time/epoch_s < 1
        record("big", 16, [0.95, 0.93], 2000.0, 0.2),  # best epoch 1
        record("small", 8, [0.80, 0.95], 1000.0, 0.2),  # ties big's best, smaller
    ]
    best = write_outputs(records, spec, tmp_path)
    rows = {row["trial_id"]: row for row in pq.read_table(tmp_path / "trials.parquet").to_pylist()}
    assert not rows["slow"]["feasible"] and rows["slow"]["pareto_rank"] is None
    assert rows["slow"]["violated"] == "time/epoch_s = 2.5 breaks time/epoch_s < 1"
    assert (rows["big"]["best_epoch"], rows["big"]["at_best_model/params"]) == (1, 2000.0)
    assert (rows["small"]["pareto_rank"], rows["big"]["pareto_rank"]) == (0, 1)
    assert (best["trial_id"], best["values"]) == (
        "small",
        {"val_accuracy": 0.95, "model/params": 1000.0},
    )
    pareto = json.loads((tmp_path / "pareto.json").read_text())
    assert [trial["trial_id"] for trial in pareto["trials"]] == ["small"]
