"""A lean training loop for one fold of a single-process trial, an epoch per call, in plain torch.

Lightning's Trainer spends about as long on its own bookkeeping (hooks, result collections,
closures) as a small model spends on a training step, which doubles a short trial's time, and
importing Lightning costs a trial process seconds more than importing torch. The shipped
families are therefore trained here without Lightning: each family's training is a plain-torch
module (lightning_modules.training: ``training_step``, ``validation_step``, the epoch hooks,
``configure_optimizers`` and ``configure_gradient_clipping``, its epoch metrics in
``logged_metrics``) and its data a plain-torch ``ArrayData``; the family's LightningModule is
the same module under Lightning's base. Each ``next_epoch`` call trains one epoch, validates,
steps the epoch-based learning-rate schedules and returns the epoch's logged metrics; nothing
runs between calls, so no thread is needed.

Checkpoints are Lightning checkpoints (``state_dict``, ``optimizer_states``, ``lr_schedulers``,
``hyper_parameters``, ``epoch`` as Lightning counts it, the module's ``on_save_checkpoint``
additions), so ``load_model``, evaluation and PBT exploits read them as they read the Trainer's.
They are saved after the epoch's schedule step and also hold the training batches' shuffle state,
so a resumed trial continues exactly where it stopped. Data-parallel trials and users' own
modules train under Lightning's Trainer instead (sweeps/trial/trainer_loop.py).

A k-fold trial trains one model per fold in lockstep (``LockstepFolds``): each epoch every fold
trains one, and the trial decides on the mean of their metrics (sweeps.trial.session), so
schedulers such as ASHA compare k-fold trials epoch by epoch. Only one fold trains at a time, so
folds never compete for cores and the random state is drawn in the same order every run.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from lightning_modules.checkpoint import fold_checkpoint_name, read_checkpoint
from lightning_modules.data.array_data import ArrayData
from lightning_modules.training.supervised import SupervisedTask
from sweeps.trial.session import EpochResult, TrialSession

BATCHES_GENERATOR = (
    "train_batches_generator"  # checkpoint key: the shuffle state of the training batches
)


@functools.cache
def _lightning_version() -> str:
    """The installed Lightning's version, which Lightning checkpoints carry (read from the
    package's metadata: importing Lightning would cost the process seconds)."""
    return importlib.metadata.version("pytorch-lightning")


def _optimization(configured: Any) -> tuple[torch.optim.Optimizer, list[dict[str, Any]]]:
    """The optimizer and its schedule entries from ``configure_optimizers``' answer (an
    optimizer, or ``{"optimizer": ..., "lr_scheduler": {"scheduler": ..., "interval": "epoch", ...}}``)."""
    if isinstance(configured, torch.optim.Optimizer):
        return configured, []
    if isinstance(configured, dict) and isinstance(
        configured.get("optimizer"), torch.optim.Optimizer
    ):
        entry = configured.get("lr_scheduler")
        if entry is None:
            return configured["optimizer"], []
        if not isinstance(entry, dict):
            entry = {"scheduler": entry}
        if entry.get("interval", "epoch") != "epoch":
            raise ValueError(
                f"only epoch-based learning-rate schedules are supported, not {entry['interval']!r}"
            )
        return configured["optimizer"], [entry]
    raise TypeError(
        f"configure_optimizers returned {type(configured).__name__}; expected an optimizer or a dict"
    )


def _on_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_on_device(item, device) for item in batch)
    return batch


