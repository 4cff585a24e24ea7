"""Backbones to choose from in the config (``model.backbone.class_path``)."""

from __future__ import annotations

from torch import nn


class MLPBackbone(nn.Module):
    """Hidden layers of the same width.

    Args:
        inputs: features per sample
        width: units per hidden layer
        depth: hidden layers
    """

    def __init__(self, inputs: int = 12, width: int = 32, depth: int = 2):
        super().__init__()
        layers: list[nn.Module] = []
        for index in range(depth):
            layers += [nn.Linear(inputs if index == 0 else width, width), nn.GELU()]
        self.layers = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x):
        return self.layers(x)


class ResidualBackbone(nn.Module):
    """A linear stem and residual blocks.

    Args:
        inputs: features per sample
        width: units of the stem and every block
        blocks: residual blocks
    """

    def __init__(self, inputs: int = 12, width: int = 32, blocks: int = 1):
        super().__init__()
        self.stem = nn.Linear(inputs, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU())
            for _ in range(blocks)
        )
        self.out_features = width

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = x + block(x)
        return x
