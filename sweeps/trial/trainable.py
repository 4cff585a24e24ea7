"""The Ray Tune trainable: one trial = one configuration, trained with Lightning.

Every trial follows one protocol (sweeps.trial.session): its training loop trains an epoch, the
trial's session decides (report, checkpoint, stop), and the loop carries it out. Two loops stand
behind it: the lean loop of sweeps/trial/epoch_loop.py for the shipped families trained in one process
(with k-fold validation, one model per fold in lockstep), and Lightning's Trainer
(sweeps/trial/trainer_loop.py) for users' own modules and for every data-parallel trial, which Ray
Train runs over several workers (sweeps/trial/distributed.py). Given a checkpoint by Tune (a
retry after a failure, a resumed sweep, a PBT exploit) a trial continues from that epoch.

Ray workers import this module (through sweeps.trial.entry, which the driver imports instead):
torch and Lightning are imported in the workers, never by the driver.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from sweeps.definition.trial_plan import TrialPlan
from sweeps.errors import first_line
from sweeps.results.trial_status import OUT_OF_MEMORY, is_out_of_memory
from sweeps.trial import fault_injection
from sweeps.trial.epoch_loop import train
from sweeps.trial.parts import (
    broken_before_training,
    prepare_process,
    shipped_folds,
    trainer_run,
    uses_gpu,
)
from sweeps.trial.session import TrialReports, TrialSession, Watchdog
from sweeps.trial.stall_watch import StallWatch, supervised
from sweeps.trial.trainer_loop import EpochEnd, fit
from sweeps.user_model.trainer_run import TrialIdentity


def train_in_process(
    plan: TrialPlan,
    config: dict[str, Any],
    session: TrialSession,
    restored: Path | None,
    trial_dir: str | None = None,
) -> None:
    """One process trains the trial: the lean loop, or a user's module under the Trainer (which
    may write files of its own into ``trial_dir``)."""
    if plan.model.lean_loop:
        train(session, shipped_folds(plan, config, restored))
        return
    run, fields = trainer_run(plan, config, identity_of(plan))
    fit(
        run,
        EpochEnd(session, fields, watch=session.watch),
        plan.max_epochs,
        uses_gpu(plan),
        restored,
        root_dir=trial_dir,
    )


def identity_of(plan: TrialPlan) -> TrialIdentity | None:
    """The trial's identity: its id, and its sweep's name and results folder. (Tune's trial
    folder would not do: a trial on a reused worker is given a working folder of Ray's session.)"""
    # Imported here: Tune's context exists only inside a trial.
    from ray import tune

    context = tune.get_context()
    trial_id, trial_dir = context.get_trial_id(), context.get_trial_dir()
    if trial_id is None or not (plan.sweep_folder or trial_dir):
        return None  # trained outside a sweep (a test's own session)
    return TrialIdentity(
        trial_id,
        plan.sweep_name or context.get_experiment_name(),
        plan.sweep_folder or str(Path(trial_dir).parent),
    )


def run_trial(config: dict[str, Any], plan: TrialPlan) -> None:
    """Run one trial (called by Tune's function trainable, sweeps.trial.entry.train_trial)."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
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
        if restored is None:
            params, broken = broken_before_training(plan, config)
            if broken is not None:
                reports.end_infeasible(params, broken)  # never trained
                return
        if plan.workers > 1:
            from sweeps.trial.distributed import train_distributed

            train_distributed(
                plan,
                config,
                restored,
                reports,
                tune.get_context().get_trial_id(),
                faults,
                identity_of(plan),
            )
        else:
            # The supervisor (Tune's thread) fails the trial as soon as its training stalls.
            watch = StallWatch(plan.stall_s, rank=0, on_stall=lambda stall: None)
            session = TrialSession(
                plan,
                reports,
                restored,
                faults,
                plan.model.patience_of(config),
                watch=watch,
                measures_device=torch.device("cuda") if uses_gpu(plan) else None,
            )
            trial_dir = tune.get_context().get_trial_dir()
            supervised(lambda: train_in_process(plan, config, session, restored, trial_dir), watch)
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
