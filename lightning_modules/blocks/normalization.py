"""Normalisation layers by name (none, batch, layer) for each kind of hidden layer.

``layer`` over convolution feature maps is a one-group GroupNorm: it normalises each sample over
its channels and positions, as LayerNorm does over a vector."""

from torch import nn


def make_norm(kind: str, features: int, layout: str) -> nn.Module:
    """``layout``: "vector" (batch, features), "conv1d" (batch, C, L), "conv2d" (batch, C, H, W)."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm2d(features) if layout == "conv2d" else nn.BatchNorm1d(features)
    if kind == "layer":
        return nn.LayerNorm(features) if layout == "vector" else nn.GroupNorm(1, features)
    raise ValueError(f"unknown normalisation {kind!r}")
