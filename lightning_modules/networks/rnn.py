"""The recurrent network (``family: rnn``): LSTM or GRU layers over the steps of a sequence."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.blocks.activations import make_activation
from lightning_modules.blocks.normalization import make_norm
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.rnn import RNNConfig
from lightning_modules.networks.layouts import AsSequence, as_sequence_shape


class RecurrentNetwork(nn.Module):
    def __init__(self, config: RNNConfig, data: DataInfo, outputs: int):
        super().__init__()
        _, features = as_sequence_shape(data)
        cell = nn.LSTM if config.cell == "lstm" else nn.GRU
        self.as_sequence = AsSequence(data)
        self.bidirectional = config.bidirectional
        self.recurrent = cell(
            features,
            config.hidden_size,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
            bidirectional=config.bidirectional,
        )
        width = config.hidden_size * (2 if config.bidirectional else 1)
        self.head = nn.Sequential(
            make_norm(config.norm, width, "vector"),
            make_activation(config),
            nn.Dropout(config.dropout),
            nn.Linear(width, outputs),
        )
        self.hidden_size = config.hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, _ = self.recurrent(self.as_sequence(x))
        if self.bidirectional:
            # The forward direction has read everything at the last step, the backward at the first.
            summary = torch.cat(
                [steps[:, -1, : self.hidden_size], steps[:, 0, self.hidden_size :]], dim=-1
            )
        else:
            summary = steps[:, -1]
        return self.head(summary)


def build(config: RNNConfig, data: DataInfo, outputs: int) -> nn.Module:
    return RecurrentNetwork(config, data, outputs)
