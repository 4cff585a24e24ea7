"""The LightningDataModule every shipped data set is: its plain-torch data
(lightning_modules.data.array_data: split and normalised once per process, mini-batches from
in-memory tensors, augmentation of training batches) under Lightning's data module interface,
each process of a data-parallel Trainer taking its shard.

A data set subclasses ``ArrayDataModule`` and names its ``config_class`` and its ``source``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pytorch_lightning as pl

from lightning_modules.configs.data import DataConfig
from lightning_modules.data.array_data import ArrayData, Shard
from lightning_modules.data.batches import TensorBatches


class ArrayDataModule(ArrayData, pl.LightningDataModule):
    config_class: ClassVar[type[DataConfig]]  # each data set's own (DataConfig is abstract)
    source: ModuleType | None = None  # a module of lightning_modules.data.sources

    def __init__(self, config: DataConfig, batch_size: int, seed: int = 0, fold: int = 0):
        pl.LightningDataModule.__init__(self)
        ArrayData.__init__(self, type(self).source, config, batch_size, seed, fold)

    @classmethod
    def load_arrays(cls, config: Any, seed: int) -> tuple[np.ndarray, np.ndarray]:
        if cls.source is None:
            raise TypeError(f"{cls.__name__} does not say where its arrays come from")
        return cls.source.load_arrays(config, seed)

    def _shard(self) -> Shard:
        trainer = self.trainer
        if trainer is None or trainer.world_size <= 1:
            return None
        return trainer.global_rank, trainer.world_size

    def train_dataloader(self) -> TensorBatches:
        return self.train_batches(self._shard())

    def val_dataloader(self) -> TensorBatches:
        return self.val_batches(self._shard())

    def test_dataloader(self) -> TensorBatches:
        return self.test_batches(self._shard())
