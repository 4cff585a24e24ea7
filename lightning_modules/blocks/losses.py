"""Losses by name and what they make of a network's outputs: cross_entropy (with label
smoothing), bce (two classes, one logit), mse (one-hot targets for classes; the value itself
for regression)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from lightning_modules.configs.training import TrainingConfig


def output_size(config: TrainingConfig, num_classes: int | None) -> int:
    if num_classes is None or config.loss == "bce":
        return 1
    return num_classes


def compute_loss(
    config: TrainingConfig, outputs: torch.Tensor, targets: torch.Tensor, num_classes: int | None
) -> torch.Tensor:
    if num_classes is None:
        return F.mse_loss(outputs.squeeze(-1), targets.float())
    if config.loss == "cross_entropy":
        return F.cross_entropy(outputs, targets, label_smoothing=config.label_smoothing)
    if config.loss == "bce":
        return F.binary_cross_entropy_with_logits(outputs.squeeze(-1), targets.float())
    if config.loss == "mse":
        return F.mse_loss(outputs, F.one_hot(targets, num_classes).float())
    raise ValueError(f"unknown loss {config.loss!r}")


def predictions(config: TrainingConfig, outputs: torch.Tensor) -> torch.Tensor:
    """Predicted classes from the outputs of a classifier."""
    if config.loss == "bce":
        return (outputs.squeeze(-1) > 0).long()
    return outputs.argmax(dim=-1)


def score_name(num_classes: int | None) -> str:
    """What a model's score is called in its metrics (``val_accuracy``, ``test_mae``, ...)."""
    return "mae" if num_classes is None else "accuracy"


def score_sum(
    config: TrainingConfig, num_classes: int | None, outputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """The summed score of a batch: correct predictions, or absolute errors for regression."""
    if num_classes is not None:
        return (predictions(config, outputs) == targets).sum()
    return (outputs.squeeze(-1) - targets.float()).abs().sum()
