"""12x12 single-channel images of a bar in one of four orientations, drawn from a seed under
heavy pixel noise."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset

ORIENTATIONS = ("horizontal", "vertical", "diagonal", "antidiagonal")


def draw_bars(
    samples: int, size: int, noise: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (samples, 1, size, size) and their orientation labels."""
    labels = torch.randint(len(ORIENTATIONS), (samples,), generator=generator)
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    rows, cols = rows.float(), cols.float()
    centre = (size - 1) / 2
    # Each bar is shifted off the centre, so a fixed set of pixels does not give the class away.
    shift = torch.randint(-3, 4, (samples, 1, 1), generator=generator).float()
    distance = torch.stack(
        [
            (rows - centre - shift).abs(),
            (cols - centre - shift).abs(),
            (rows - cols - shift).abs() / 2**0.5,
            (rows + cols - 2 * centre - shift).abs() / 2**0.5,
        ],
        dim=1,
    )
    bars = (distance[torch.arange(samples), labels] < 0.8).float()
    brightness = 0.5 + 0.5 * torch.rand(samples, 1, 1, generator=generator)
    images = brightness * bars + noise * torch.randn(samples, size, size, generator=generator)
    return images.unsqueeze(1), labels


class BarsDataModule(L.LightningDataModule):
    """Args:
    batch_size: images per training batch (before gradient accumulation)
    samples: images in all, split 4:1:1 into train, validation and test
    size: image height and width
    noise: standard deviation of the pixel noise
    seed: the seed the images are drawn from
    """

    def __init__(
        self,
        batch_size: int = 32,
        samples: int = 720,
        size: int = 12,
        noise: float = 0.7,
        seed: int = 11,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(self.hparams.seed)
        images, labels = draw_bars(
            self.hparams.samples, self.hparams.size, self.hparams.noise, generator
        )
        n = self.hparams.samples
        cut_val, cut_test = 4 * n // 6, 5 * n // 6
        self.train_set = TensorDataset(images[:cut_val], labels[:cut_val])
        self.val_set = TensorDataset(images[cut_val:cut_test], labels[cut_val:cut_test])
        self.test_set = TensorDataset(images[cut_test:], labels[cut_test:])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=120)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=120)
