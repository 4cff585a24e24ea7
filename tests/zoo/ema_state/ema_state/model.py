"""The LightningModule: trains its network as usual, keeps an exponential moving average of the
network's parameters after every optimizer step, and validates and tests with the average.

The average is a plain dict of tensors, not registered buffers, so it stays out of the
``state_dict``: the checkpoint carries it under keys of its own (``ema_weights`` and
``ema_updates``), written in ``on_save_checkpoint`` and read back in ``on_load_checkpoint``.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as L
import torch
from torch import nn
from torch.func import functional_call
from torchmetrics.classification import MulticlassAccuracy


class EMAClassifier(L.LightningModule):
    """Args:
    features: features per sample
    hidden: units per hidden layer
    classes: output classes
    lr: Adam's learning rate
    ema_decay: weight of the old average at every update
    ema_warmup_steps: optimizer steps during which the average just copies the weights, so that
        it does not start from the random initialisation
    """

    def __init__(
        self,
        features: int = 10,
        hidden: int = 64,
        classes: int = 3,
        lr: float = 1e-2,
        ema_decay: float = 0.9,
        ema_warmup_steps: int = 10,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(features, hidden),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, classes),
        )
        self.ema_weights: dict[str, torch.Tensor] | None = None
        self.ema_updates = 0  # optimizer steps averaged so far, warm-up included
        self.val_acc = MulticlassAccuracy(num_classes=classes)
        self.val_acc_raw = MulticlassAccuracy(num_classes=classes)
        self.test_acc = MulticlassAccuracy(num_classes=classes)

    def forward(self, x):
        return self.net(x)

    def forward_ema(self, x):
        """The network run with the averaged parameters (its own ones before any training)."""
        if self.ema_weights is None:
            return self.net(x)
        return functional_call(self.net, self.ema_weights, (x,))

    # The average -----------------------------------------------------------------------------

    def _place_ema(self) -> None:
        # Started from the current weights, or moved to the module's device after a checkpoint
        # restored it on the CPU.
        if self.ema_weights is None:
            self.ema_weights = {
                name: param.detach().clone() for name, param in self.net.named_parameters()
            }
        else:
            self.ema_weights = {name: t.to(self.device) for name, t in self.ema_weights.items()}

    @torch.no_grad()
    def _update_ema(self) -> None:
        self.ema_updates += 1
        decay = 0.0 if self.ema_updates <= self.hparams.ema_warmup_steps else self.hparams.ema_decay
        for name, param in self.net.named_parameters():
            # ema = decay * ema + (1 - decay) * param
            self.ema_weights[name].lerp_(param.detach(), 1.0 - decay)

    def on_fit_start(self):
        self._place_ema()

    def on_validation_start(self):
        self._place_ema()

    def on_test_start(self):
        self._place_ema()

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
        super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)
        # After the step, not after every batch: with gradient accumulation the two differ.
        self._update_ema()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.ema_weights is None:  # saved before any fit, validation or test
            return
        checkpoint["ema_weights"] = {
            name: t.detach().cpu().clone() for name, t in self.ema_weights.items()
        }
        checkpoint["ema_updates"] = self.ema_updates

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # A checkpoint written before the average existed has neither key.
        if "ema_weights" in checkpoint:
            self.ema_weights = {name: t.clone() for name, t in checkpoint["ema_weights"].items()}
            self.ema_updates = checkpoint["ema_updates"]

    # Steps -----------------------------------------------------------------------------------

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.forward_ema(x)
        self.val_acc(logits, y)
        self.val_acc_raw(self(x), y)
        self.log("val_loss", nn.functional.cross_entropy(logits, y), prog_bar=True, sync_dist=True)
        self.log("val_acc", self.val_acc, prog_bar=True)
        # The raw weights' accuracy, to see what the average gains.
        self.log("val_acc_raw", self.val_acc_raw)

    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self.forward_ema(x)
        self.test_acc(logits, y)
        self.log("test_loss", nn.functional.cross_entropy(logits, y), sync_dist=True)
        self.log("test_acc", self.test_acc)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
