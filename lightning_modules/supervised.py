"""What every classifier and regressor family shares: the loss, the metrics logged each epoch,
the optimizer and schedule, the L1 penalty and gradient clipping, all from its typed config.

A family subclasses ``SupervisedModule``, sets ``family`` and ``config_class`` and implements
``build_network`` (input: a batch shaped like the data's samples; output: one row of
``output_size`` values per sample). The checkpoint stores the config (plain values, with the
keys that were given) and the data's shape, so ``load_model`` rebuilds the same network.

Restored from a checkpoint (a resumed trial, or a PBT exploit that continues from another
trial's checkpoint with mutated hyperparameters), the module keeps its own config in force: the
optimizer settings restored with the optimizer's state are replaced by the config's. Each
restore is recorded in the checkpoint's ``lineage`` (the epoch, digests of the weights and of the
optimizer state as restored, the learning rate then in force, the config), so a model's history
can be traced through exploits.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from lightning_modules.blocks.initialization import initialize
from lightning_modules.blocks.losses import compute_loss, output_size, predictions
from lightning_modules.blocks.optimizers import apply_settings, make_optimizer
from lightning_modules.blocks.regularization import l1_penalty
from lightning_modules.blocks.schedules import make_schedule
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.configs.rules import DataInfo


class SupervisedModule(pl.LightningModule):
    family: str = ""
    config_class: type[NetworkConfig] = NetworkConfig

    def __init__(self, config: NetworkConfig | dict[str, Any], data: DataInfo | dict[str, Any]):
        super().__init__()
        if isinstance(config, dict):
            config = self.config_class.from_stored(config)
        if isinstance(data, dict):
            data = DataInfo(data["kind"], tuple(data["sample_shape"]), data["num_classes"])
        config.check_data(data)
        self.config = config
        self.data_info = data
        self.save_hyperparameters({
            "config": config.to_stored(),
            "data": {"kind": data.kind, "sample_shape": list(data.sample_shape), "num_classes": data.num_classes},
        })
        self.outputs = output_size(config, data.num_classes)
        self.network: nn.Module = self.build_network()  # defined by each family
        initialize(self.network, config)
        # Epoch sums kept as tensors: logging every step through Lightning costs more than a
        # small model's step; the epoch means are logged once, at the end of the epoch.
        self._sums: dict[str, torch.Tensor] = {}
        self.lineage: list[dict[str, Any]] = []
        self._restored_config: dict[str, Any] | None = None

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)

    @property
    def classifies(self) -> bool:
        return self.data_info.num_classes is not None

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        inputs, targets = batch
        outputs = self(inputs)
        loss = compute_loss(self.config, outputs, targets, self.data_info.num_classes)
        with torch.no_grad():
            count = torch.tensor(float(len(targets)), device=loss.device)
            if self.classifies:
                score = (predictions(self.config, outputs) == targets).sum().float()
            else:
                score = (outputs.squeeze(-1) - targets.float()).abs().sum()
            totals = torch.stack([loss.detach() * count, score, count])
            self._sums[stage] = totals if stage not in self._sums else self._sums[stage] + totals
        return loss

    def _epoch_totals(self, stage: str) -> torch.Tensor | None:
        """The epoch's (loss sum, score sum, count) for ``stage``; in data-parallel training summed
        over the ranks, so every rank logs the metric of the whole split, not of its shard."""
        totals = self._sums.pop(stage, None)
        trainer = self._trainer
        if totals is not None and trainer is not None and trainer.world_size > 1:
            totals = trainer.strategy.reduce(totals, reduce_op="sum")
        return totals

    def _log_epoch(self, stage: str) -> None:
        totals = self._epoch_totals(stage)
        if totals is None:
            return
        loss_sum, score, count = totals.tolist()
        self.log(f"{stage}_loss", loss_sum / count)
        self.log(f"{stage}_{'accuracy' if self.classifies else 'mae'}", score / count)

    def training_step(self, batch, batch_index):
        loss = self._step(batch, "train")
        return loss + l1_penalty(self.network, self.config.l1) if self.config.l1 else loss

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
        checkpoint["lineage"] = list(self.lineage)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Called before the optimizer state is restored; the settings are applied on train start.
        self._restored_config = checkpoint.get("hyper_parameters", {}).get("config")
        self.lineage = list(checkpoint.get("lineage", []))

    def on_train_start(self) -> None:
        if self._restored_config is None:
            return
        from lightning_modules.checkpoint import state_digest

        previous = self.config_class.from_stored(self._restored_config)
        self._restored_config = None
        schedulers = [entry.scheduler for entry in self.trainer.lr_scheduler_configs]
        optimizers = self.trainer.optimizers
        for optimizer in optimizers:
            apply_settings(optimizer, schedulers, self.config, previous)
        self.lineage.append({
            "epoch": int(self.current_epoch),
            "weights_sha256": state_digest(self.state_dict()),
            "optimizer_sha256": state_digest(optimizers[0].state_dict()["state"]) if optimizers else None,
            "lr": float(optimizers[0].param_groups[0]["lr"]) if optimizers else None,
            "config": self.config.to_stored(),
        })

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None) -> None:
        if self.config.grad_clip != "none":
            self.clip_gradients(optimizer, gradient_clip_val=self.config.grad_clip_value,
                                gradient_clip_algorithm=self.config.grad_clip)

    def configure_optimizers(self):
        optimizer = make_optimizer(self.config, self.parameters())
        max_epochs = self.trainer.max_epochs if self._trainer is not None and self.trainer.max_epochs else 1
        schedule = make_schedule(self.config, optimizer, max_epochs)
        if schedule is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": schedule}
