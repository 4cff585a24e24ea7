"""Gaussian blobs, one per class, drawn from a seed (no download), split three ways."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split


class BlobsDataModule(L.LightningDataModule):
    def __init__(
        self,
        samples: int = 480,
        features: int = 16,
        classes: int = 4,
        split: tuple[int, int, int] = (320, 80, 80),
        batch_size: int = 32,
        seed: int = 12345,
    ):
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.data_train = self.data_val = self.data_test = None

    def setup(self, stage=None):
        if self.data_train is not None:
            return
        generator = torch.Generator().manual_seed(self.hparams.seed)
        centres = torch.randn(self.hparams.classes, self.hparams.features, generator=generator)
        labels = torch.arange(self.hparams.samples) % self.hparams.classes
        points = centres[labels] + 2.0 * torch.randn(
            self.hparams.samples, self.hparams.features, generator=generator
        )
        dataset = TensorDataset(points, labels)
        self.data_train, self.data_val, self.data_test = random_split(
            dataset, self.hparams.split, generator=torch.Generator().manual_seed(42)
        )

    def train_dataloader(self):
        return DataLoader(self.data_train, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.data_val, batch_size=self.hparams.batch_size)

    def test_dataloader(self):
        return DataLoader(self.data_test, batch_size=self.hparams.batch_size)
