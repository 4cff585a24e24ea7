"""What every classifier and regressor family shares, in plain torch: the loss, the metrics of
each epoch, the optimizer and schedule, the L1 penalty and gradient clipping, all from its typed
config.

``SupervisedTask`` is an ``nn.Module`` holding the family's network (built by the family's
``build`` in lightning_modules.networks) as ``network``, with Lightning's hook names
(``training_step``, ``on_train_epoch_end``, ``configure_optimizers``, ...), so a plain loop and
Lightning's Trainer drive it alike. What it logs at the end of an epoch goes to
``record_metrics``, which keeps it in ``logged_metrics`` here and which the LightningModule
(lightning_modules.models.supervised) turns into ``self.log_dict``.

Restored from a checkpoint of another trial (a PBT exploit that continues from it with mutated
hyperparameters), the module keeps its own config in force and records the restore, by the rule
users' modules follow too (lightning_modules.restore_settings).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lightning_modules.blocks.initialization import initialize
from lightning_modules.blocks.losses import compute_loss, output_size, score_name, score_sum
from lightning_modules.blocks.optimizers import make_optimizer
from lightning_modules.blocks.regularization import l1_penalty
from lightning_modules.blocks.schedules import make_schedule
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.registry import MODEL_FAMILIES
from lightning_modules.restore_settings import (
    INITIAL_FIELD,
    LINEAGE_FIELD,
    Settings,
    initial_settings,
    lineage_entry,
    put_back,
    restored_lineage,
)

# Output values of kept batches (see SupervisedTask._accumulate) that are reduced together.
PENDING_ELEMENTS = 1 << 20


class SupervisedTask(nn.Module):
    family: str = ""  # the registry's name; a LightningModule subclass sets it for its family

    def __init__(
        self,
        config: NetworkConfig | dict[str, Any],
        data: DataInfo | dict[str, Any],
        family: str | None = None,
    ):
        super().__init__()
        if family is not None:
            self.family = family
        if isinstance(config, dict):
            config = MODEL_FAMILIES[self.family].config.from_stored(config)
        if isinstance(data, dict):
            data = DataInfo.from_stored(data)
        config.check_data(data)
        self.config: NetworkConfig = config
        self.data_info = data
        self.outputs = output_size(config, data.num_classes)
        self.network: nn.Module = self.build_network()
        initialize(self.network, config)
        # Epoch sums kept as tensors: logging every step costs more than a small model's step;
        # the epoch means are logged once, at the end of the epoch.
        self._sums: dict[str, torch.Tensor] = {}  # per stage: (loss sum, score sum, count)
        self._pending: dict[str, list] = {}  # per stage: batches not yet added to the sums
        self._pending_size = 0
        self.logged_metrics: dict[str, float] = {}
        self.lineage: list[dict[str, Any]] = []
        self._restored: dict[str, Any] | None = None  # the checkpoint last loaded
        self.planned_epochs = 1  # what epoch-spanning schedules (cosine) are fitted to

    def build_network(self) -> nn.Module:
        """The family's network (input: a batch shaped like the data's samples; output: one row
        of ``outputs`` values per sample)."""
        build = MODEL_FAMILIES[self.family].network_builder()
        return build(self.config, self.data_info, self.outputs)

    def stored_hyperparameters(self) -> dict[str, Any]:
        """What a checkpoint stores to rebuild this module (plain values)."""
        return {"config": self.config.to_stored(), "data": self.data_info.to_stored()}

    def record_metrics(self, metrics: dict[str, float]) -> None:
        """Where the epoch's metrics go (the LightningModule logs them with ``log_dict``)."""
        self.logged_metrics.update(metrics)

    def reduce_totals(self, totals: torch.Tensor) -> torch.Tensor:
        """An epoch's (loss sum, score sum, count) over every process training this model (one,
        outside data-parallel training)."""
        return totals

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        # What ``latency_inputs`` gives for a batch: its inputs (a denoiser's, the noise steps too).
        return self.network(*inputs)

    def latency_inputs(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """What ``forward`` takes for a batch: the inputs, without the targets (a prediction's
        latency is timed on it)."""
        return (batch[0],)

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
        """The epoch's (loss sum, score sum, count) for ``stage``, over the whole split (every
        process's shard, in data-parallel training)."""
        if stage in self._pending:
            self._reduce_pending()
        totals = self._sums.pop(stage, None)
        return None if totals is None else self.reduce_totals(totals)

    def _log_epoch(self, stage: str) -> None:
        totals = self._epoch_totals(stage)
        if totals is None:
            return
        loss_sum, score, count = totals.tolist()
        self.record_metrics(
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

    def on_train_epoch_start(self) -> None:
        pass

    def on_validation_epoch_start(self) -> None:
        pass

    def on_test_epoch_start(self) -> None:
        pass

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["family"] = self.family
        checkpoint[LINEAGE_FIELD] = list(self.lineage)
        checkpoint[INITIAL_FIELD] = self._initial_settings()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Called before the optimizer state is restored; the settings are applied on train start.
        self._restored = checkpoint
        self.lineage = restored_lineage(checkpoint)

    def apply_restored_config(self, optimizers: list, schedulers: list, epoch: int) -> None:
        """After a restore (by whichever loop trains the module): put this module's optimizer
        settings in force over the restored ones and record the restore in the lineage."""
        restored, self._restored = self._restored, None
        stored = (restored or {}).get("hyper_parameters", {}).get("config")
        if stored is None:
            return
        previous = type(self.config).from_stored(stored)
        if previous == self.config:
            return  # a resumed or retried trial: its own settings were restored
        # A checkpoint written before the settings were recorded: those its config makes.
        donor = restored.get(INITIAL_FIELD) or initial_settings(  # type: ignore[union-attr]
            [make_optimizer(previous, self.parameters())]
        )
        put_back(optimizers, schedulers, self._initial_settings(), donor)
        self.lineage.append(
            lineage_entry(epoch, self, optimizers, {"config": self.config.to_stored()})
        )

    def _initial_settings(self) -> Settings:
        """The settings this module's config makes its optimizer with."""
        return initial_settings([make_optimizer(self.config, self.parameters())])

    def configure_gradient_clipping(
        self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None
    ) -> None:
        # Clipped here rather than through Lightning's helpers, so that every loop clips the
        # same way, and a non-finite gradient norm does not raise: the trial is reported as
        # diverged from its loss instead.
        if self.config.grad_clip == "norm":
            nn.utils.clip_grad_norm_(self.parameters(), self.config.grad_clip_value)
        elif self.config.grad_clip == "value":
            nn.utils.clip_grad_value_(self.parameters(), self.config.grad_clip_value)

    def schedule_epochs(self) -> int:
        """The epochs that epoch-spanning schedules (cosine) span: what the loop planned."""
        return self.planned_epochs

    def configure_optimizers(self):
        optimizer = make_optimizer(self.config, self.parameters())
        schedule = make_schedule(self.config, optimizer, self.schedule_epochs())
        if schedule is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": schedule}
