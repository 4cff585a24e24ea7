"""Points from a ring of Gaussians in the plane, drawn from a seed: training data only."""

from __future__ import annotations

import math

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class RingData(L.LightningDataModule):
    """Args:
    batch_size: points per batch
    samples: points in all
    modes: Gaussians spaced evenly on the ring
    radius: radius of the ring
    spread: standard deviation of each Gaussian
    seed: seed of the draw
    """

    def __init__(
        self,
        batch_size: int = 64,
        samples: int = 512,
        modes: int = 8,
        radius: float = 2.0,
        spread: float = 0.1,
        seed: int = 3,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(self.hparams.seed)
        mode = torch.randint(self.hparams.modes, (self.hparams.samples,), generator=generator)
        angle = mode * (2 * math.pi / self.hparams.modes)
        centres = self.hparams.radius * torch.stack([angle.cos(), angle.sin()], dim=1)
        noise = self.hparams.spread * torch.randn(self.hparams.samples, 2, generator=generator)
        self.train_set = TensorDataset(centres + noise)

    def train_dataloader(self):
        # drop_last keeps every batch full, so the MMD logged per batch compares equal sizes.
        return DataLoader(
            self.train_set, batch_size=self.hparams.batch_size, shuffle=True, drop_last=True
        )
