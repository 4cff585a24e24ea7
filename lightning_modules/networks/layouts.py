"""Reading a batch of samples in the layout a family needs.

Data sets describe a sample as a vector (features,), an image (channels, height, width) or a
sequence (length, features). Recurrent and attention families read sequences: a vector becomes
one feature per step, an image one row per step. Convolutional families read channels first.
"""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.configs.data_info import DataInfo


def as_sequence_shape(data: DataInfo) -> tuple[int, int]:
    """(steps, features per step) of the data read as a sequence."""
    shape = data.sample_shape
    if data.kind == "sequence":
        return shape[0], shape[1]
    if data.kind == "image":
        return shape[1], shape[0] * shape[2]
    return shape[0], 1


class AsSequence(nn.Module):
    def __init__(self, data: DataInfo):
        super().__init__()
        self.kind = data.kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "sequence":
            return x
        if self.kind == "image":  # (B, C, H, W) -> (B, H, C*W): rows as steps
            return x.permute(0, 2, 1, 3).flatten(2)
        return x.unsqueeze(-1)


class ChannelsFirst(nn.Module):
    """(B, L, F) sequences to (B, F, L); vectors to (B, 1, F); images unchanged."""

    def __init__(self, data: DataInfo):
        super().__init__()
        self.kind = data.kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "sequence":
            return x.transpose(1, 2)
        if self.kind == "vector":
            return x.unsqueeze(1)
        return x
