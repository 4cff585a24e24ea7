"""A noisy nonlinear regression target on a handful of uniform features, drawn from a seed."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class FrictionData(L.LightningDataModule):
    """Samples of ``y = sin(pi x0 x1) + 2 (x2 - 0.5)^2 + x3 + noise``; the remaining features
    carry nothing, as real tabular data often has columns that do not matter.

    Args:
        batch_size: samples per training batch
        samples: samples in all, split 60/20/20
        features: features per sample (at least 4)
        noise: standard deviation of the noise on the target
        seed: seed of the draw
    """

    def __init__(
        self,
        batch_size: int = 32,
        samples: int = 600,
        features: int = 8,
        noise: float = 0.3,
        seed: int = 2024,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(self.hparams.seed)
        x = torch.rand(self.hparams.samples, self.hparams.features, generator=generator)
        y = (
            torch.sin(torch.pi * x[:, 0] * x[:, 1])
            + 2.0 * (x[:, 2] - 0.5) ** 2
            + x[:, 3]
            + self.hparams.noise * torch.randn(self.hparams.samples, generator=generator)
        )
        # Standardised inputs: SGD without them needs a much narrower learning-rate range.
        x = (x - 0.5) * 12**0.5
        cut_val, cut_test = int(0.6 * len(x)), int(0.8 * len(x))
        self.train_set = TensorDataset(x[:cut_val], y[:cut_val])
        self.val_set = TensorDataset(x[cut_val:cut_test], y[cut_val:cut_test])
        self.test_set = TensorDataset(x[cut_test:], y[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=128)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=128)
