"""Sensor readings: a few hidden factors seen through a fixed nonlinear mixing, plus noise. The
class is decided by the hidden factors. ``draw_readings`` also feeds the pretraining script,
which sees other samples of the same mixing and ignores their labels."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

FEATURES = 16
FACTORS = 3
CLASSES = 3
MIXING_SEED = 0  # the sensors themselves: the same for pretraining and fine-tuning


def draw_readings(samples: int, seed: int, noise: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Readings (samples, FEATURES) and their class labels, drawn from ``seed``."""
    mixing = torch.Generator().manual_seed(MIXING_SEED)
    projection = torch.randn(FACTORS, FEATURES, generator=mixing)
    offset = torch.randn(FEATURES, generator=mixing)
    boundaries = torch.randn(FACTORS, CLASSES, generator=mixing)
    generator = torch.Generator().manual_seed(seed)
    factors = torch.randn(samples, FACTORS, generator=generator)
    readings = torch.tanh(factors @ projection + offset)
    readings = readings + noise * torch.randn(samples, FEATURES, generator=generator)
    labels = (factors @ boundaries).argmax(dim=1)
    return readings, labels


class SensorsDataModule(pl.LightningDataModule):
    """Args:
    batch_size: samples per training batch
    samples: labelled samples in all, split 4:1:1 into train, validation and test
    noise: standard deviation of the sensor noise
    seed: the seed the samples are drawn from
    """

    def __init__(self, batch_size: int = 32, samples: int = 480, noise: float = 0.5, seed: int = 1):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        n = self.hparams.samples
        readings, labels = draw_readings(n, self.hparams.seed, self.hparams.noise)
        cut_val, cut_test = 4 * n // 6, 5 * n // 6
        self.train_set = TensorDataset(readings[:cut_val], labels[:cut_val])
        self.val_set = TensorDataset(readings[cut_val:cut_test], labels[cut_val:cut_test])
        self.test_set = TensorDataset(readings[cut_test:], labels[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=80)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=80)
