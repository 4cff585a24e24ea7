"""The MLP classifier (``family: mlp``): ``depth`` hidden layers of ``width`` units.

Built from a typed ``MLPConfig``; the checkpoint's hyperparameters are plain values (the config
as a dict, the input and output sizes), so ``lightning_modules.checkpoint.load_model`` can rebuild
the exact architecture from a checkpoint without unpickling code.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F

from lightning_modules.configs.mlp import MLPConfig

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
}


def build_network(config: MLPConfig, input_dim: int, num_classes: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width_in = input_dim
    for _ in range(config.depth):
        layers += [nn.Linear(width_in, config.width), ACTIVATIONS[config.activation]()]
        if config.dropout > 0:
            layers.append(nn.Dropout(config.dropout))
        width_in = config.width
    layers.append(nn.Linear(width_in, num_classes))
    return nn.Sequential(*layers)


class MLPClassifier(pl.LightningModule):
    family = "mlp"

    def __init__(self, config: MLPConfig | dict[str, Any], input_dim: int, num_classes: int):
        super().__init__()
        if isinstance(config, dict):
            config = MLPConfig.model_validate(config)
        self.config = config
        self.save_hyperparameters({"config": config.model_dump(), "input_dim": input_dim, "num_classes": num_classes})
        self.network = build_network(config, input_dim, num_classes)
        # Epoch sums kept as tensors: logging every step through Lightning costs more than a
        # small model's step; the epoch means are logged once, at the end of the epoch.
        self._sums: dict[str, torch.Tensor] = {}

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.network(features)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        features, labels = batch
        logits = self(features)
        loss = F.cross_entropy(logits, labels)
        with torch.no_grad():
            count = torch.tensor(float(len(labels)), device=loss.device)
            correct = (logits.argmax(dim=1) == labels).sum().float()
            totals = torch.stack([loss.detach() * count, correct, count])
            self._sums[stage] = totals if stage not in self._sums else self._sums[stage] + totals
        return loss

    def _log_epoch(self, stage: str) -> None:
        totals = self._sums.pop(stage, None)
        if totals is None:
            return
        loss_sum, correct, count = totals.tolist()
        self.log(f"{stage}_loss", loss_sum / count)
        self.log(f"{stage}_accuracy", correct / count)

    def training_step(self, batch, batch_index):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_index):
        self._step(batch, "val")

    def test_step(self, batch, batch_index):
        self._step(batch, "test")

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["family"] = self.family

    def configure_optimizers(self):
        config = self.config
        if config.optimizer == "sgd":
            return torch.optim.SGD(self.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
        return torch.optim.Adam(self.parameters(), lr=config.lr, weight_decay=config.weight_decay)
