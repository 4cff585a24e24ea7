"""The LightningModule: the pretrained encoder, loaded from ``pretrained`` (a path relative to
the working directory), and a new linear head, fine-tuned together or with the encoder frozen."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from pretrained_path.data import CLASSES, FEATURES
from pretrained_path.encoder import Encoder


class FineTuner(pl.LightningModule):
    """Args:
    pretrained: the encoder's weights file (a state_dict); None trains it from scratch
    freeze_encoder: train the head only
    lr: the head's learning rate
    encoder_lr_factor: the encoder's learning rate as a fraction of the head's, so fine-tuning
        does not wash out what pretraining learned
    classes: output classes
    """

    def __init__(
        self,
        pretrained: str | None = "weights/encoder.pt",
        freeze_encoder: bool = False,
        lr: float = 1e-2,
        encoder_lr_factor: float = 0.1,
        classes: int = CLASSES,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.encoder = Encoder(features=FEATURES)
        if pretrained is not None:
            state = torch.load(pretrained, map_location="cpu", weights_only=True)
            self.encoder.load_state_dict(state)
        if freeze_encoder:
            self.encoder.requires_grad_(False)
        self.head = nn.Linear(self.encoder.out_features, classes)
        self.val_acc = MulticlassAccuracy(num_classes=classes)
        self.test_acc = MulticlassAccuracy(num_classes=classes)

    def forward(self, x):
        return self.head(self.encoder(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val_loss", nn.functional.cross_entropy(logits, y), prog_bar=True, sync_dist=True)
        self.log("val_acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.test_acc(logits, y)
        self.log("test_loss", nn.functional.cross_entropy(logits, y), sync_dist=True)
        self.log("test_acc", self.test_acc)

    def configure_optimizers(self):
        groups = [{"params": self.head.parameters(), "lr": self.hparams.lr}]
        if not self.hparams.freeze_encoder:
            encoder_lr = self.hparams.lr * self.hparams.encoder_lr_factor
            groups.append({"params": self.encoder.parameters(), "lr": encoder_lr})
        return torch.optim.Adam(groups)
