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
from lightning_modules.blocks.losses import compute_loss, output_size, score_name, score_sum
from lightning_modules.blocks.optimizers import apply_settings, make_optimizer
from lightning_modules.blocks.regularization import l1_penalty
from lightning_modules.blocks.schedules import make_schedule
from lightning_modules.checkpoint import state_digest
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.configs.rules import DataInfo

# Output values of kept batches (see SupervisedModule._accumulate) that are reduced together.
PENDING_ELEMENTS = 1 << 20


class SupervisedModule(pl.LightningModule):
    family: str = ""
    config_class: type[NetworkConfig] = NetworkConfig

    def __init__(self, config: NetworkConfig | dict[str, Any], data: DataInfo | dict[str, Any]):
        super().__init__()
        if isinstance(config, dict):
            config = self.config_class.from_stored(config)
        if isinstance(data, dict):
            data = DataInfo.from_stored(data)
        config.check_data(data)
        self.config = config
        self.data_info = data
        self.save_hyperparameters({"config": config.to_stored(), "data": data.to_stored()})
        self.outputs = output_size(config, data.num_classes)
        self.network: nn.Module = self.build_network()  # defined by each family
        initialize(self.network, config)
        # Epoch sums kept as tensors: logging every step through Lightning costs more than a
        # small model's step; the epoch means are logged once, at the end of the epoch.
        self._sums: dict[str, torch.Tensor] = {}  # per stage: (loss sum, score sum, count)
        self._pending: dict[str, list] = {}  # per stage: batches not yet added to the sums
        self._pending_size = 0
        self.lineage: list[dict[str, Any]] = []
        self._restored_config: dict[str, Any] | None = None
        self.planned_epochs = 1

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        inputs, targets = batch
        outputs = self(inputs)
        loss = compute_loss(self.config, outputs, targets, self.data_info.num_classes)
        self._accumulate(stage, loss, outputs, targets)
        return loss

    def _score(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return score_sum(self.config, self.data_info.num_classes, outputs, targets)

    def _accumulate(
        self, stage: str, loss: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor
    ) -> None:
        """Keep a batch for the epoch's metrics. Batches are only kept (detached) and reduced
        together every ``PENDING_ELEMENTS`` output values and at the epoch's end: for a small
        model each tensor operation per step costs about as much as a layer."""
        pending = self._pending.setdefault(stage, [])
        pending.append((loss.detach(), outputs.detach(), targets))
        self._pending_size += outputs.numel()
        if self._pending_size >= PENDING_ELEMENTS:
            self._reduce_pending()

    def _reduce_pending(self) -> None:
        with torch.no_grad():
            for stage, batches in self._pending.items():
                counts = [len(targets) for _, _, targets in batches]
                losses = torch.stack([loss for loss, _, _ in batches])
                loss_sum = (losses * losses.new_tensor(counts)).sum()
                score = self._score(
                    torch.cat([outputs for _, outputs, _ in batches]),
                    torch.cat([targets for _, _, targets in batches]),
                ).float()
                totals = torch.stack([loss_sum, score, loss_sum.new_tensor(float(sum(counts)))])
                self._sums[stage] = (
                    totals if stage not in self._sums else self._sums[stage] + totals
                )
        self._pending.clear()
        self._pending_size = 0

    def _epoch_totals(self, stage: str) -> torch.Tensor | None:
        """The epoch's (loss sum, score sum, count) for ``stage``; in data-parallel training summed
        over the ranks, so every rank logs the metric of the whole split, not of its shard."""
        if stage in self._pending:
            self._reduce_pending()
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
        self.log_dict(
            {
                f"{stage}_loss": loss_sum / count,
                f"{stage}_{score_name(self.data_info.num_classes)}": score / count,
            }
        )

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
        if self._restored_config is not None:
            schedulers = [entry.scheduler for entry in self.trainer.lr_scheduler_configs]
            self.apply_restored_config(self.trainer.optimizers, schedulers, int(self.current_epoch))

    def apply_restored_config(self, optimizers: list, schedulers: list, epoch: int) -> None:
        """After a restore (by whichever loop trains the module): put this module's optimizer
        settings in force over the restored ones and record the restore in the lineage."""
        if self._restored_config is None:
            return

        previous = self.config_class.from_stored(self._restored_config)
        self._restored_config = None
        for optimizer in optimizers:
            apply_settings(optimizer, schedulers, self.config, previous)
        self.lineage.append(
            {
                "epoch": epoch,
                "weights_sha256": state_digest(self.state_dict()),
                "optimizer_sha256": state_digest(optimizers[0].state_dict()["state"])
                if optimizers
                else None,
                "lr": float(optimizers[0].param_groups[0]["lr"]) if optimizers else None,
                "config": self.config.to_stored(),
            }
        )

    def configure_gradient_clipping(
        self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None
    ) -> None:
        # Clipped here rather than through Lightning's or Fabric's helpers, so that every loop clips
        # the same way, and a non-finite gradient norm does not raise: the trial is reported as
        # diverged from its loss instead.
        if self.config.grad_clip == "norm":
            nn.utils.clip_grad_norm_(self.parameters(), self.config.grad_clip_value)
        elif self.config.grad_clip == "value":
            nn.utils.clip_grad_value_(self.parameters(), self.config.grad_clip_value)

    def configure_optimizers(self):
        optimizer = make_optimizer(self.config, self.parameters())
        # Epoch-based schedules (cosine) span the trial's planned epochs: a Trainer's max_epochs,
        # or what a lean loop set in ``planned_epochs``.
        max_epochs = (
            self.trainer.max_epochs
            if self._trainer is not None and self.trainer.max_epochs
            else self.planned_epochs
        )
        schedule = make_schedule(self.config, optimizer, max_epochs)
        if schedule is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": schedule}
