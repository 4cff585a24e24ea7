"""The LightningModule: every setting arrives as a keyword argument and lives in ``self.hparams``
(``hidden`` and ``lr`` are required; the rest fall back to defaults)."""

from __future__ import annotations

from argparse import ArgumentParser

import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F


class Model(pl.LightningModule):
    def __init__(self, **kwargs):
        super().__init__()
        # Saves whatever the caller passed (argparse's whole namespace, as a rule), so a
        # checkpoint rebuilds the same network with load_from_checkpoint.
        self.save_hyperparameters()

        in_features = self.hparams.get("in_features", 10)
        layers: list[nn.Module] = []
        for index in range(self.hparams.get("depth", 2)):
            layers += [
                nn.Linear(in_features if index == 0 else self.hparams.hidden, self.hparams.hidden),
                nn.ReLU(),
                nn.Dropout(self.hparams.get("dropout", 0.0)),
            ]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(self.hparams.hidden, self.hparams.get("num_classes", 2))

    @staticmethod
    def add_model_specific_args(parent_parser: ArgumentParser) -> ArgumentParser:
        parser = parent_parser.add_argument_group("Model")
        parser.add_argument("--hidden", type=int, default=64)
        parser.add_argument("--depth", type=int, default=2)
        parser.add_argument("--dropout", type=float, default=0.1)
        parser.add_argument("--lr", type=float, default=1e-2)
        parser.add_argument("--weight_decay", type=float, default=0.0)
        return parent_parser

    def forward(self, x):
        return self.head(self.body(x))

    def _step(self, batch, stage: str):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(dim=1) == y).float().mean()
        # The training loss per step as well; everything per epoch, averaged over the processes.
        on_step = stage == "train"
        self.log(f"{stage}_loss", loss, on_step=on_step, on_epoch=True, sync_dist=True)
        self.log(f"{stage}_acc", acc, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        return torch.optim.Adam(
            self.parameters(),
            lr=self.hparams.lr,
            weight_decay=self.hparams.get("weight_decay", 0.0),
        )
