"""Tables as data: columns named in the sweep, checked at load time, read with pyarrow from a
path or a filesystem URI; the bundled examples are written on first use."""

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import torch

from lightning_modules.configs import TableConfig
from lightning_modules.data.arrays import cached_splits
from lightning_modules.data.table import TableDataModule
from sweeps.definition import sweep_from_dict
from sweeps.errors import SweepError


@pytest.fixture
def table_file(tmp_path):
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "a": rng.normal(size=200),
            "b": rng.integers(0, 5, size=200),
            "c": rng.normal(size=200),
            "name": [f"row{i}" for i in range(200)],
            "species": rng.choice(["cat", "dog", "eel"], size=200),
            "price": rng.normal(size=200),
        }
    )
    path = tmp_path / "animals.parquet"
    pq.write_table(table, path)
    pcsv.write_csv(table, tmp_path / "animals.csv")
    return path


def sweep(data, metric="val_accuracy", mode="max"):
    return {
        "name": "t",
        "model": {"family": "mlp"},
        "data": {"dataset": "table", **data},
        "metric": metric,
        "mode": mode,
    }


def test_named_columns_become_features_and_classes(table_file):
    spec = sweep_from_dict(
        sweep({"path": str(table_file), "features": ["a", "b", "c"], "label": "species"}), "inline"
    )
    assert spec.model.data_info.sample_shape == (3,) and spec.model.data_info.num_classes == 3
    config = TableConfig(path=str(table_file), features=["a", "b", "c"], label="species", seed=0)
    splits = cached_splits(TableDataModule, config, 0)
    assert splits.train_x.shape[1] == 3 and set(splits.train_y.tolist()) == {0, 1, 2}


def test_regression_target(table_file):
    spec = sweep_from_dict(
        sweep(
            {
                "path": str(table_file),
                "features": ["a", "b"],
                "label": "price",
                "task": "regression",
            },
            metric="val_mae",
            mode="min",
        )
        | {"model": {"family": "mlp", "loss": "mse"}},
        "inline",
    )
    assert spec.model.data_info.num_classes is None
    splits = cached_splits(
        TableDataModule,
        TableConfig(
            path=str(table_file), features=["a", "b"], label="price", task="regression", seed=0
        ),
        0,
    )
    assert splits.train_y.dtype == torch.float32


@pytest.mark.parametrize(
    "data, expected",
    [
        (
            {"features": ["a", "missing"], "label": "species"},
            "has no column 'missing'; it has: a, b, c, name, species, price",
        ),
        (
            {"features": ["a", "name"], "label": "species"},
            "feature column 'name' is string, not numeric",
        ),
        ({"features": ["a"], "label": "nope"}, "has no column 'nope'"),
        (
            {"features": ["a"]},
            "features (a list of column names) and label (a column name) are required",
        ),
        (
            {"features": ["a"], "label": "name", "task": "regression"},
            "a regression label must be numeric",
        ),
    ],
)
def test_bad_columns_are_load_time_errors(table_file, data, expected):
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(sweep({"path": str(table_file), **data}), "s.yaml")
    assert expected in str(caught.value) and str(caught.value).startswith("s.yaml: data")


def test_missing_file_and_uri_and_csv(table_file):
    with pytest.raises(SweepError, match="no such file"):
        sweep_from_dict(
            sweep(
                {
                    "path": str(table_file.with_name("none.parquet")),
                    "features": ["a"],
                    "label": "species",
                }
            ),
            "s",
        )
    uri = sweep_from_dict(
        sweep({"path": table_file.as_uri(), "features": ["a"], "label": "species"}), "s"
    )
    assert uri.model.data_args["path"].startswith("file://")
    csv = TableConfig(
        path=str(table_file.with_suffix(".csv")), features=["a", "c"], label="species", seed=0
    )
    assert cached_splits(TableDataModule, csv, 0).train_x.shape[1] == 2


def test_relative_paths_are_made_absolute(table_file, monkeypatch):
    monkeypatch.chdir(table_file.parent)
    spec = sweep_from_dict(
        sweep({"path": "animals.parquet", "features": ["a"], "label": "species"}), "s"
    )
    assert spec.model.data_args["path"] == str(table_file)


def test_example_table_is_written_on_first_use(tmp_path):
    path = tmp_path / "data" / "wine.parquet"
    spec = sweep_from_dict(sweep({"path": str(path), "example": "wine"}), "s")
    assert spec.model.data_info.num_classes == 3 and spec.model.data_info.sample_shape == (13,)
    assert not path.exists()  # validating writes nothing
    splits = cached_splits(TableDataModule, TableConfig(path=str(path), example="wine", seed=0), 0)
    assert path.exists() and pq.read_table(path).num_rows == 178
    assert len(splits.train_x) + len(splits.val_x) + len(splits.test_x) == 178
