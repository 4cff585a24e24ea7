"""The LightningModule: a small regression network with a decaying learning rate, which the
config's LearningRateMonitor reports."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch import nn
from torchmetrics import MeanAbsoluteError


class WaveRegressor(L.LightningModule):
    """An MLP predicting one value per sample.

    Args:
        features: inputs per sample
        hidden: units per hidden layer
        lr: AdamW's learning rate
        weight_decay: AdamW's weight decay
        lr_gamma: the learning rate's factor after every epoch
    """

    def __init__(
        self,
        features: int = 8,
        hidden: int = 32,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        lr_gamma: float = 0.8,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(features, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, 1),
        )
        self.val_mae = MeanAbsoluteError()
        self.test_mae = MeanAbsoluteError()

    def forward(self, x):
        return self.net(x).squeeze(-1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        preds = self(x)
        self.val_mae(preds, y)
        # Synchronised so that EarlyStopping, ModelCheckpoint and the tracker see one value on
        # every process.
        self.log("val_loss", nn.functional.mse_loss(preds, y), prog_bar=True, sync_dist=True)
        self.log("val_mae", self.val_mae)

    def test_step(self, batch, batch_idx):
        x, y = batch
        preds = self(x)
        self.test_mae(preds, y)
        self.log("test_loss", nn.functional.mse_loss(preds, y), sync_dist=True)
        self.log("test_mae", self.test_mae)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.hparams.lr_gamma)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"},
        }
