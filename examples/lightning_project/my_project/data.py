"""scikit-learn's bundled 8x8 digits (no download), standardised, in train/validation/test splits."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class Digits(L.LightningDataModule):
    """The digits as 64-pixel vectors.

    Args:
        batch_size: training batch size
        val_fraction: share of the samples held out for validation
        test_fraction: share held out for the test
        seed: the split's seed
    """

    def __init__(
        self,
        batch_size: int = 64,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        seed: int = 0,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str | None = None) -> None:
        from sklearn.datasets import load_digits

        features, labels = load_digits(return_X_y=True)
        x = torch.tensor(features, dtype=torch.float32)
        y = torch.tensor(labels)
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(self.hparams.seed))
        n_test = int(len(x) * self.hparams.test_fraction)
        n_val = int(len(x) * self.hparams.val_fraction)
        test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
        mean, std = x[train].mean(0), x[train].std(0)
        std[std < 1e-6] = 1.0  # pixels that are always blank in training stay near zero
        x = (x - mean) / std
        self.splits = {
            "train": TensorDataset(x[train], y[train]),
            "val": TensorDataset(x[val], y[val]),
            "test": TensorDataset(x[test], y[test]),
        }

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.splits["train"], batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.splits["val"], batch_size=512)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.splits["test"], batch_size=512)
