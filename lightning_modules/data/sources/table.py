"""The table data set (``dataset: table``): a user's Parquet, Feather/Arrow or CSV table
read with pyarrow, its feature columns as vectors and its label column as classes or targets."""

from __future__ import annotations

import numpy as np

from lightning_modules.configs.data import TableConfig
from lightning_modules.table_files import describe_table, ensure_example_table, read_arrays


def load_arrays(config: TableConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    assert config.path is not None  # a table without one is refused by its rules
    if config.example is not None:
        ensure_example_table(config.path, config.example)
    features, label, task = config.columns()
    return read_arrays(config.path, describe_table(config.path, features, label, task))
