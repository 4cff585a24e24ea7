"""A small digit classifier: an MLP over the 64 pixels of scikit-learn's 8x8 digits."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch import nn


class Classifier(L.LightningModule):
    """An MLP classifier.

    Args:
        hidden: units in each hidden layer
        layers: number of hidden layers
        dropout: dropout after each hidden layer
        lr: AdamW's learning rate
        weight_decay: AdamW's weight decay
        warmup_steps: linear learning-rate warm-up, in optimizer steps
    """

    def __init__(
        self,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.1,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        warmup_steps: int = 0,
        features: int = 64,
        classes: int = 10,
    ):
        super().__init__()
        self.save_hyperparameters()
        blocks: list[nn.Module] = []
        width = features
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        self.net = nn.Sequential(*blocks, nn.Linear(width, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = nn.functional.cross_entropy(logits, y)
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True)
        self.log(
            f"{stage}/acc", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True
        )
        return loss

    def training_step(self, batch, batch_index):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_index):
        self._step(batch, "val")

    def test_step(self, batch, batch_index):
        self._step(batch, "test")

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        if not self.hparams.warmup_steps:
            return optimizer
        warmup = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min(1.0, (step + 1) / self.hparams.warmup_steps)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}
