"""The digits data module (``dataset: digits``): the arrays of lightning_modules.data.sources.digits,
split, normalised and batched as every data set is (lightning_modules.data.array_module)."""

from __future__ import annotations

from lightning_modules.configs.data import DigitsConfig
from lightning_modules.data.array_module import ArrayDataModule
from lightning_modules.data.sources import digits


class DigitsDataModule(ArrayDataModule):
    config_class = DigitsConfig
    source = digits
