"""Training a trial with Lightning's own ``Trainer``: a user's LightningModule (always), and any
data-parallel trial (the shipped families too), one process or one Ray Train worker per rank.

The Trainer runs as ``Trainer.fit`` would, with the user's callbacks, precision, gradient
accumulation, LR schedules (step-interval ones included), several optimizers or manual
optimisation; the sweep adds its ``TrialCallback``, which after every epoch hands the epoch's
logged metrics to the trial's ``TrialSession`` (sweeps.trial.session) and carries out its
decision: save a Lightning checkpoint (``trainer.save_checkpoint``), stop. In data-parallel
training rank 0 alone decides and reports; every rank gets the decision (a broadcast) so that all
of them save and stop together. Nothing pauses the Trainer: the decision is made inside its hook.

Both ``lightning.pytorch`` and ``pytorch_lightning`` modules work: the Trainer, callback, logger
and data-parallel plumbing come from the package the module was written against (its flavour,
sweeps.user_model.trainer_run).
"""

from __future__ import annotations

import functools
import importlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lightning_modules.checkpoint import CHECKPOINT_FILE
from sweeps.trial import fault_injection
from sweeps.trial.session import Decision, EpochResult, TrialSession, missing_metric_message
from sweeps.trial.stall_watch import StallWatch
from sweeps.user_model.trainer_run import TrainerRun, lightning, scalars

EPOCH_KEY = "epoch"  # what Lightning adds to everything it logs


@functools.cache
def metrics_logger_class(flavour: str) -> type:
    """A Lightning logger that keeps the latest value of everything logged through it (what
    callbacks such as LearningRateMonitor log): the driver writes TensorBoard for the sweep."""
    # The flavour's class, known at run time only: to a type checker, a base of any type.
    logger_base: Any = lightning(flavour).loggers.Logger

    class LoggedValues(logger_base):
        def __init__(self) -> None:
            super().__init__()
            self.values: dict[str, Any] = {}

        @property
        def name(self) -> str:
            return "sweep"

        @property
        def version(self) -> int:
            return 0

        def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
            self.values.update(metrics)

        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            pass  # the driver records each trial's hyperparameters

    return LoggedValues


@dataclass
class EpochEnd:
    """What the callback needs of the trial: its session on rank 0 (None on the others), the
    fields every checkpoint gets, and, in a data-parallel trial, how rank 0 learns that the
    trial's process wants it stopped."""

    session: TrialSession | None
    checkpoint_fields: dict[str, Any] = field(default_factory=dict)
    stop_requested: Callable[[], bool] = lambda: False
    check_first_validation: bool = True
    # This process's watch over its epochs (sweeps.trial.stall_watch): the session drives it on
    # rank 0, the callback on the other ranks of a data-parallel trial.
    watch: StallWatch | None = None
    rank_faults: frozenset[str] = frozenset()  # what the other ranks commit on purpose


