"""The LightningDataModule every shipped data set is: the arrays of its source (a module of
lightning_modules.data.sources), split and normalised once per process
(lightning_modules.data.arrays), served as mini-batches from in-memory tensors, with
augmentation of training batches.

A data set subclasses ``ArrayDataModule`` and names its ``config_class`` and its ``source``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pytorch_lightning as pl

from lightning_modules.configs.data import DataConfig
from lightning_modules.data.arrays import EVAL_BATCH, Splits, cached_splits
from lightning_modules.data.augmentation import Augmentation
from lightning_modules.data.batches import TensorBatches


class ArrayDataModule(pl.LightningDataModule):
    config_class: ClassVar[type[DataConfig]] = DataConfig
    source: ClassVar[ModuleType | None] = None  # a module of lightning_modules.data.sources

    def __init__(self, config: DataConfig, batch_size: int, seed: int = 0, fold: int = 0):
        super().__init__()
        if not 0 <= fold < config.fold_count():
            raise ValueError(
                f"fold {fold} does not exist; the data has {config.fold_count()} fold(s)"
            )
        self.config = config
        self.fold = fold
        self.batch_size = batch_size
        self.seed = config.seed if config.seed is not None else seed
        self.info = config.info()
        self.splits: Splits | None = None

    @classmethod
    def load_arrays(cls, config: Any, seed: int) -> tuple[np.ndarray, np.ndarray]:
        if cls.source is None:
            raise TypeError(f"{cls.__name__} does not say where its arrays come from")
        return cls.source.load_arrays(config, seed)

    def setup(self, stage: str | None = None) -> None:
        if self.splits is None:
            self.splits = cached_splits(type(self), self.config, self.seed, self.fold)

    def _ready(self) -> Splits:
        self.setup()
        assert self.splits is not None  # set by setup()
        return self.splits

    def _shard(self) -> tuple[int, int] | None:
        """(rank, world size) when a data-parallel Trainer runs this module, else None."""
        trainer = self.trainer
        if trainer is None or trainer.world_size <= 1:
            return None
        return trainer.global_rank, trainer.world_size

    def train_dataloader(self) -> TensorBatches:
        s = self._ready()
        augmentation = Augmentation(self.config, self.info.kind, self.seed)
        return TensorBatches(
            s.train_x,
            s.train_y,
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            transform=augmentation if augmentation.active else None,
            shard=self._shard(),
        )

    def val_dataloader(self) -> TensorBatches:
        s = self._ready()
        return TensorBatches(
            s.val_x, s.val_y, max(self.batch_size, EVAL_BATCH), shuffle=False, shard=self._shard()
        )

    def test_dataloader(self) -> TensorBatches:
        s = self._ready()
        return TensorBatches(
            s.test_x, s.test_y, max(self.batch_size, EVAL_BATCH), shuffle=False, shard=self._shard()
        )
