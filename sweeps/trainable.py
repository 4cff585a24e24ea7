"""The Ray Tune trainable: one trial = one configuration, trained with Lightning.

Every trial follows one protocol (sweeps.trial_session): its training loop trains an epoch, the
trial's session decides (report, checkpoint, stop), and the loop carries it out. Two loops stand
behind it: the lean loop of sweeps/epoch_loop.py for the shipped families trained in one process
(with k-fold validation, one model per fold in lockstep), and Lightning's Trainer
(sweeps/trainer_loop.py) for users' own modules and for every data-parallel trial, which Ray
Train runs over several workers (sweeps/distributed_training.py). Given a checkpoint by Tune (a
retry after a failure, a resumed sweep, a PBT exploit) a trial continues from that epoch.

Ray workers import this module (through sweeps.trial_entry, which the driver imports instead):
torch and Lightning are imported in the workers, never by the driver.
"""

from __future__ import annotations

import gc
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

from lightning_modules.checkpoint import fold_checkpoint_name
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps import fault_injection
from sweeps.epoch_loop import EpochLoop, LockstepFolds, train
from sweeps.errors import first_line
from sweeps.trainer_loop import EpochEnd, TrainerRun, fit
from sweeps.trial_config import TrialPlan, trial_arguments
from sweeps.trial_end import OUT_OF_MEMORY, is_out_of_memory
from sweeps.trial_session import TrialReports, TrialSession, Watchdog


def _quiet_lightning() -> None:
    """Lightning's per-Trainer banners and tips would be printed once per trial."""
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for module in ("pytorch_lightning", "lightning_fabric", "lightning"):
        warnings.filterwarnings("ignore", module=module)


def prepare_process(plan: TrialPlan, rank: int = 0) -> None:
    """Settings for a process that trains (the trial's own, or one data-parallel worker)."""
    _quiet_lightning()
    torch.set_num_threads(max(1, int(plan.cpus)))
    seed = plan.seed
    if rank:
        # DDP starts every rank from rank 0's weights; the other ranks draw their own dropout
        # masks and noise, while rank 0 draws what the trial would in a single process.
        seed += 7919 * rank
    torch.manual_seed(seed)
    if plan.user is not None:
        from sweeps.user_model.build import prepare_user_process

        prepare_user_process(plan.user)


def shipped_folds(plan: TrialPlan, config: dict[str, Any], restored: Path | None) -> LockstepFolds:
    """A shipped family's folds for the lean loop, each resuming from its file in ``restored``."""
    model_config, data_config = trial_arguments(plan, config)
    fold_count = data_config.fold_count()
    folds: list[EpochLoop] = []
    for fold in range(fold_count):
        resume_from = restored / fold_checkpoint_name(fold, fold_count) if restored else None
        if resume_from is not None and not resume_from.is_file():
            raise FileNotFoundError(f"the trial's checkpoint has no {resume_from.name}")
        datamodule = DATASETS[plan.dataset].datamodule_class()(
            data_config, batch_size=model_config.batch_size, seed=plan.seed, fold=fold
        )
        model = MODEL_FAMILIES[plan.family].module_class()(model_config, datamodule.info)
        dataset = {"name": plan.dataset, "config": data_config.to_stored()}
        folds.append(EpochLoop(fold, model, datamodule, plan.max_epochs, dataset, uses_gpu(plan), resume_from))
    return LockstepFolds(folds)


def trainer_run(plan: TrialPlan, config: dict[str, Any]) -> tuple[TrainerRun, dict[str, Any]]:
    """The trial's module, data and Trainer settings, and the fields its checkpoints carry (with
    them a checkpoint rebuilds its model and data: sweeps.held_out_evaluation)."""
    if plan.user is not None:
        from sweeps.user_model.build import user_trainer_run

        return user_trainer_run(plan.user, config)
    model_config, data_config = trial_arguments(plan, config)
    if data_config.fold_count() > 1:
        raise ValueError("k-fold validation trains in one process; data-parallel trials use a hold-out split")
    datamodule = DATASETS[plan.dataset].datamodule_class()(data_config, batch_size=model_config.batch_size, seed=plan.seed)
    model = MODEL_FAMILIES[plan.family].module_class()(model_config, datamodule.info)
    fields = {"dataset": {"name": plan.dataset, "config": data_config.to_stored(), "fold": 0}}
    # The shipped modules clip gradients themselves and log once per epoch.
    settings = {"num_sanity_val_steps": 0, "log_every_n_steps": 1_000_000}
    return TrainerRun("pytorch_lightning", model, datamodule, settings), fields


def uses_gpu(plan: TrialPlan) -> bool:
    return plan.gpus > 0 and torch.cuda.is_available()


def train_in_process(plan: TrialPlan, config: dict[str, Any], session: TrialSession, restored: Path | None,
                     trial_dir: str | None = None) -> None:
    """One process trains the trial: the lean loop, or a user's module under the Trainer (which
    may write files of its own into ``trial_dir``)."""
    if plan.user is None:
        train(session, shipped_folds(plan, config, restored))
        return
    run, fields = trainer_run(plan, config)
    fit(run, EpochEnd(session, fields), plan.max_epochs, uses_gpu(plan), restored, root_dir=trial_dir)


def train_trial(config: dict[str, Any], plan: TrialPlan) -> None:
    """Run one trial (called by Tune's function trainable, sweeps.trial_entry.train_trial)."""
    import ray
    from ray import tune

    prepare_process(plan)
    node_id = ray.get_runtime_context().get_node_id()
    restored: Path | None = None
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        restored = Path(tempfile.mkdtemp(prefix="sweep-restore-"))
        checkpoint.to_directory(restored)
    reports = TrialReports(plan, node_id)
    watchdog = Watchdog(reports, plan)
    try:
        faults = fault_injection.faults_for(config)
        if plan.workers > 1:
            from sweeps.distributed_training import train_distributed

            train_distributed(plan, config, restored, reports, tune.get_context().get_trial_id(), faults)
        else:
            session = TrialSession(plan, reports, restored, faults, plan.patience_of(config))
            train_in_process(plan, config, session, restored, tune.get_context().get_trial_dir())
    except Exception as error:
        if restored is not None and str(restored) in str(error):
            # Name the checkpoint where the user finds it, not the temporary copy read here.
            raise _retold(error, str(error).replace(str(restored), checkpoint.path)) from error
        if not is_out_of_memory(error):
            raise
        # A retry would run out of memory again: the trial ends here, with what it trained.
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        reports.end(OUT_OF_MEMORY, f"{type(error).__name__}: {first_line(error)}")
    finally:
        watchdog.cancel()
        if restored is not None:
            shutil.rmtree(restored, ignore_errors=True)


def _retold(error: Exception, message: str) -> Exception:
    """The same kind of error with another message (a RuntimeError where its type takes other
    arguments)."""
    try:
        return type(error)(message)
    except Exception:  # constructors of some error types need more than a message
        return RuntimeError(message)

