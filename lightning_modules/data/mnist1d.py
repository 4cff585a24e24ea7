"""The MNIST-1D data module (``dataset: mnist1d``): the arrays of lightning_modules.data.sources.mnist1d,
split, normalised and batched as every data set is (lightning_modules.data.array_module)."""

from __future__ import annotations

from lightning_modules.configs.data import MNIST1DConfig
from lightning_modules.data.array_module import ArrayDataModule
from lightning_modules.data.sources import mnist1d


class MNIST1DDataModule(ArrayDataModule):
    config_class = MNIST1DConfig
    source = mnist1d
