"""The MLP network (``family: mlp``): hidden layers of linear, normalisation, activation and
dropout. Any data layout is flattened to one vector per sample."""

from __future__ import annotations

import math

from torch import nn

from lightning_modules.blocks.activations import make_activation
from lightning_modules.blocks.normalization import make_norm
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.mlp import MLPConfig


def build(config: MLPConfig, data: DataInfo, outputs: int) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    width_in = math.prod(data.sample_shape)
    for width in config.layer_widths():
        layers += [
            nn.Linear(width_in, width),
            make_norm(config.norm, width, "vector"),
            make_activation(config),
        ]
        if config.dropout > 0:
            layers.append(nn.Dropout(config.dropout))
        width_in = width
    layers.append(nn.Linear(width_in, outputs))
    return nn.Sequential(*layers)