@functools.cache
def trial_callback_class(flavour: str) -> type:
    # The flavour's class, known at run time only: to a type checker, a base of any type.
    checkpoint_base: Any = lightning(flavour).callbacks.Checkpoint

    class TrialCallback(checkpoint_base):
        """The sweep's end-of-epoch step (see the module's docstring). A ``Checkpoint`` subclass
        on purpose: Lightning calls checkpoint callbacks' ``on_train_epoch_end`` after the
        module's own, so the epoch's training metrics (logged in that hook) are already there,
        and after other callbacks' such as EarlyStopping (whose stop it then honours)."""

        def __init__(self, end: EpochEnd, logged: Any):
            self.end = end
            self.logged = logged
            self.validated = False
            self.epochs = 0

        def on_fit_start(self, trainer: Any, module: Any) -> None:
            if self.end.session is not None:
                # The built-in metrics' model (a shipped family's says what its forward takes).
                self.end.session.measures.watch(module, getattr(module, "latency_inputs", None))

        def on_validation_batch_start(
            self, trainer: Any, module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
        ) -> None:
            if self.end.session is not None and not trainer.sanity_checking:
                self.end.session.measures.keep_sample(batch)  # the first one only

        def on_train_epoch_start(self, trainer: Any, module: Any) -> None:
            if self.end.session is not None:
                self.end.session.before_epoch()
            elif self.end.watch is not None:
                self.end.watch.epoch_starting(f"training epoch {trainer.current_epoch + 1}")
            if self.end.session is None:
                fault_injection.before_other_rank_epoch(
                    self.end.rank_faults, trainer.global_rank, trainer.current_epoch + 1
                )

        def on_validation_epoch_start(self, trainer: Any, module: Any) -> None:
            if self.end.watch is not None:
                doing = (
                    "checking validation before training (the sanity check)"
                    if trainer.sanity_checking
                    else f"validating epoch {trainer.current_epoch + 1}"
                )
                self.end.watch.doing_now(doing)

        def on_validation_end(self, trainer: Any, module: Any) -> None:
            """The first real validation: a validation metric the model never logged stops the
            trial (and the sweep) now, not after the epoch. Training metrics are only complete at
            the epoch's end, where every metric is checked."""
            session = self.end.session
            if (
                trainer.sanity_checking
                or self.validated
                or session is None
                or trainer.world_size > 1
            ):
                return
            self.validated = True
            metric = session.plan.metric
            metrics, refused = self._metrics(trainer)
            if self.end.check_first_validation and metric not in metrics and "train" not in metric:
                session.end_for_metric(
                    missing_metric_message(
                        metric, list(metrics), session.plan.model.model_name, refused.get(metric)
                    )
                )
                trainer.should_stop = True
                raise StopTraining()

        def on_train_epoch_end(self, trainer: Any, module: Any) -> None:
            self.epochs += 1
            session = self.end.session
            decision: Decision | None = None
            # Every rank reads the epoch's metrics, though only rank 0 decides: reading them
            # computes what is logged with sync_dist and the torchmetrics objects logged, each a
            # collective operation that every rank must join (rank 0 alone would wait forever).
            metrics, refused = self._metrics(trainer)
            if session is None and self.end.watch is not None:
                self.end.watch.epoch_done()  # the decision comes from rank 0, after its report
            if session is not None:
                # trainer.should_stop: the module or a callback of the user's (EarlyStopping)
                # ends the training after this epoch.
                result = EpochResult(trainer.current_epoch + 1, metrics, refused)
                decision = session.decide([result], stopping=bool(trainer.should_stop))
                if self.end.stop_requested():
                    decision = replace(decision, save=False, report=False, last=True)
            if trainer.world_size > 1:
                decision = trainer.strategy.broadcast(decision, src=0)
            # Rank 0's, made here (a process without a session is another rank of a
            # data-parallel trial, which has just received it).
            assert decision is not None
            folder = Path(tempfile.mkdtemp(prefix="sweep-checkpoint-")) if decision.save else None
            try:
                if folder is not None:
                    trainer.save_checkpoint(
                        folder / CHECKPOINT_FILE
                    )  # every rank takes part; rank 0 writes
                if session is not None:
                    session.deliver(decision, folder)
                    folder = None  # delivered, and removed by the session
            finally:
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
            if decision.last:
                trainer.should_stop = True

        def on_save_checkpoint(self, trainer: Any, module: Any, checkpoint: dict[str, Any]) -> None:
            checkpoint.update(self.end.checkpoint_fields)
            checkpoint["world_size"] = trainer.world_size  # data-parallel processes that trained it

        def _metrics(self, trainer: Any) -> tuple[dict[str, float], dict[str, str]]:
            logged = {
                name: value for name, value in self.logged.values.items() if name != EPOCH_KEY
            }
            return scalars({**logged, **trainer.callback_metrics})

    return TrialCallback


class StopTraining(Exception):
    """Raised inside Lightning to end ``fit`` at once; the trial has already reported why."""


