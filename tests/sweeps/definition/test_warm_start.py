"""Warm start: points run first (for every searcher that proposes), and an earlier sweep's
trials.parquet that TPE and GP learn from and any searcher can rerun the best of."""

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sweeps.definition import sweep_from_dict
from sweeps.errors import SweepError
from sweeps.searchers import searcher_module

SPACE = {
    "optimizer": {"choice": ["sgd", "adam"]},
    "lr": {"logfloat": [1.0e-4, 1.0e-1]},
    "momentum": {"float": [0.5, 0.95], "when": {"optimizer": "sgd"}},
    "depth": {"int": [1, 3]},
    "widths": {"per_layer": {"choice": [32, 64, 128]}, "length": "depth"},
}


def sweep(searcher: str, warm_start: dict, space=None, num_samples: int = 40):
    raw = {
        "name": "warm",
        "model": {"family": "mlp"},
        "data": {"dataset": "digits"},
        "space": space or SPACE,
        "metric": "val_accuracy",
        "mode": "max",
        "searcher": {"name": searcher},
        "trials": {"num_samples": num_samples},
        "warm_start": warm_start,
    }
    return sweep_from_dict(raw, source="warm.yaml")


def earlier_sweep(folder, rows: list[dict]) -> str:
    """A trials.parquet laid out as sweeps.driver.output_tables writes it."""
    columns = {
        "trial_id": pa.string(),
        "status": pa.string(),
        "config/optimizer": pa.string(),
        "config/lr": pa.float64(),
        "config/momentum": pa.float64(),
        "config/depth": pa.int64(),
        "config/widths[0]": pa.int64(),
        "config/widths[1]": pa.int64(),
        "config/widths[2]": pa.int64(),
        "final_val_accuracy": pa.float64(),
        "best_val_accuracy": pa.float64(),
    }
    full = [{name: row.get(name.removeprefix("config/")) for name in columns} for row in rows]
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist(full, schema=pa.schema(list(columns.items()))),
        folder / "trials.parquet",
    )
    return str(folder)


def row(index: int, lr: float, score: float, **config) -> dict:
    base = {
        "trial_id": f"t{index}",
        "status": "stopped",
        "optimizer": "adam",
        "lr": lr,
        "depth": 1,
        "widths[0]": 64,
        "final_val_accuracy": score,
        "best_val_accuracy": score,
    }
    return {**base, **config}


def test_points_are_the_first_trials_of_random_search():
    points = [
        {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "depth": 2, "widths": [128, 32]},
        {"optimizer": "adam", "lr": 0.001},
    ]
    spec = sweep("random", {"points": points}, num_samples=5)
    generator, param_space = searcher_module("random").build(spec.searcher, spec.search_problem())
    generator.add_configurations(
        {"warm": {"run": lambda config: None, "config": param_space, "num_samples": 5}}
    )
    first, second = generator.next_trial().config, generator.next_trial().config
    assert first == {
        "optimizer": "sgd",
        "lr": 0.01,
        "momentum": 0.9,
        "depth": 2,
        "widths[0]": 128,
        "widths[1]": 32,
    }
    assert second["optimizer"] == "adam" and second["lr"] == 0.001 and "momentum" not in second
    assert sorted(key for key in second if key.startswith("widths")) == [
        f"widths[{i}]" for i in range(second["depth"])
    ]


def test_points_are_the_first_proposals_of_tpe_with_choices_of_lists():
    space = {"widths": {"choice": [[64, 32], [128]]}, "lr": {"logfloat": [1.0e-4, 1.0e-1]}}
    spec = sweep(
        "tpe", {"points": [{"widths": [128], "lr": 0.02}, {"widths": [64, 32]}]}, space=space
    )
    searcher, _ = searcher_module("tpe").build(spec.searcher, spec.search_problem())
    assert searcher.suggest("a") == {"widths": [128], "lr": 0.02}
    second = searcher.suggest("b")
    assert second["widths"] == [64, 32] and 1.0e-4 <= second["lr"] <= 1.0e-1


