"""Activations by name: relu, leaky_relu (slope ``leaky_alpha``), relu_n (clipped at
``relu_n``), tanh, sigmoid, gelu."""

from torch import nn

from lightning_modules.configs.blocks import BlockConfig


def make_activation(config: BlockConfig) -> nn.Module:
    name = config.activation
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(config.leaky_alpha)
    if name == "relu_n":
        return nn.Hardtanh(0.0, config.relu_n)  # min(max(0, x), N)
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "gelu":
        return nn.GELU()
    raise ValueError(f"unknown activation {name!r}")
