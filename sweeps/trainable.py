"""The Ray Tune trainable: one trial = one configuration, trained with Lightning.

The trial reports its metrics to Tune (every epoch's, batched when epochs are short: see
sweeps.epoch_results), with a checkpoint when the sweep's checkpoint schedule asks for one
(``TrialPlan.checkpoint_due``) and at the last epoch; given a checkpoint by Tune (a retry after
a failure, or a resumed sweep) it continues from that epoch. With k-fold validation it trains one model per fold in
lockstep and reports the mean over the folds. A trial whose loss turns NaN or infinite reports
``diverged: True`` and stops; one that stops improving for ``early_stopping_patience`` epochs
ends early. Ray workers import this module (through sweeps.trial_entry, which the driver
imports instead): torch and Lightning are imported in the workers, never by the driver.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import shutil
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl
import torch

from lightning_modules.checkpoint import fold_checkpoint_name
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps import fault_injection
from sweeps.epoch_loop import EpochLoop
from sweeps.epoch_results import EPOCH_RESULTS
from sweeps.fold_training import EpochGate, EpochResult, FoldGroup, FoldTraining
from sweeps.metric_direction import better
from sweeps.trial_config import PATIENCE_FILE, TrialPlan, trial_arguments
from sweeps.errors import first_line
from sweeps.trial_end import ENDED, ENDED_REASON, OUT_OF_MEMORY, TIMED_OUT, is_out_of_memory

DIVERGED = "diverged"
METRICS_FILE = "metrics.json"  # in a trial checkpoint: the metrics of the epoch it was saved at
EPOCH = "epoch"

if TYPE_CHECKING:
    from sweeps.distributed_training import DistributedTraining

    Training = FoldGroup | DistributedTraining


class Patience:
    """Early stopping on the trial's (fold-averaged) metric: stop after ``patience`` epochs in a
    row without a strict improvement on the best so far. Its state travels in checkpoints."""

    def __init__(self, mode: str, patience: int | None, state: dict[str, Any] | None = None):
        self.mode = mode
        self.patience = patience
        self.best: float | None = (state or {}).get("best")
        self.waited: int = (state or {}).get("waited", 0)

    def exhausted(self, value: float) -> bool:
        if self.best is None or (value != self.best and better(value, self.best, self.mode) == value):
            self.best, self.waited = value, 0
        else:
            self.waited += 1
        return self.patience is not None and self.waited >= self.patience

    def state(self) -> dict[str, Any]:
        return {"best": self.best, "waited": self.waited}


def epoch_metrics(plan: TrialPlan, results: list[EpochResult]) -> dict[str, float]:
    """The trial's metrics for one epoch: each metric's mean over the folds (with one fold, its
    own values), plus the spread of the sweep's metric across folds."""
    for fold, result in enumerate(results):
        if plan.metric not in result.metrics:
            logged = ", ".join(sorted(result.metrics)) or "nothing"
            where = f" (fold {fold})" if len(results) > 1 else ""
            raise RuntimeError(
                f"metric {plan.metric!r} was not logged by the {plan.family} model this epoch{where}; it logged: {logged}"
            )
    names = [name for name in results[0].metrics if all(name in result.metrics for result in results)]
    metrics = {name: statistics.fmean(result.metrics[name] for result in results) for name in names}
    if len(results) > 1:
        metrics[f"{plan.metric}_fold_std"] = statistics.pstdev(result.metrics[plan.metric] for result in results)
    return metrics


class TrialReports:
    """Every report the trial sends to Tune, from its training loop or from its watchdog.

    A lock keeps the two from reporting at once, and once the trial has ended (its last epoch,
    or ``end`` below) nothing more is reported. ``end`` finishes the trial early on its own,
    with the epochs it trained since its previous report, its last epoch's metrics (what the
    searcher learns from) and why it ended (sweeps.trial_end); Tune stops a trial whose result
    says ``done``."""

    def __init__(self, plan: TrialPlan, node_id: str):
        self.node_id = node_id
        self.lock = threading.Lock()
        self.unreported: list[dict[str, Any]] = []
        self.last_metrics: dict[str, Any] = {plan.metric: float("nan"), EPOCH: 0}
        self.ended = False

    def add(self, metrics: dict[str, Any]) -> None:
        with self.lock:
            self.unreported.append(dict(metrics))
            self.last_metrics = dict(metrics)

    def report(self, metrics: dict[str, Any], folder: Path | None, last: bool) -> bool:
        """Send the epochs trained since the previous report; False if the trial has ended."""
        from ray import tune

        with self.lock:
            if self.ended:
                return False
            self.ended = last
            checkpoint = tune.Checkpoint.from_directory(folder) if folder else None
            tune.report({**metrics, EPOCH_RESULTS: self.unreported}, checkpoint=checkpoint)
            self.unreported = []
            return True

    def end(self, kind: str, reason: str) -> None:
        from ray import tune

        with self.lock:
            if self.ended:
                return
            self.ended = True
            final = {**self.last_metrics, "node_id": self.node_id, ENDED: kind, ENDED_REASON: reason, "done": True}
            # No epoch of its own: the epochs since the previous report are the only new rows.
            tune.report({**final, EPOCH_RESULTS: self.unreported})
            self.unreported = []


