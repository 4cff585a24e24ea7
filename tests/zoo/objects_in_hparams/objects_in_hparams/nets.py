"""The network, built on its own and handed to the LightningModule."""

from __future__ import annotations

from torch import nn


class DenseNet(nn.Module):
    """Two hidden layers with batch normalisation."""

    def __init__(self, inputs: int = 16, hidden: int = 32, outputs: int = 4):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(inputs, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, outputs),
        )

    def forward(self, x):
        return self.layers(x)
