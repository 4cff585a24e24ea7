"""The project's own callback, listed in ``configs/fit.yaml`` next to Lightning's."""

from __future__ import annotations

import math
from typing import Any, Literal

import lightning.pytorch as L
from lightning.pytorch.callbacks import Callback


class BestMetricTracker(Callback):
    """Keeps the best value a metric has reached and how many epochs have passed since, and logs
    both every epoch (``best_<monitor>`` and ``epochs_since_best``).

    The record is part of the checkpoint (``state_dict`` / ``load_state_dict``), so a resumed run
    goes on from it instead of forgetting the epochs before the interruption.

    Args:
        monitor: the logged metric to follow
        mode: whether lower (``min``) or higher (``max``) values are better
    """

    def __init__(self, monitor: str = "val_loss", mode: Literal["min", "max"] = "min"):
        super().__init__()
        self.monitor = monitor
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf
        self.epochs_seen = 0
        self.epochs_since_best = 0

    @property
    def state_key(self) -> str:
        # Two trackers of different metrics in one Trainer keep separate records.
        return self._generate_state_key(monitor=self.monitor, mode=self.mode)

    def _improved(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Validation runs before the training epoch ends, so the metric here is this epoch's;
        # the sanity check's validation, no epoch of training, never reaches this hook.
        current = trainer.callback_metrics.get(self.monitor)
        if current is None:
            return
        value = float(current)
        self.epochs_seen += 1
        if self._improved(value):
            self.best = value
            self.epochs_since_best = 0
        else:
            self.epochs_since_best += 1
        # The monitored metric is synchronised, so every process logs the same record.
        pl_module.log(f"best_{self.monitor}", self.best)
        pl_module.log("epochs_since_best", float(self.epochs_since_best))

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "epochs_seen": self.epochs_seen,
            "epochs_since_best": self.epochs_since_best,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best = state_dict["best"]
        self.epochs_seen = state_dict["epochs_seen"]
        self.epochs_since_best = state_dict["epochs_since_best"]
