"""The table data module (``dataset: table``): the arrays of lightning_modules.data.sources.table,
split, normalised and batched as every data set is (lightning_modules.data.array_module)."""

from __future__ import annotations

from lightning_modules.configs.data import TableConfig
from lightning_modules.data.array_module import ArrayDataModule
from lightning_modules.data.sources import table


class TableDataModule(ArrayDataModule):
    config_class = TableConfig
    source = table
