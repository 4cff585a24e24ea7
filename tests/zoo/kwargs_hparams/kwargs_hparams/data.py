"""A noisy XOR of the signs of two of ten features (the other eight are noise), drawn from a seed."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split


class XorData(pl.LightningDataModule):
    def __init__(
        self,
        batch_size: int = 32,
        num_samples: int = 800,
        num_features: int = 10,
        label_noise: float = 0.1,
        seed: int = 5,
    ):
        super().__init__()
        self.batch_size = batch_size
        self.num_samples = num_samples
        self.num_features = num_features
        self.label_noise = label_noise
        self.seed = seed

    def setup(self, stage=None):
        generator = torch.Generator().manual_seed(self.seed)
        x = torch.rand(self.num_samples, self.num_features, generator=generator) * 2 - 1
        # The class is whether the first two features have the same sign: not linearly
        # separable, so the hidden width matters.
        y = ((x[:, 0] > 0) == (x[:, 1] > 0)).long()
        # Some labels flipped, so accuracy cannot reach 1 and keeps telling settings apart.
        flipped = torch.rand(self.num_samples, generator=generator) < self.label_noise
        y = torch.where(flipped, 1 - y, y)
        dataset = TensorDataset(x, y)
        lengths = [int(0.7 * self.num_samples), int(0.15 * self.num_samples)]
        lengths.append(self.num_samples - sum(lengths))
        self.train_set, self.val_set, self.test_set = random_split(
            dataset, lengths, generator=torch.Generator().manual_seed(self.seed)
        )

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=self.batch_size)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=self.batch_size)
