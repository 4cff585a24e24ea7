"""What a LightningModule logs with ``self.log`` when a lean loop drives it through Lightning
Fabric instead of a Trainer (the sweep's training loop)."""

from __future__ import annotations

from typing import Any

from lightning_fabric.loggers import Logger


class LoggedMetrics(Logger):
    """Collects what the module logs with ``self.log`` during an epoch (Fabric hands it here)."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: dict[str, float] = {}

    @property
    def name(self) -> str:
        return "epoch"

    @property
    def version(self) -> int:
        return 0

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.metrics.update({name: float(value) for name, value in metrics.items()})

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass  # the driver writes each trial's hyperparameters to TensorBoard
