"""Learning-rate schedules by name, stepped once per epoch: none, step (``step_size``,
``gamma``), cosine (to zero at the last epoch), warmup_cosine (linear warm-up over
``warmup_epochs``, then cosine), plateau (``plateau_factor`` after ``plateau_patience`` epochs
without a better validation loss)."""

from __future__ import annotations

import math
from typing import Any

import torch

from lightning_modules.configs.training import TrainingConfig


def warmup_cosine_factor(epoch: int, warmup_epochs: int, max_epochs: int) -> float:
    """The multiplier of the base learning rate during epoch ``epoch`` (0-based)."""
    if epoch < warmup_epochs:
        return (epoch + 1) / (warmup_epochs + 1)
    span = max(1, max_epochs - warmup_epochs)
    progress = min(1.0, (epoch - warmup_epochs) / span)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_schedule(
    config: TrainingConfig, optimizer: torch.optim.Optimizer, max_epochs: int
) -> dict[str, Any] | None:
    """A Lightning ``lr_scheduler`` entry, or None for a constant learning rate."""
    name = config.schedule
    scheduler: torch.optim.lr_scheduler.LRScheduler
    if name == "none":
        return None
    if name == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=config.step_size, gamma=config.gamma
        )
    elif name == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, max_epochs))
    elif name == "warmup_cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda epoch: warmup_cosine_factor(epoch, config.warmup_epochs, max_epochs)
        )
    elif name == "plateau":
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=config.plateau_factor, patience=config.plateau_patience
        )
        return {"scheduler": scheduler, "interval": "epoch", "monitor": "val_loss"}
    else:
        raise ValueError(f"unknown schedule {name!r}")
    return {"scheduler": scheduler, "interval": "epoch"}
