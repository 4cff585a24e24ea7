"""Training a trial's models one epoch at a time, in lockstep, and the Trainer-driven fold.

With k-fold validation a trial trains one model per fold, and its metrics for an epoch are the
mean over the folds at that epoch, so schedulers such as ASHA can still compare and stop trials
epoch by epoch. A single-process trial trains each fold with the lean loop of
sweeps/epoch_loop.py. In a data-parallel (DDP) worker each fold's Lightning ``Trainer.fit`` runs
in a thread of its own that pauses at the end of every epoch (after validation) until the trial
tells it to go on, save a checkpoint or stop. Only one fold trains at a time, so folds never
compete for cores and the global torch random state is drawn in the same order every run. A
hold-out trial is the same with one fold.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Checkpoint as LightningCheckpointCallback

_GO, _SAVE, _STOP = "go", "save", "stop"
_EPOCH, _SAVED, _FINISHED, _FAILED = "epoch", "saved", "finished", "failed"


@dataclass(frozen=True)
class EpochResult:
    epoch: int  # epochs completed, counting from 1
    metrics: dict[str, float]


class EpochGate(LightningCheckpointCallback):
    """Hands each finished epoch's metrics to the trial and waits for its next order.

    A Lightning ``Checkpoint`` subclass on purpose: Lightning calls checkpoint callbacks'
    ``on_train_epoch_end`` after the LightningModule's own, so the epoch's training metrics
    (logged by the module in that hook) are already there, as are the validation metrics.
    """

    def __init__(self, fold: int, dataset: dict[str, Any]):
        self.fold = fold
        self.dataset = dataset
        self.orders: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]) -> None:
        # With the data set's arguments (seed and fold included) a checkpoint rebuilds its splits.
        checkpoint["dataset"] = {**self.dataset, "fold": self.fold}
        checkpoint["world_size"] = trainer.world_size  # data-parallel processes that trained it

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
        self.events.put((_EPOCH, EpochResult(trainer.current_epoch + 1, metrics)))
        while True:
            order, argument = self.orders.get()
            if order == _SAVE:
                try:
                    trainer.save_checkpoint(argument)
                except Exception as error:  # reported to the trial, which raises it
                    self.events.put((_FAILED, error))
                    trainer.should_stop = True
                    return
                self.events.put((_SAVED, None))
                continue
            if order == _STOP:
                trainer.should_stop = True
            return


class FoldTraining:
    """One fold's ``Trainer.fit``, run in its own thread and advanced an epoch at a time."""

    def __init__(self, fold: int, trainer: pl.Trainer, model: pl.LightningModule,
                 datamodule: pl.LightningDataModule, gate: EpochGate, ckpt_path: Path | None):
        self.fold = fold
        self.trainer = trainer
        self.model = model
        self.gate = gate
        self._fit = lambda: trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path,
                                        weights_only=True if ckpt_path else None)
        self._thread = threading.Thread(target=self._run, name=f"trial-fold-{fold}", daemon=True)
        self._paused = False  # waiting in the gate for an order
        self._finished = False

    def _run(self) -> None:
        try:
            self._fit()
        except BaseException as error:  # handed to the trial's thread, which raises it
            self.gate.events.put((_FAILED, error))
            return
        self.gate.events.put((_FINISHED, None))

    def _wait(self) -> tuple[str, Any]:
        event, payload = self.gate.events.get()
        if event == _FAILED:
            self._finished = True
            raise payload
        if event == _FINISHED:
            self._finished = True
        self._paused = event in (_EPOCH, _SAVED)
        return event, payload

    def next_epoch(self) -> EpochResult | None:
        """Train one more epoch; None when training has ended (its last epoch was reached)."""
        if self._finished:
            return None
        if self._thread.is_alive():
            self.gate.orders.put((_GO, None))
        else:
            self._thread.start()
        event, payload = self._wait()
        return payload if event == _EPOCH else None

    def save(self, path: Path) -> None:
        """Save the model, optimizer and schedule state as they are at the end of this epoch."""
        if not self._paused:
            raise RuntimeError(f"fold {self.fold} can only be saved at the end of an epoch")
        self.gate.orders.put((_SAVE, path))
        self._wait()

    def close(self) -> None:
        """Let the fold's ``fit`` return (and its thread end) without training further."""
        if self._thread.ident is None:
            return  # never started
        while not self._finished:
            if self._paused:
                self.gate.orders.put((_STOP, None))
                self._paused = False
            try:
                self._wait()  # mid-epoch, this waits for the epoch's end and stops there
            except BaseException:
                break  # the trial is ending anyway; its own error is the one that matters
        self._thread.join()


class FoldGroup:
    """A trial's folds, trained in this process in lockstep: each epoch every fold trains one.
    A fold is a ``FoldTraining`` or an ``EpochLoop``: both train an epoch per ``next_epoch``,
    ``save`` between epochs and ``close``."""

    def __init__(self, folds: list[Any]):
        self.folds = folds

    def next_epoch(self) -> list[EpochResult] | None:
        """Each fold's next epoch; None when training has ended (its last epoch was reached)."""
        results = [fold.next_epoch() for fold in self.folds]
        return None if any(result is None for result in results) else results  # type: ignore[misc]

    def save(self, folder: Path) -> None:
        """Every fold's checkpoint into ``folder`` (``model.ckpt``, or ``fold-N.ckpt`` per fold)."""
        from lightning_modules.checkpoint import fold_checkpoint_name

        for fold in self.folds:
            fold.save(folder / fold_checkpoint_name(fold.fold, len(self.folds)))

    def close(self) -> None:
        for fold in self.folds:
            fold.close()
