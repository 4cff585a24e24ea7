"""A smooth function of random inputs, plus noise: a regression task drawn from a seed."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class WavesDataModule(L.LightningDataModule):
    """Targets are a sum of sines of random projections of the inputs and one interaction term.

    Args:
        batch_size: samples per training batch
        samples: samples in all, split 4:1:1 into train, validation and test
        features: inputs per sample
        noise: standard deviation of the noise added to the targets
        seed: the seed the whole data set is drawn from
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
        n, d = self.hparams.samples, self.hparams.features
        inputs = torch.randn(n, d, generator=generator)
        projections = torch.randn(d, 3, generator=generator) / d**0.5
        targets = (
            torch.sin(2.0 * inputs @ projections).sum(dim=1) + 0.5 * inputs[:, 0] * inputs[:, 1]
        )
        targets = targets + self.hparams.noise * torch.randn(n, generator=generator)
        # The samples are drawn independently, so consecutive slices are already a random split.
        cut_val, cut_test = 4 * n // 6, 5 * n // 6
        self.train_set = TensorDataset(inputs[:cut_val], targets[:cut_val])
        self.val_set = TensorDataset(inputs[cut_val:cut_test], targets[cut_val:cut_test])
        self.test_set = TensorDataset(inputs[cut_test:], targets[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=128)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=128)
