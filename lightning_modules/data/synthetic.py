"""The synthetic data module (``dataset: synthetic``): the arrays of lightning_modules.data.sources.synthetic,
split, normalised and batched as every data set is (lightning_modules.data.array_module)."""

from __future__ import annotations

from lightning_modules.configs.data import SyntheticConfig
from lightning_modules.data.array_module import ArrayDataModule
from lightning_modules.data.sources import synthetic


class SyntheticDataModule(ArrayDataModule):
    config_class = SyntheticConfig
    source = synthetic
