"""The LightningModule of every classifier and regressor family: the plain-torch training of
lightning_modules.training.supervised under Lightning's base class, for Lightning's Trainer
(data-parallel trials) and for ``load_model``.

A family subclasses ``SupervisedModule`` and sets ``family`` (its name in the registry, which
gives its config class and its network) and ``config_class``. Under a Trainer the epoch metrics
are logged with ``log_dict``, summed over the ranks in data-parallel training; epoch-spanning
schedules span the Trainer's ``max_epochs``; a restore's settings are put in force when
training starts. The checkpoint stores the config (plain values, with the keys that were given)
and the data's shape, so ``load_model`` rebuilds the same network.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.training.supervised import SupervisedTask


class SupervisedModule(SupervisedTask, pl.LightningModule):
    config_class: type[NetworkConfig] = NetworkConfig

    def __init__(self, config: NetworkConfig | dict[str, Any], data: DataInfo | dict[str, Any]):
        super().__init__(config, data)
        self.save_hyperparameters(self.stored_hyperparameters())

    def record_metrics(self, metrics: dict[str, float]) -> None:
        self.log_dict(metrics)

    def reduce_totals(self, totals: torch.Tensor) -> torch.Tensor:
        trainer = self._trainer
        if trainer is not None and trainer.world_size > 1:
            return trainer.strategy.reduce(totals, reduce_op="sum")
        return totals

    def schedule_epochs(self) -> int:
        if self._trainer is not None and self.trainer.max_epochs:
            return self.trainer.max_epochs
        return self.planned_epochs

    def on_train_start(self) -> None:
        if self._restored is not None:
            schedulers = [entry.scheduler for entry in self.trainer.lr_scheduler_configs]
            self.apply_restored_config(self.trainer.optimizers, schedulers, int(self.current_epoch))