def test_tpe_learns_from_an_earlier_sweep_and_starts_where_it_was_good(tmp_path):
    lrs = [1.0e-4 * 1000 ** (i / 39) for i in range(40)]  # log-spaced over the whole range
    rows = [row(i, lr, 1.0 - abs(math.log10(lr) + 2)) for i, lr in enumerate(lrs)]  # best at 0.01
    rows.append(row(40, 0.01, 0.5, status="errored"))
    rows.append(row(41, 0.5, 0.99))  # outside this sweep's lr range: left out
    folder = earlier_sweep(tmp_path / "earlier", rows)
    spec = sweep("tpe", {"trials": folder}, space={"lr": {"logfloat": [1.0e-4, 1.0e-1]}})
    assert (spec.warm_start.read, spec.warm_start.outside, len(spec.warm_start.learned)) == (
        42,
        1,
        40,
    )
    searcher, _ = searcher_module("tpe").build(spec.searcher, spec.search_problem())
    assert len(searcher._ot_study.trials) == 40
    proposals = [searcher.suggest(f"trial_{i}")["lr"] for i in range(12)]
    # A cold start samples at random: about a third of proposals fall in this decade around 0.01.
    assert sum(0.003 < lr < 0.03 for lr in proposals) >= 10


def test_earlier_trials_keep_only_what_applies_and_rerun_the_best_first(tmp_path):
    rows = [
        row(0, 0.01, 0.80, optimizer="sgd", momentum=0.9, depth=2, **{"widths[1]": 32}),
        row(1, 0.02, 0.95, momentum=0.7),  # adam: the momentum column does not apply here
        row(2, 0.03, 0.90, **{"widths[0]": 48}),  # 48 is not a choice of this space: left out
    ]
    folder = earlier_sweep(tmp_path / "earlier", rows)
    spec = sweep("random", {"trials": folder, "rerun_best": 2})
    assert spec.warm_start.points == (
        {"optimizer": "adam", "lr": 0.02, "depth": 1, "widths[0]": 64},
        {
            "optimizer": "sgd",
            "lr": 0.01,
            "momentum": 0.9,
            "depth": 2,
            "widths[0]": 64,
            "widths[1]": 32,
        },
    )
    assert (
        spec.warm_start.outside == 1 and spec.warm_start.learned == ()
    )  # random search does not learn


def test_an_earlier_sweep_with_another_metric_or_a_damaged_file_is_named(tmp_path):
    folder = tmp_path / "other"
    folder.mkdir()
    pq.write_table(
        pa.table({"status": ["stopped"], "final_val_loss": [0.1], "best_val_loss": [0.1]}),
        folder / "trials.parquet",
    )
    with pytest.raises(
        SweepError,
        match="has no column final_val_accuracy: the earlier sweep measured other metrics",
    ):
        sweep("tpe", {"trials": str(folder)})
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "trials.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(SweepError, match=f"cannot read {damaged / 'trials.parquet'}"):
        sweep("tpe", {"trials": str(damaged)})


def test_several_objectives_learn_every_objectives_final_value(tmp_path):
    rows = [
        {
            "trial_id": f"t{i}",
            "status": "completed",
            "config/lr": 10 ** (-4 + i * 0.3),
            "final_val_accuracy": 0.5 + i / 40,
            "best_val_accuracy": 0.5 + i / 40,
            "final_model/params": 1000.0 + i,
        }
        for i in range(10)
    ]
    (tmp_path / "earlier").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "earlier" / "trials.parquet")
    raw = {
        "name": "warm",
        "model": {"family": "mlp"},
        "data": {"dataset": "digits"},
        "space": {"lr": {"logfloat": [1.0e-4, 1.0e-1]}},
        "metric": ["val_accuracy", "model/params"],
        "mode": ["max", "min"],
        "searcher": {"name": "tpe"},
        "trials": {"num_samples": 20},
        "warm_start": {"trials": str(tmp_path / "earlier")},
    }
    spec = sweep_from_dict(raw, source="warm.yaml")
    assert spec.warm_start.learned[0][1] == (0.5, 1000.0)
    searcher, _ = searcher_module("tpe").build(spec.searcher, spec.search_problem())
    assert [trial.values for trial in searcher._ot_study.trials][:2] == [
        [0.5, 1000.0],
        [0.525, 1001.0],
    ]
    raw["metric"] = ["val_accuracy", "latency/predict_ms"]
    with pytest.raises(SweepError, match="has no column final_latency/predict_ms"):
        sweep_from_dict(raw, source="warm.yaml")
