"""The LightningModule: metrics logged in dictionaries, and a macro F1 over the whole validation
epoch, from predictions kept step by step."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch import nn


def macro_f1(preds: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """F1 of each class, averaged with equal weights: rare classes count as much as common ones,
    which accuracy on imbalanced data hides."""
    confusion = torch.bincount(target * num_classes + preds, minlength=num_classes**2)
    confusion = confusion.reshape(num_classes, num_classes)
    true_positives = confusion.diag().float()
    # F1 = 2 TP / (2 TP + FP + FN), and 2 TP + FP + FN = predicted + actual counts of the class.
    counts = (confusion.sum(dim=0) + confusion.sum(dim=1)).float()
    return (2 * true_positives / counts.clamp(min=1)).mean()


class LitClassifier(L.LightningModule):
    """Args:
    in_features: features per sample
    num_classes: classes
    hidden: units per hidden layer
    dropout: dropout after each hidden layer
    lr: AdamW's learning rate
    """

    def __init__(
        self,
        in_features: int = 16,
        num_classes: int = 4,
        hidden: int = 64,
        dropout: float = 0.1,
        lr: float = 1e-3,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        # Each epoch's predictions, kept until its end hook has used them.
        self.validation_step_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.test_step_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x):
        return self.net(x)

    def _shared_step(self, batch):
        x, y = batch
        logits = self(x)
        loss = nn.functional.cross_entropy(logits, y)
        preds = logits.argmax(dim=1)
        return loss, preds, y, (preds == y).float().mean()

    def training_step(self, batch, batch_idx):
        loss, _, _, acc = self._shared_step(batch)
        # Lightning logs these twice: per step (train/loss_step) and per epoch (train/loss_epoch).
        self.log_dict({"train/loss": loss, "train/acc": acc}, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, preds, target, acc = self._shared_step(batch)
        self.log_dict({"val/loss": loss, "val/acc": acc}, prog_bar=True, sync_dist=True)
        self.validation_step_outputs.append((preds, target))

    def on_validation_epoch_end(self):
        f1 = self._epoch_f1(self.validation_step_outputs)
        self.log("val.f1", f1, prog_bar=True)
        self.validation_step_outputs.clear()

    def test_step(self, batch, batch_idx):
        loss, preds, target, acc = self._shared_step(batch)
        self.log_dict({"test/loss": loss, "test/acc": acc}, sync_dist=True)
        self.test_step_outputs.append((preds, target))

    def on_test_epoch_end(self):
        self.log("test.f1", self._epoch_f1(self.test_step_outputs))
        self.test_step_outputs.clear()

    def _epoch_f1(self, outputs):
        preds = torch.cat([p for p, _ in outputs])
        target = torch.cat([t for _, t in outputs])
        # Every process calls all_gather (each holds its own shard of the epoch), so the F1 is
        # computed over all of it and comes out the same on every process.
        preds = self.all_gather(preds).reshape(-1)
        target = self.all_gather(target).reshape(-1)
        return macro_f1(preds, target, self.hparams.num_classes)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
