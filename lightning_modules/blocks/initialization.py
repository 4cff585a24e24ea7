"""Weight initialisation by name: Xavier/Glorot and He/Kaiming (uniform and normal), zeros, or
the framework's default. Every weight matrix or kernel (parameters with two or more dimensions)
is initialised; biases start at zero; normalisation scales are left at one."""

import math
from typing import Literal

from torch import nn

from lightning_modules.configs.blocks import BlockConfig


def initialize(module: nn.Module, config: BlockConfig) -> None:
    scheme = config.init
    if scheme == "default":
        return
    # Kaiming's gain follows the activation the layers feed (the paper's derivation is for ReLU).
    nonlinearity: Literal["leaky_relu", "relu"] = (
        "leaky_relu" if config.activation == "leaky_relu" else "relu"
    )
    slope = config.leaky_alpha if nonlinearity == "leaky_relu" else 0.0
    for name, parameter in module.named_parameters():
        if parameter.dim() >= 2:
            if scheme == "xavier_uniform":
                nn.init.xavier_uniform_(parameter)
            elif scheme == "xavier_normal":
                nn.init.xavier_normal_(parameter)
            elif scheme == "kaiming_uniform":
                nn.init.kaiming_uniform_(parameter, a=slope, nonlinearity=nonlinearity)
            elif scheme == "kaiming_normal":
                nn.init.kaiming_normal_(parameter, a=slope, nonlinearity=nonlinearity)
            elif scheme == "zeros":
                nn.init.zeros_(parameter)
            else:
                raise ValueError(f"unknown initialisation {scheme!r}")
        elif name.endswith("bias"):
            nn.init.zeros_(parameter)


def expected_std(scheme: str, fan_in: int, fan_out: int, slope: float = 0.0) -> float:
    """The standard deviation a scheme gives a weight matrix (used by the tests)."""
    gain = math.sqrt(2.0 / (1 + slope**2))
    if scheme.startswith("xavier"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme.startswith("kaiming"):
        return gain / math.sqrt(fan_in)
    return 0.0
