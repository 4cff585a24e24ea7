"""One fold of a shipped data set, in plain torch (no Lightning): the arrays of its source (a
module of lightning_modules.data.sources), split and normalised once per process
(lightning_modules.data.arrays), served as mini-batches from in-memory tensors, with
augmentation of training batches. The sweep's lean loop takes its batches here; each data set's
LightningDataModule (``ArrayDataModule``) serves the same batches to Lightning's Trainer."""

from __future__ import annotations

from typing import Any

from lightning_modules.configs.data import DataConfig
from lightning_modules.data.arrays import EVAL_BATCH, Splits, cached_splits
from lightning_modules.data.augmentation import Augmentation
from lightning_modules.data.batches import TensorBatches

Shard = tuple[int, int] | None  # (rank, world size) in data-parallel training


class ArrayData:
    def __init__(
        self, source: Any, config: DataConfig, batch_size: int, seed: int = 0, fold: int = 0
    ):
        if not 0 <= fold < config.fold_count():
            raise ValueError(
                f"fold {fold} does not exist; the data has {config.fold_count()} fold(s)"
            )
        self.source = source
        self.config = config
        self.fold = fold
        self.batch_size = batch_size
        self.seed = config.seed if config.seed is not None else seed
        self.info = config.info()
        self.splits: Splits | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.splits is None:
            self.splits = cached_splits(self.source, self.config, self.seed, self.fold)

    def _ready(self) -> Splits:
        self.setup()
        assert self.splits is not None  # set by setup()
        return self.splits

    def train_batches(self, shard: Shard = None) -> TensorBatches:
        s = self._ready()
        augmentation = Augmentation(self.config, self.info.kind, self.seed)
        return TensorBatches(
            s.train_x,
            s.train_y,
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            transform=augmentation if augmentation.active else None,
            shard=shard,
        )

    def val_batches(self, shard: Shard = None) -> TensorBatches:
        s = self._ready()
        return TensorBatches(
            s.val_x, s.val_y, max(self.batch_size, EVAL_BATCH), shuffle=False, shard=shard
        )

    def test_batches(self, shard: Shard = None) -> TensorBatches:
        s = self._ready()
        return TensorBatches(
            s.test_x, s.test_y, max(self.batch_size, EVAL_BATCH), shuffle=False, shard=shard
        )
