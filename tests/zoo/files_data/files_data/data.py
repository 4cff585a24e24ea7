"""The data module: CSV files under ``data_dir``, written by ``prepare_data`` when missing."""

from __future__ import annotations

import os
from pathlib import Path

import lightning.pytorch as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

SPLITS = {"train": 480, "val": 120, "test": 120}


class CsvDataset(Dataset):
    """One split's rows: features in every column but the last, the class label in the last."""

    def __init__(self, path: Path):
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
        self.features = torch.from_numpy(table[:, :-1])
        self.labels = torch.from_numpy(table[:, -1]).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.features[index], self.labels[index]


class CsvDataModule(L.LightningDataModule):
    """Args:
    data_dir: folder of the CSV files (relative paths from the working directory); created
        when missing
    batch_size: rows per training batch
    num_workers: loader worker processes
    features: columns of features in the generated files
    classes: classes in the generated files
    seed: seed of the generated data
    """

    def __init__(
        self,
        data_dir: str = "data/",
        batch_size: int = 32,
        num_workers: int = 2,
        features: int = 12,
        classes: int = 3,
        seed: int = 17,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.data_dir = Path(data_dir)

    def prepare_data(self):
        # Runs on one process per node before setup: the place to write files, never to set
        # state (other processes do not see it).
        if all((self.data_dir / f"{split}.csv").exists() for split in SPLITS):
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(self.hparams.seed)
        centres = rng.normal(size=(self.hparams.classes, self.hparams.features))
        header = ",".join([f"x{i}" for i in range(self.hparams.features)] + ["label"])
        for split, rows in SPLITS.items():
            labels = rng.integers(self.hparams.classes, size=rows)
            # Noise wider than the spread of the centres: the classes overlap, as real ones do.
            points = centres[labels] + 2.0 * rng.normal(size=(rows, self.hparams.features))
            table = np.column_stack([points, labels])
            # Written under a private name and moved into place: a run that stops halfway, or
            # another one writing the same files, never leaves a truncated file behind.
            target = self.data_dir / f"{split}.csv"
            partial = target.with_name(f".{split}.{os.getpid()}.csv")
            np.savetxt(partial, table, delimiter=",", header=header, comments="", fmt="%.6g")
            os.replace(partial, target)

    def setup(self, stage: str):
        if stage == "fit":
            self.train_set = CsvDataset(self.data_dir / "train.csv")
        if stage in ("fit", "validate"):
            self.val_set = CsvDataset(self.data_dir / "val.csv")
        if stage == "test":
            self.test_set = CsvDataset(self.data_dir / "test.csv")

    def _loader(self, dataset, batch_size, shuffle=False):
        # Persistent workers outlive each epoch, so the loaders do not restart them every time.
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            num_workers=self.hparams.num_workers,
            persistent_workers=self.hparams.num_workers > 0,
        )

    def train_dataloader(self):
        return self._loader(self.train_set, self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return self._loader(self.val_set, 128)

    def test_dataloader(self):
        return self._loader(self.test_set, 128)
