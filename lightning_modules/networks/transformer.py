"""The Transformer encoder (``family: transformer``): pre-norm self-attention layers over the
tokens of a sequence (single steps, or patches of consecutive steps as in ViT), with sinusoidal or
learned positions, mean-pooled into a linear head."""

from __future__ import annotations

import math

import torch
from torch import nn

from lightning_modules.blocks.activations import make_activation
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.transformer import TransformerConfig
from lightning_modules.networks.layouts import AsSequence, as_sequence_shape


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    frequencies = torch.exp(
        torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * frequencies)
    table[:, 1::2] = torch.cos(position * frequencies[: dim // 2])
    return table


class EncoderLayer(nn.Module):
    """Pre-norm: x + drop(attention(norm(x))), then x + drop(feed_forward(norm(x)))."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        norm = (lambda: nn.LayerNorm(config.d_model)) if config.norm == "layer" else nn.Identity
        self.attention_norm = norm()
        self.attention = nn.MultiheadAttention(
            config.d_model, config.heads, dropout=config.attention_dropout, batch_first=True
        )
        self.feed_forward_norm = norm()
        self.feed_forward = nn.Sequential(
            nn.Linear(config.d_model, config.ff_dim),
            make_activation(config),
            nn.Linear(config.ff_dim, config.d_model),
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = self.attention_norm(x)
        attended, _ = self.attention(normed, normed, normed, need_weights=False)
        x = x + self.dropout(attended)
        return x + self.dropout(self.feed_forward(self.feed_forward_norm(x)))


class TransformerNetwork(nn.Module):
    def __init__(self, config: TransformerConfig, data: DataInfo, outputs: int):
        super().__init__()
        _, features = as_sequence_shape(data)
        self.as_sequence = AsSequence(data)
        self.patch_size = config.patch_size
        self.embed = nn.Linear(features * config.patch_size, config.d_model)
        if config.positional == "learned":
            self.positions = nn.Parameter(torch.randn(config.max_length, config.d_model) * 0.02)
        else:
            self.register_buffer(
                "positions",
                sinusoidal_positions(config.max_length, config.d_model),
                persistent=False,
            )
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.layers))
        self.final_norm = nn.LayerNorm(config.d_model) if config.norm == "layer" else nn.Identity()
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.d_model, outputs)

    def patches(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, steps, features) as (batch, tokens, patch_size * features)."""
        if self.patch_size == 1:
            return x
        batch, steps, features = x.shape
        padding = -steps % self.patch_size
        if padding:
            x = nn.functional.pad(x, (0, 0, 0, padding))
        return x.reshape(batch, (steps + padding) // self.patch_size, self.patch_size * features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patches(self.as_sequence(x))
        x = self.dropout(self.embed(x) + self.positions[: x.shape[1]])
        for layer in self.layers:
            x = layer(x)
        return self.head(self.final_norm(x).mean(dim=1))


def build(config: TransformerConfig, data: DataInfo, outputs: int) -> nn.Module:
    return TransformerNetwork(config, data, outputs)
