"""The Trainer-driven fold (what a data-parallel worker trains with): folds in lockstep, one
epoch of every fold before the next epoch of any, checkpoints saved at an epoch's end that a new
trial resumes from, and errors raised in the trial's thread. Run here with a single-process
Lightning Trainer; Ray Train's DDP runs the same class (tests/launchers/test_distributed.py)."""

import threading

import pytest
import pytorch_lightning as pl
import torch

from lightning_modules.checkpoint import fold_checkpoint_name, read_checkpoint
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps.fold_training import EpochGate, FoldTraining
from sweeps.trainable import _quiet_lightning
from sweeps.trial_config import TrialPlan, trial_arguments

PLAN = TrialPlan(family="mlp", model_args={"depth": 1, "width": 16}, dataset="digits",
                 data_args={"validation": "kfold", "folds": 2}, metric="val_accuracy", mode="max",
                 max_epochs=4, checkpoint_every=1, seed=0, cpus=1, gpus=0)


class EpochLog(pl.Callback):
    def __init__(self, fold: int, log: list, fail_at: int | None = None):
        self.fold, self.seen, self.fail_at = fold, log, fail_at
        self.start_weights = None

    def on_train_start(self, trainer, pl_module):
        self.start_weights = {k: v.clone() for k, v in pl_module.state_dict().items()}

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch + 1 == self.fail_at:
            raise RuntimeError(f"fold {self.fold} broke")
        self.seen.append((self.fold, trainer.current_epoch + 1))


def trainer_fold(plan: TrialPlan, model_config, data_config, fold: int, resume_from) -> FoldTraining:
    datamodule = DATASETS[plan.dataset].datamodule_class()(data_config, batch_size=model_config.batch_size,
                                                           seed=plan.seed, fold=fold)
    model = MODEL_FAMILIES[plan.family].module_class()(model_config, datamodule.info)
    gate = EpochGate(fold, {"name": plan.dataset, "config": data_config.to_stored()})
    trainer = pl.Trainer(max_epochs=plan.max_epochs, accelerator="cpu", devices=1, logger=False, callbacks=[gate],
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    return FoldTraining(fold, trainer, model, datamodule, gate, resume_from)


def folds_of(plan: TrialPlan, log: list, resume_from=None, fail_at=None):
    _quiet_lightning()
    torch.manual_seed(0)
    model_config, data_config = trial_arguments(plan, {})
    folds = []
    for fold in range(2):
        path = resume_from / fold_checkpoint_name(fold, 2) if resume_from else None
        training = trainer_fold(plan, model_config, data_config, fold, path)
        training.trainer.callbacks.append(EpochLog(fold, log, fail_at if fold == 1 else None))
        folds.append(training)
    return folds


def fold_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("trial-fold-")]


def test_folds_advance_in_lockstep_and_resume_from_their_checkpoints(tmp_path):
    log: list = []
    folds = folds_of(PLAN, log)
    try:
        for epoch in (1, 2):
            results = [fold.next_epoch() for fold in folds]
            assert [result.epoch for result in results] == [epoch, epoch]
            assert all("val_accuracy" in result.metrics for result in results)
        assert log == [(0, 1), (1, 1), (0, 2), (1, 2)]
        for fold in folds:
            fold.save(tmp_path / fold_checkpoint_name(fold.fold, 2))
        saved = {fold.fold: {k: v.clone() for k, v in fold.model.state_dict().items()} for fold in folds}
    finally:
        for fold in folds:
            fold.close()
    assert not fold_threads()
    stored = read_checkpoint(tmp_path / "fold-1.ckpt")
    assert stored["epoch"] == 1 and stored["dataset"]["fold"] == 1 and stored["dataset"]["name"] == "digits"

    log.clear()
    resumed = folds_of(PLAN, log, resume_from=tmp_path)
    try:
        # Fresh models start training from the saved weights, at epoch 3.
        assert [fold.next_epoch().epoch for fold in resumed] == [3, 3]
        for fold in resumed:
            (start,) = [c.start_weights for c in fold.trainer.callbacks if isinstance(c, EpochLog)]
            assert start.keys() == saved[fold.fold].keys()
            assert all(torch.equal(start[key], saved[fold.fold][key]) for key in start)
        assert log == [(0, 3), (1, 3)]
        assert [fold.next_epoch().epoch for fold in resumed] == [4, 4]
        assert [fold.next_epoch() for fold in resumed] == [None, None]  # max_epochs reached
    finally:
        for fold in resumed:
            fold.close()
    assert not fold_threads()


def test_a_failing_fold_raises_in_the_trial_and_leaves_no_thread_behind():
    log: list = []
    folds = folds_of(PLAN, log, fail_at=2)
    try:
        assert [fold.next_epoch().epoch for fold in folds] == [1, 1]
        assert folds[0].next_epoch().epoch == 2
        with pytest.raises(RuntimeError, match="fold 1 broke"):
            folds[1].next_epoch()
    finally:
        for fold in folds:
            fold.close()
    assert not fold_threads()
