"""Three classes, each a pair of overlapping Gaussian clusters, drawn from a seed."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class ClustersDataModule(L.LightningDataModule):
    """Args:
    batch_size: samples per training batch
    samples: samples in all, split 4:1:1 into train, validation and test
    features: features per sample
    classes: classes, each made of two clusters
    spread: standard deviation of every cluster around its centre
    seed: the seed the data set is drawn from
    """

    def __init__(
        self,
        batch_size: int = 32,
        samples: int = 600,
        features: int = 10,
        classes: int = 3,
        spread: float = 2.2,
        seed: int = 5,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        hp = self.hparams
        generator = torch.Generator().manual_seed(hp.seed)
        centres = 1.5 * torch.randn(2 * hp.classes, hp.features, generator=generator)
        cluster = torch.randint(2 * hp.classes, (hp.samples,), generator=generator)
        points = centres[cluster] + hp.spread * torch.randn(
            hp.samples, hp.features, generator=generator
        )
        # Clusters 0 and 1 are class 0, clusters 2 and 3 class 1, and so on.
        labels = cluster // 2
        cut_val, cut_test = 4 * hp.samples // 6, 5 * hp.samples // 6
        self.train_set = TensorDataset(points[:cut_val], labels[:cut_val])
        self.val_set = TensorDataset(points[cut_val:cut_test], labels[cut_val:cut_test])
        self.test_set = TensorDataset(points[cut_test:], labels[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=100)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=100)
