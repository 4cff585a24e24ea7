"""The output tables' schema as data: the writer's tables have exactly its columns and types, the
statuses their meanings, and docs/outputs.md its tables."""

from __future__ import annotations

import subprocess
import sys

import pyarrow.parquet as pq

from sweeps.results import schema
from sweeps.results.trial_status import STATUSES
from tests.conftest import ROOT


def test_every_status_has_its_meaning_in_the_statuses_order():
    assert tuple(schema.STATUS_MEANINGS) == STATUSES


def test_the_docs_tables_are_the_schemas():
    found = schema.documented(schema.DOCS.read_text())
    assert found == schema.markdown_tables(), "regenerate: python -m sweeps.results.schema --write"


def test_the_module_prints_the_tables():
    run = subprocess.run(
        [sys.executable, "-m", "sweeps.results.schema"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "\n\n".join(schema.markdown_tables().values())


def test_families_of_columns_expand_per_key_and_objective():
    names = [name for name, _ in schema.trials_columns(["lr", "depth"], "val_loss", ["size"])]
    assert names[:6] == [
        "trial_id",
        "status",
        "config/lr",
        "config/depth",
        "final_val_loss",
        "best_val_loss",
    ]
    assert "final_size" in names and "at_best_size" in names and "checkpoint_val_loss" in names
    assert len(names) == len(set(names))
    assert [name for name, _ in schema.metrics_columns(["a/b", "c"])] == [
        "trial_id",
        "epoch",
        "a/b",
        "c",
        "time_total_s",
        "diverged",
        "node_id",
    ]
    assert (
        schema.config_key("config/model.lr") == "model.lr" and schema.config_key("epochs") is None
    )


def test_the_writer_writes_the_schemas_columns_with_their_types(tmp_path):
    from sweeps.definition import sweep_from_dict
    from sweeps.driver.output_tables import TrialRecord, write_outputs

    spec = sweep_from_dict(
        {
            "name": "schema",
            "model": {"family": "mlp"},
            "data": {"dataset": "digits"},
            "space": {"width": {"choice": [8, 16]}, "lr": {"logfloat": [0.001, 0.1]}},
            "metric": ["val_accuracy", "model/params"],
            "mode": ["max", "min"],
            "stop": {"max_epochs": 2},
        },
        source="schema.yaml",
    )
    history = [
        {
            "epoch": epoch,
            "val_accuracy": 0.5 + epoch / 10,
            "model/params": 100.0,
            "time_total_s": 1.0 * epoch,
            "node_id": "n1",
        }
        for epoch in (1, 2)
    ]
    checkpoints = [("/x/a/checkpoint_000001", history[1])]
    records = [
        TrialRecord("a", "completed", {"width": 8, "lr": 0.01}, history, checkpoints, None, "/x/a")
    ]
    write_outputs(records, spec, tmp_path)

    trials = pq.read_table(tmp_path / "trials.parquet")
    expected = schema.trials_columns(["width", "lr"], "val_accuracy", ["model/params"])
    assert trials.column_names == [name for name, _ in expected]
    for name, column in expected:
        if column.type != schema.AS_SEARCHED:
            assert str(trials.schema.field(name).type) == column.type, name
    assert str(trials.schema.field("config/width").type) == "int64"
    assert str(trials.schema.field("config/lr").type) == "double"
    row = trials.to_pylist()[0]
    unset = {name for name, value in row.items() if value is None}
    assert unset == {"violated", "error"}, unset  # a completed, feasible trial

    metrics = pq.read_table(tmp_path / "metrics.parquet")
    logged = metrics.column_names[2:-3]  # the family's metrics, between the fixed columns
    assert {"val_accuracy", "model/params"} <= set(logged)
    expected = schema.metrics_columns(logged)
    assert metrics.column_names == [name for name, _ in expected]
    for name, column in expected:
        assert str(metrics.schema.field(name).type) == column.type, name