class Watchdog:
    """Ends the trial with ``timed_out`` once it has run ``timeout_s``, even while its training
    hangs (a thread of its own; the training loop also checks ``expired`` after each epoch)."""

    def __init__(self, reports: TrialReports, timeout_s: float | None):
        self.reports = reports
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s if timeout_s else math.inf
        self.timer: threading.Timer | None = None
        if timeout_s:
            self.timer = threading.Timer(timeout_s, self.reports.end, (TIMED_OUT, self.reason()))
            self.timer.daemon = True
            self.timer.start()

    def reason(self) -> str:
        return f"ran longer than stop.trial_timeout_s ({self.timeout_s:g} s)"

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


def run_epochs(plan: TrialPlan, training: Training, patience: Patience, reports: TrialReports,
               watchdog: Watchdog, restored_metrics: dict[str, Any] | None = None,
               faults: frozenset[str] = frozenset()) -> None:
    """Advance every fold an epoch at a time until the trial ends, reporting to Tune whenever
    ``plan.report_due`` (with every epoch since the previous report, see sweeps.epoch_results)."""
    last_checkpoint = last_report = time.monotonic()
    trained = 0
    while not reports.ended:
        trained += 1
        fault_injection.before_epoch(faults, trained)
        results = training.next_epoch()
        if results is None:
            # Only on the first call (a last epoch returns below): restored at its last epoch, as
            # a PBT exploit of a finished trial's checkpoint is, the trial is that checkpoint now,
            # so that checkpoint's metrics are the trial's last result.
            if restored_metrics is not None:
                final = {**restored_metrics, "node_id": reports.node_id}
                reports.add(final)
                reports.report(final, None, last=True)
            return
        epoch = results[0].epoch
        metrics: dict[str, Any] = epoch_metrics(plan, results)
        diverged = any(
            name.endswith("_loss") and not math.isfinite(value) for result in results for name, value in result.metrics.items()
        )
        metrics.update({EPOCH: epoch, DIVERGED: diverged, "node_id": reports.node_id})
        if diverged:
            # Never let a diverged trial look good to the scheduler or become the best trial.
            metrics[plan.metric] = float("nan")
        reports.add(metrics)
        now = time.monotonic()
        timed_out = watchdog.expired() and epoch < plan.max_epochs
        last = diverged or timed_out or epoch >= plan.max_epochs or patience.exhausted(metrics[plan.metric])
        checkpoint = not diverged and (last or plan.checkpoint_due(epoch, now - last_checkpoint))
        if not (last or checkpoint or plan.report_due(epoch, now - last_report)):
            continue
        if timed_out:
            metrics.update({ENDED: TIMED_OUT, ENDED_REASON: watchdog.reason()})
        folder = Path(tempfile.mkdtemp(prefix="sweep-checkpoint-")) if checkpoint else None
        try:
            if folder is not None:
                training.save(folder)
                (folder / PATIENCE_FILE).write_text(json.dumps(patience.state()))
                (folder / METRICS_FILE).write_text(json.dumps(reports.last_metrics))
            if last:
                # Wind the training down before the last report: once Tune has it, it may hand
                # this worker the next trial, and waits only briefly for this one to return
                # (a data-parallel trial's workers take longer to stop).
                training.close()
            reports.report(metrics, folder, last)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        if checkpoint:
            last_checkpoint = time.monotonic()
        last_report = time.monotonic()


def _quiet_lightning() -> None:
    """Lightning's per-Trainer banners and tips would be printed once per trial."""
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="pytorch_lightning")
    warnings.filterwarnings("ignore", module="lightning_fabric")


def prepare_process(plan: TrialPlan, rank: int = 0) -> None:
    """Settings for a process that trains (the trial's own, or one data-parallel worker)."""
    _quiet_lightning()
    torch.set_num_threads(max(1, int(plan.cpus)))
    torch.manual_seed(plan.seed)
    if rank:
        # DDP starts every rank from rank 0's weights; the other ranks draw their own dropout
        # masks and noise, while rank 0 draws what the trial would in a single process.
        torch.manual_seed(plan.seed + 7919 * rank)