class EpochLoop:
    """One fold's model, optimizer and data, trained an epoch per ``next_epoch`` call."""

    def __init__(
        self,
        fold: int,
        model: SupervisedTask,
        data: ArrayData,
        max_epochs: int,
        dataset: dict[str, Any],
        use_gpu: bool = False,
        resume_from: Path | None = None,
    ):
        self.fold = fold
        self.model = model
        self.max_epochs = max_epochs
        self.dataset = dataset
        self.epoch = 0  # epochs completed
        self.global_step = 0
        self.device = torch.device("cuda") if use_gpu else None
        if self.device is not None:
            model.to(self.device)
        model.planned_epochs = max_epochs  # what epoch-spanning schedules (cosine) are fitted to
        self.optimizer, self.schedules = _optimization(model.configure_optimizers())
        data.setup("fit")
        self.train_batches = data.train_batches()
        self.val_batches = data.val_batches()
        if resume_from is not None:
            self._restore(resume_from)

    def _batch(self, batch: Any) -> Any:
        return batch if self.device is None else _on_device(batch, self.device)

    def next_epoch(self) -> EpochResult | None:
        """Train one more epoch and validate; None once ``max_epochs`` epochs have been trained."""
        if self.epoch >= self.max_epochs:
            return None
        model, optimizer = self.model, self.optimizer
        model.logged_metrics = {}
        model.train()
        model.on_train_epoch_start()
        for index, batch in enumerate(self.train_batches):
            loss = model.training_step(self._batch(batch), index)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            model.configure_gradient_clipping(optimizer)
            optimizer.step()
            self.global_step += 1
        model.eval()
        with torch.no_grad():
            model.on_validation_epoch_start()
            for index, batch in enumerate(self.val_batches):
                model.validation_step(self._batch(batch), index)
            model.on_validation_epoch_end()
        model.on_train_epoch_end()  # the module logs the epoch's training metrics here
        metrics = dict(model.logged_metrics)
        self._step_schedules(metrics)
        self.epoch += 1
        return EpochResult(self.epoch, metrics)

    def _step_schedules(self, metrics: dict[str, float]) -> None:
        for entry in self.schedules:
            monitor = entry.get("monitor")
            if monitor is None:
                entry["scheduler"].step()
            elif monitor in metrics:
                entry["scheduler"].step(metrics[monitor])
            else:
                raise RuntimeError(
                    f"the learning-rate schedule monitors {monitor!r}, which the model did not log"
                )

    def checkpoint(self) -> dict[str, Any]:
        """The Lightning checkpoint of the model as it is now (between epochs)."""
        checkpoint: dict[str, Any] = {
            "epoch": self.epoch - 1,  # Lightning's count: the epoch that just ended, from 0
            "global_step": self.global_step,
            "pytorch-lightning_version": _lightning_version(),
            "state_dict": self.model.state_dict(),
            "optimizer_states": [self.optimizer.state_dict()],
            "lr_schedulers": [entry["scheduler"].state_dict() for entry in self.schedules],
            "hparams_name": "kwargs",
            "hyper_parameters": self.model.stored_hyperparameters(),
            BATCHES_GENERATOR: self.train_batches.generator.get_state(),
            "dataset": {
                **self.dataset,
                "fold": self.fold,
            },  # with it, a checkpoint rebuilds its splits
            "world_size": 1,
        }
        self.model.on_save_checkpoint(checkpoint)
        return checkpoint

    def save(self, path: Path) -> None:
        """Save the model, optimizer, schedule and shuffle state as they are after this epoch.
        Written beside the target and renamed into place, so a crash never leaves half a file."""
        partial = path.with_name(f".{path.name}.partial")
        torch.save(self.checkpoint(), partial)
        os.replace(partial, path)

    def _restore(self, path: Path) -> None:

        checkpoint = read_checkpoint(path)  # tensors and plain values only: no code runs
        self.model.on_load_checkpoint(checkpoint)
        self.model.load_state_dict(checkpoint["state_dict"])
        self.optimizer.load_state_dict(checkpoint["optimizer_states"][0])
        for entry, state in zip(self.schedules, checkpoint.get("lr_schedulers", []), strict=False):
            entry["scheduler"].load_state_dict(state)
        if BATCHES_GENERATOR in checkpoint:
            self.train_batches.generator.set_state(checkpoint[BATCHES_GENERATOR])
        self.epoch = int(checkpoint["epoch"]) + 1
        self.global_step = int(checkpoint.get("global_step", 0))
        self.model.apply_restored_config(
            [self.optimizer], [entry["scheduler"] for entry in self.schedules], self.epoch
        )


class LockstepFolds:
    """A trial's folds (one ``EpochLoop`` each; one for a hold-out split), an epoch of each per
    ``next_epoch``."""

    def __init__(self, folds: list[EpochLoop]):
        self.folds = folds

    def next_epoch(self) -> list[EpochResult] | None:
        """Each fold's next epoch; None when training has ended (its last epoch was reached)."""
        results = [fold.next_epoch() for fold in self.folds]
        epochs = [result for result in results if result is not None]
        return None if len(epochs) < len(results) else epochs

    def save(self, folder: Path) -> None:
        """Every fold's checkpoint into ``folder`` (``model.ckpt``, or ``fold-N.ckpt`` per fold)."""

        for fold in self.folds:
            fold.save(folder / fold_checkpoint_name(fold.fold, len(self.folds)))


def train(session: TrialSession, folds: LockstepFolds) -> None:
    """Train the folds until the session ends the trial (the lean side of the trial protocol)."""
    first = folds.folds[0]
    session.measures.watch(first.model, first.model.latency_inputs)
    session.measures.keep_sample(next(iter(first.val_batches), None))
    while not session.ended:
        session.before_epoch()
        results = folds.next_epoch()
        if results is None:
            session.end_without_epochs()  # only on the first call: a last epoch ends the loop below
            return
        decision = session.decide(results)
        folder = Path(tempfile.mkdtemp(prefix="sweep-checkpoint-")) if decision.save else None
        if folder is not None:
            try:
                folds.save(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        session.deliver(decision, folder)
        if decision.last:
            return
