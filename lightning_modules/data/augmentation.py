"""Training-time data augmentation: random shifts, Gaussian noise and scaling, each off unless
its strength is set (``augment_shift``, ``augment_noise``, ``augment_scale``). The data modules
apply it to training batches only; validation and test data are never touched."""

from __future__ import annotations

import torch

from lightning_modules.configs.data import DataConfig


def shift_zero_fill(x: torch.Tensor, shift: int, dim: int) -> torch.Tensor:
    """``x`` moved by ``shift`` positions along ``dim``, the vacated positions set to zero."""
    if shift == 0:
        return x
    moved = torch.roll(x, shift, dims=dim)
    index = torch.arange(x.shape[dim], device=x.device)
    vacated = index < shift if shift > 0 else index >= x.shape[dim] + shift
    shape = [1] * x.dim()
    shape[dim] = x.shape[dim]
    return moved.masked_fill(vacated.view(shape), 0.0)


class Augmentation:
    def __init__(self, config: DataConfig, kind: str, seed: int):
        self.shift = config.augment_shift
        self.noise = config.augment_noise
        self.scale = config.augment_scale
        # Which sample axes a shift moves along (dimension 0 is the batch).
        self.shift_dims = {"image": (2, 3), "sequence": (1,), "vector": (1,)}[kind]
        self.generator = torch.Generator().manual_seed(seed + 1)

    @property
    def active(self) -> bool:
        return bool(self.shift or self.noise or self.scale)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.shift:
            x = x.clone()
            for dim in self.shift_dims:
                shifts = torch.randint(
                    -self.shift, self.shift + 1, (len(x),), generator=self.generator
                )
                for amount in shifts.unique().tolist():
                    chosen = shifts == amount
                    x[chosen] = shift_zero_fill(x[chosen], amount, dim)
        if self.scale:
            factors = 1 + (torch.rand(len(x), generator=self.generator) * 2 - 1) * self.scale
            x = x * factors.view(-1, *([1] * (x.dim() - 1)))
        if self.noise:
            x = x + torch.randn(x.shape, generator=self.generator) * self.noise
        return x