def build_folds(plan: TrialPlan, config: dict[str, Any], restored: Path | None, distributed: bool = False) -> FoldGroup:
    """The trial's folds, each resuming from its file in ``restored`` when given."""
    model_config, data_config = trial_arguments(plan, config)
    fold_count = data_config.fold_count()
    folds: list[FoldTraining] = []
    try:
        for fold in range(fold_count):
            resume_from = restored / fold_checkpoint_name(fold, fold_count) if restored else None
            if resume_from is not None and not resume_from.is_file():
                raise FileNotFoundError(f"the trial's checkpoint has no {resume_from.name}")
            folds.append(_fold_training(plan, model_config, data_config, fold, resume_from, distributed))
    except BaseException:
        FoldGroup(folds).close()
        raise
    return FoldGroup(folds)


def train_trial(config: dict[str, Any], plan: TrialPlan) -> None:
    """Run one trial (called by Tune's function trainable, sweeps.trial_entry.train_trial)."""
    import ray
    from ray import tune

    prepare_process(plan)
    model_config, _ = trial_arguments(plan, config)
    node_id = ray.get_runtime_context().get_node_id()

    restored: Path | None = None
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        restored = Path(tempfile.mkdtemp(prefix="sweep-restore-"))
        checkpoint.to_directory(restored)
    reports = TrialReports(plan, node_id)
    watchdog = Watchdog(reports, plan.trial_timeout_s)
    training: Training | None = None
    try:
        faults = fault_injection.faults_for(config)
        if plan.workers > 1:
            from sweeps.distributed_training import DistributedTraining

            training = DistributedTraining(plan, config, restored, tune.get_context().get_trial_id())
        else:
            training = build_folds(plan, config, restored)
        saved_patience = restored / PATIENCE_FILE if restored else None
        state = json.loads(saved_patience.read_text()) if saved_patience and saved_patience.is_file() else None
        saved_metrics = restored / METRICS_FILE if restored else None
        metrics = json.loads(saved_metrics.read_text()) if saved_metrics and saved_metrics.is_file() else None
        patience = Patience(plan.mode, model_config.early_stopping_patience, state)
        run_epochs(plan, training, patience, reports, watchdog, metrics, faults)
    except Exception as error:
        if restored is not None and str(restored) in str(error):
            # Name the checkpoint where the user finds it, not the temporary copy read here.
            raise _retold(error, str(error).replace(str(restored), checkpoint.path)) from error
        if not is_out_of_memory(error):
            raise
        # A retry would run out of memory again: the trial ends here, with what it trained.
        if training is not None:
            training.close()
            training = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        reports.end(OUT_OF_MEMORY, f"{type(error).__name__}: {first_line(error)}")
    finally:
        watchdog.cancel()
        if training is not None:
            training.close()
        if restored is not None:
            shutil.rmtree(restored, ignore_errors=True)


def _retold(error: Exception, message: str) -> Exception:
    """The same kind of error with another message (a RuntimeError where its type takes other
    arguments)."""
    try:
        return type(error)(message)
    except Exception:  # constructors of some error types need more than a message
        return RuntimeError(message)


def _fold_training(plan: TrialPlan, model_config: Any, data_config: Any, fold: int, resume_from: Path | None,
                   distributed: bool = False) -> FoldTraining | EpochLoop:
    """One fold's training: the lean loop in a single-process trial, Lightning's Trainer in a
    data-parallel worker (where Ray Train's DDP integration drives it)."""
    family = MODEL_FAMILIES[plan.family]
    datamodule = DATASETS[plan.dataset].datamodule_class()(
        data_config, batch_size=model_config.batch_size, seed=plan.seed, fold=fold
    )
    model = family.module_class()(model_config, datamodule.info)
    dataset = {"name": plan.dataset, "config": data_config.to_stored()}
    use_gpu = plan.gpus > 0 and torch.cuda.is_available()
    if not distributed:
        return EpochLoop(fold, model, datamodule, plan.max_epochs, dataset, use_gpu, resume_from)
    from ray.train.lightning import RayDDPStrategy, RayLightningEnvironment, prepare_trainer

    gate = EpochGate(fold, dataset)
    # Ray Train has set up the process group (gloo on CPU, NCCL on GPU) and each worker's device.
    trainer = pl.Trainer(
        max_epochs=plan.max_epochs,
        accelerator="gpu" if use_gpu else "cpu",
        devices="auto",
        strategy=RayDDPStrategy(),
        plugins=[RayLightningEnvironment()],
        logger=False,  # the driver writes TensorBoard data for the whole sweep
        enable_checkpointing=True,  # the gate is the only checkpoint callback
        callbacks=[gate],
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1_000_000,
    )
    prepare_trainer(trainer)
    return FoldTraining(fold, trainer, model, datamodule, gate, resume_from)
