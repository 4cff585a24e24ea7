"""The LightningModule: a two-block CNN. It holds nothing about precision, accumulation or
clipping; the Trainer applies all three (``precision="bf16-mixed"``,
``accumulate_grad_batches``, ``gradient_clip_val``)."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from lightning.pytorch.utilities import grad_norm
from torch import nn
from torchmetrics.classification import MulticlassAccuracy


class ShapesCNN(L.LightningModule):
    """Args:
    channels: filters of the first convolution (the second has twice as many)
    dropout: dropout before the classifier
    lr: AdamW's learning rate
    weight_decay: AdamW's weight decay
    classes: output classes
    size: input height and width
    """

    def __init__(
        self,
        channels: int = 8,
        dropout: float = 0.1,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        classes: int = 4,
        size: int = 12,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(2 * channels * (size // 4) ** 2, classes),
        )
        self.val_acc = MulticlassAccuracy(num_classes=classes)
        self.test_acc = MulticlassAccuracy(num_classes=classes)

    def forward(self, x):
        return self.classifier(self.features(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        # Under autocast the logits come out in bfloat16; cross_entropy runs in float32.
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def on_before_optimizer_step(self, optimizer):
        # Once per optimizer step, after the accumulated backward passes and before clipping:
        # the norm the clipping threshold is compared with.
        norms = grad_norm(self, norm_type=2)
        self.log(
            "grad_norm", norms["grad_2.0_norm_total"], on_step=False, on_epoch=True, sync_dist=True
        )

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits.argmax(dim=1), y)
        self.log("val_loss", nn.functional.cross_entropy(logits, y), prog_bar=True, sync_dist=True)
        self.log("val_acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.test_acc(logits.argmax(dim=1), y)
        self.log("test_loss", nn.functional.cross_entropy(logits, y), sync_dist=True)
        self.log("test_acc", self.test_acc)

    def configure_optimizers(self):
        return torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
