"""Gaussian blobs for four classes of very different sizes, drawn from a seed."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class ImbalancedBlobs(L.LightningDataModule):
    """Args:
    batch_size: samples per training batch
    samples: samples in all, split 60/20/20
    features: features per sample
    weights: how often each class occurs (relative)
    spread: standard deviation of each blob
    seed: seed of the draw
    """

    def __init__(
        self,
        batch_size: int = 32,
        samples: int = 720,
        features: int = 16,
        weights: tuple[float, ...] = (0.55, 0.25, 0.12, 0.08),
        spread: float = 2.0,
        seed: int = 99,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(self.hparams.seed)
        weights = torch.tensor(self.hparams.weights)
        labels = torch.multinomial(
            weights, self.hparams.samples, replacement=True, generator=generator
        )
        centres = torch.randn(len(weights), self.hparams.features, generator=generator)
        noise = torch.randn(self.hparams.samples, self.hparams.features, generator=generator)
        points = centres[labels] + self.hparams.spread * noise
        cut_val, cut_test = int(0.6 * len(points)), int(0.8 * len(points))
        self.train_set = TensorDataset(points[:cut_val], labels[:cut_val])
        self.val_set = TensorDataset(points[cut_val:cut_test], labels[cut_val:cut_test])
        self.test_set = TensorDataset(points[cut_test:], labels[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=64)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=64)