@functools.cache
def ray_ddp_classes(flavour: str) -> tuple[type, type]:
    """Lightning's DDP strategy and cluster environment for Ray Train workers, for either Lightning
    package (Ray's own RayDDPStrategy and RayLightningEnvironment bind one package only): the
    device and ranks come from Ray Train, which has set up the process group."""
    # The flavour's classes, known at run time only: to a type checker, bases of any type.
    strategy_base: Any = lightning(flavour).strategies.DDPStrategy
    environment_base: Any = importlib.import_module(
        f"{flavour}.plugins.environments"
    ).LightningEnvironment

    class RayDDP(strategy_base):
        @property
        def root_device(self) -> Any:
            # Imported here: Ray loads only when a sweep runs, after authentication is settled.
            import ray.train.torch

            return ray.train.torch.get_device()

        @property
        def distributed_sampler_kwargs(self) -> dict[str, Any]:
            return {"num_replicas": self.world_size, "rank": self.global_rank}

    class RayEnvironment(environment_base):
        def world_size(self) -> int:
            # Imported here: Ray loads only when a sweep runs, after authentication is settled.
            import ray.train

            return ray.train.get_context().get_world_size()

        def global_rank(self) -> int:
            # Imported here: Ray loads only when a sweep runs, after authentication is settled.
            import ray.train

            return ray.train.get_context().get_world_rank()

        def local_rank(self) -> int:
            # Imported here: Ray loads only when a sweep runs, after authentication is settled.
            import ray.train

            return ray.train.get_context().get_local_rank()

        def node_rank(self) -> int:
            # Imported here: Ray loads only when a sweep runs, after authentication is settled.
            import ray.train

            return ray.train.get_context().get_node_rank()

        def set_world_size(self, size: int) -> None:
            pass  # Ray Train's context is the truth

        def set_global_rank(self, rank: int) -> None:
            pass

        def teardown(self) -> None:
            pass

    return RayDDP, RayEnvironment


def fit(
    run: TrainerRun,
    end: EpochEnd,
    max_epochs: int,
    use_gpu: bool,
    restored: Path | None,
    distributed: bool = False,
    root_dir: str | None = None,
) -> int:
    """Train until the trial's session says stop (or ``max_epochs``); the epochs trained.

    ``restored`` is a checkpoint of this sweep, handed over by Tune from the sweep's own storage
    (a retry, a resumed sweep, a PBT exploit): it is loaded whole, objects among a module's
    hyperparameters included, as ``Trainer.fit(ckpt_path=...)`` would load the user's own. That
    storage is trusted as Tune's pickled experiment state in it is (docs/your-own-model.md);
    checkpoints evaluated from anywhere else are read without running code."""
    pl = lightning(run.flavour)
    logged = metrics_logger_class(run.flavour)()
    callback = trial_callback_class(run.flavour)(end, logged)
    placement: dict[str, Any] = {"accelerator": "gpu" if use_gpu else "cpu", "devices": 1}
    plugins = list(run.plugins)
    if distributed:
        strategy_class, environment_class = ray_ddp_classes(run.flavour)
        placement = {
            "accelerator": "gpu" if use_gpu else "cpu",
            "devices": "auto",
            "strategy": strategy_class(**run.ddp_options),
        }
        plugins.append(environment_class())
    trainer = pl.Trainer(
        **run.settings,
        **placement,
        plugins=plugins or None,
        max_epochs=max_epochs,
        logger=[logged, *run.loggers] if run.loggers else logged,
        callbacks=[*run.callbacks, callback],
        enable_checkpointing=True,  # the trial callback is the checkpointing
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=root_dir,
    )
    restore = str(restored / CHECKPOINT_FILE) if restored is not None else None
    try:
        trainer.fit(run.model, datamodule=run.datamodule, ckpt_path=restore, weights_only=False)
    except StopTraining:
        pass
    if end.session is not None and not end.session.ended and callback.epochs == 0:
        end.session.end_without_epochs()
    return callback.epochs
