"""The Ray Tune trainable: one trial = one Lightning ``Trainer.fit`` of one configuration.

Every epoch the trial reports its metrics (and, every ``checkpoint.every`` epochs and at the last
epoch, a checkpoint) to Tune; given a checkpoint by Tune (a retry after a failure, or a resumed
sweep) it continues from that epoch. A trial whose loss turns NaN or infinite reports
``diverged: True`` and stops. Ray imports this module in its worker processes; torch and
Lightning are imported in the worker, never by the driver.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Checkpoint as LightningCheckpointCallback
from pytorch_lightning.callbacks import EarlyStopping

from lightning_modules.checkpoint import CHECKPOINT_FILE
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps.trial_config import TrialPlan, trial_arguments

DIVERGED = "diverged"
EPOCH = "epoch"


class TuneReporter(LightningCheckpointCallback):
    """Reports each epoch to Tune, with a checkpoint when one is due.

    A Lightning ``Checkpoint`` subclass on purpose: Lightning calls checkpoint callbacks'
    ``on_train_epoch_end`` after the LightningModule's own, so the epoch's training metrics
    (logged by the module in that hook) are already there, as are the validation metrics.
    """

    def __init__(self, plan: TrialPlan, node_id: str, data_config: dict[str, Any]):
        self.plan = plan
        self.node_id = node_id
        self.data_config = data_config

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]) -> None:
        # With the data set's arguments (seed included) a checkpoint can rebuild its test split.
        checkpoint["dataset"] = {"name": self.plan.dataset, "config": self.data_config}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        from ray import tune

        epoch = trainer.current_epoch + 1
        metrics: dict[str, Any] = {name: float(value) for name, value in trainer.callback_metrics.items()}
        if self.plan.metric not in metrics:
            raise RuntimeError(
                f"metric {self.plan.metric!r} was not logged by the {self.plan.family} model this epoch; "
                f"it logged: {', '.join(sorted(metrics)) or 'nothing'}"
            )
        diverged = any(name.endswith("_loss") and not math.isfinite(value) for name, value in metrics.items())
        metrics.update({EPOCH: epoch, DIVERGED: diverged, "node_id": self.node_id})
        if diverged:
            # Never let a diverged trial look good to the scheduler or become the best trial.
            metrics[self.plan.metric] = float("nan")
            trainer.should_stop = True
            tune.report(metrics)
            return
        due = epoch % self.plan.checkpoint_every == 0 or epoch >= self.plan.max_epochs
        if not due:
            tune.report(metrics)
            return
        folder = Path(tempfile.mkdtemp(prefix="sweep-checkpoint-"))
        try:
            trainer.save_checkpoint(folder / CHECKPOINT_FILE)
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _quiet_lightning() -> None:
    """Lightning's per-Trainer banners and tips would be printed once per trial."""
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="pytorch_lightning")
    warnings.filterwarnings("ignore", module="lightning_fabric")


def train_trial(config: dict[str, Any], plan: TrialPlan) -> None:
    """Run one trial (Tune's function-trainable entry point)."""
    import ray
    from ray import tune

    _quiet_lightning()
    torch.set_num_threads(max(1, int(plan.cpus)))
    torch.manual_seed(plan.seed)
    model_config, data_config = trial_arguments(plan, config)

    family = MODEL_FAMILIES[plan.family]
    datamodule = DATASETS[plan.dataset].datamodule_class()(
        data_config, batch_size=model_config.batch_size, seed=plan.seed
    )
    model = family.module_class()(model_config, datamodule.info)
    node_id = ray.get_runtime_context().get_node_id()
    callbacks: list[pl.Callback] = [TuneReporter(plan, node_id, data_config.to_stored())]
    if model_config.early_stopping_patience:
        callbacks.append(EarlyStopping(monitor=plan.metric, mode=plan.mode, patience=model_config.early_stopping_patience))
    use_gpu = plan.gpus > 0 and torch.cuda.is_available()
    trainer = pl.Trainer(
        max_epochs=plan.max_epochs,
        accelerator="gpu" if use_gpu else "cpu",
        devices=1,
        logger=False,  # the driver writes TensorBoard data for the whole sweep
        enable_checkpointing=True,  # TuneReporter is the only checkpoint callback
        callbacks=callbacks,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1_000_000,
    )

    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        trainer.fit(model, datamodule=datamodule)
        return
    restored = Path(tempfile.mkdtemp(prefix="sweep-restore-"))
    try:
        checkpoint.to_directory(restored)
        trainer.fit(model, datamodule=datamodule, ckpt_path=restored / CHECKPOINT_FILE, weights_only=True)
    finally:
        shutil.rmtree(restored, ignore_errors=True)
