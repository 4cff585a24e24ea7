"""The LightningModule: its optimizer, scheduler and backbone are injected."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn


class LitClassifier(L.LightningModule):
    """A classifier head on an injected backbone.

    Args:
        backbone: the feature extractor
        optimizer: called with the module's parameters
        scheduler: called with the optimizer
        classes: output classes
    """

    def __init__(
        self,
        backbone: nn.Module,
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable = torch.optim.lr_scheduler.ConstantLR,
        classes: int = 3,
    ):
        super().__init__()
        # The injected objects are rebuilt from the config, not stored.
        self.save_hyperparameters(ignore=["backbone", "optimizer", "scheduler"])
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_features, classes)
        self.optimizer = optimizer
        self.scheduler = scheduler

    def forward(self, x):
        return self.head(self.backbone(x))

    def _shared_step(self, batch):
        x, y = batch
        logits = self(x)
        return nn.functional.cross_entropy(logits, y), (logits.argmax(-1) == y).float().mean()

    def training_step(self, batch, batch_idx):
        loss, acc = self._shared_step(batch)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, acc = self._shared_step(batch)
        self.log_dict({"val_loss": loss, "val_acc": acc}, prog_bar=True)

    def test_step(self, batch, batch_idx):
        loss, acc = self._shared_step(batch)
        self.log_dict({"test_loss": loss, "test_acc": acc})

    def configure_optimizers(self):
        optimizer = self.optimizer(self.parameters())
        scheduler = self.scheduler(optimizer)
        return {"optimizer": optimizer, "lr_scheduler": scheduler}
