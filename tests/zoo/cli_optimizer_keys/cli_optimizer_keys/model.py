"""The LightningModule: a small regression network. It defines no ``configure_optimizers``;
LightningCLI builds the optimizer and scheduler from the config and attaches them."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch import nn


class LitRegressor(L.LightningModule):
    """An MLP predicting one real number per sample.

    Args:
        in_features: features per sample
        hidden: units per hidden layer
        layers: hidden layers
        dropout: dropout after every hidden layer
    """

    def __init__(
        self, in_features: int = 8, hidden: int = 64, layers: int = 2, dropout: float = 0.0
    ):
        super().__init__()
        self.save_hyperparameters()
        blocks: list[nn.Module] = []
        width = in_features
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.SiLU(), nn.Dropout(dropout)]
            width = hidden
        blocks.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def _errors(self, batch):
        x, y = batch
        prediction = self(x)
        return nn.functional.mse_loss(prediction, y), nn.functional.l1_loss(prediction, y)

    def training_step(self, batch, batch_idx):
        loss, _ = self._errors(batch)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, mae = self._errors(batch)
        # Averaged over the epoch and over every process under DDP.
        self.log("val_loss", loss, prog_bar=True, sync_dist=True)
        self.log("val_mae", mae, sync_dist=True)

    def test_step(self, batch, batch_idx):
        loss, mae = self._errors(batch)
        self.log("test_loss", loss, sync_dist=True)
        self.log("test_mae", mae, sync_dist=True)
