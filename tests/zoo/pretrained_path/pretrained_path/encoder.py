"""The encoder: pretrained by ``pretrain.py``, fine-tuned by the LightningModule. Its shape is
fixed, since the weights file was saved from exactly this network."""

from __future__ import annotations

from torch import nn


class Encoder(nn.Module):
    def __init__(self, features: int = 16, hidden: int = 32, out_features: int = 8):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out_features),
        )
        self.out_features = out_features

    def forward(self, x):
        return self.layers(x)
