"""Three interleaved spirals in the plane, lifted to more features by a fixed random map."""

from __future__ import annotations

import math

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class SpiralsData(L.LightningDataModule):
    """Args:
    batch_size: samples per training batch
    samples_per_class: points on each spiral
    features: features per sample after the random lift
    noise: standard deviation of the noise on the points
    """

    def __init__(
        self,
        batch_size: int = 32,
        samples_per_class: int = 120,
        features: int = 12,
        noise: float = 0.25,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(7)
        n, classes = self.hparams.samples_per_class, 3
        radius = torch.linspace(0.1, 1.0, n).repeat(classes)
        labels = torch.arange(classes).repeat_interleave(n)
        angle = radius * 4.0 + labels * (2 * math.pi / classes)
        angle = angle + self.hparams.noise * torch.randn(len(angle), generator=generator)
        plane = torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1)
        lift = torch.randn(2, self.hparams.features, generator=generator)
        points = torch.tanh(plane @ lift)
        order = torch.randperm(len(points), generator=generator)
        points, labels = points[order], labels[order]
        cut_val, cut_test = int(0.6 * len(points)), int(0.8 * len(points))
        self.train_set = TensorDataset(points[:cut_val], labels[:cut_val])
        self.val_set = TensorDataset(points[cut_val:cut_test], labels[cut_val:cut_test])
        self.test_set = TensorDataset(points[cut_test:], labels[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256)
