"""The digits data module: scikit-learn's bundled 8x8 handwritten digits (no download).

The arrays are loaded, split and normalised once per process and cached, so a Ray worker that
runs many trials (actor reuse) pays for it once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytorch_lightning as pl
import torch

from lightning_modules.batches import TensorBatches
from lightning_modules.configs.digits import DigitsConfig

NUM_CLASSES = 10
INPUT_DIM = 64


@dataclass(frozen=True)
class Splits:
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


@functools.lru_cache(maxsize=8)
def load_splits(config: DigitsConfig, seed: int) -> Splits:
    """Stratified, seeded train/validation/test split; z-score statistics from training rows only."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    features, labels = load_digits(return_X_y=True)
    features = features.astype("float32")
    held_out = config.val_fraction + config.test_fraction
    train_x, rest_x, train_y, rest_y = train_test_split(
        features, labels, test_size=held_out, stratify=labels, random_state=seed
    )
    if config.test_fraction > 0:
        val_x, test_x, val_y, test_y = train_test_split(
            rest_x, rest_y, test_size=config.test_fraction / held_out, stratify=rest_y, random_state=seed
        )
    else:
        val_x, val_y, test_x, test_y = rest_x, rest_y, rest_x[:0], rest_y[:0]
    if config.normalize == "zscore":
        mean = train_x.mean(axis=0)
        # Constant pixels (the digits' borders) have zero spread; leave them at zero, not NaN.
        std = train_x.std(axis=0)
        std[std == 0] = 1.0
        train_x, val_x, test_x = ((x - mean) / std for x in (train_x, val_x, test_x))

    def tensors(x, y):
        return torch.as_tensor(x, dtype=torch.float32).contiguous(), torch.as_tensor(y, dtype=torch.long)

    return Splits(*tensors(train_x, train_y), *tensors(val_x, val_y), *tensors(test_x, test_y))


class DigitsDataModule(pl.LightningDataModule):
    input_dim = INPUT_DIM
    num_classes = NUM_CLASSES

    def __init__(self, config: DigitsConfig, batch_size: int, seed: int = 0):
        super().__init__()
        self.config = config
        self.batch_size = batch_size
        self.seed = config.seed if config.seed is not None else seed
        self.splits: Splits | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.splits is None:
            self.splits = load_splits(self.config, self.seed)

    def train_dataloader(self) -> TensorBatches:
        s = self._ready()
        return TensorBatches(s.train_x, s.train_y, self.batch_size, shuffle=True, seed=self.seed)

    def val_dataloader(self) -> TensorBatches:
        s = self._ready()
        return TensorBatches(s.val_x, s.val_y, max(self.batch_size, 1024), shuffle=False)

    def test_dataloader(self) -> TensorBatches:
        s = self._ready()
        return TensorBatches(s.test_x, s.test_y, max(self.batch_size, 1024), shuffle=False)

    def _ready(self) -> Splits:
        self.setup()
        assert self.splits is not None  # set by setup()
        return self.splits
