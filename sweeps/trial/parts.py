"""What a trial trains, built from its plan: the settings of a process that trains, a shipped
family's folds for the lean loop (plain torch: nothing here imports Lightning), or the module,
data and Trainer settings of a Trainer run.
Both the trial's own process (sweeps.trial.trainable) and each data-parallel worker
(sweeps.trial.distributed) build their parts here."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import torch

from lightning_modules.checkpoint import fold_checkpoint_name
from lightning_modules.data.array_data import ArrayData
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps.definition.trial_plan import ShippedTrialModel, TrialPlan
from sweeps.sweep_file.objectives import PARAMS, feasibility
from sweeps.trial.epoch_loop import EpochLoop, LockstepFolds
from sweeps.trial.measures import parameters_before_training
from sweeps.user_model.trainer_run import TrainerRun, TrialIdentity


def _quiet_lightning() -> None:
    """Lightning's per-Trainer banners and tips would be printed once per trial."""
    for name in (
        "pytorch_lightning",
        "lightning.pytorch",
        "lightning_fabric",
        "lightning.fabric",
        "lightning",
    ):
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
    plan.model.prepare_process()


def shipped_folds(plan: TrialPlan, config: dict[str, Any], restored: Path | None) -> LockstepFolds:
    """A shipped family's folds for the lean loop, each resuming from its file in ``restored``."""
    shipped = plan.model
    assert isinstance(shipped, ShippedTrialModel), (
        "only the shipped families train in the lean loop"
    )
    model_config, data_config = shipped.arguments(config)
    fold_count = data_config.fold_count()
    folds: list[EpochLoop] = []
    for fold in range(fold_count):
        resume_from = restored / fold_checkpoint_name(fold, fold_count) if restored else None
        if resume_from is not None and not resume_from.is_file():
            raise FileNotFoundError(f"the trial's checkpoint has no {resume_from.name}")
        data = ArrayData(
            DATASETS[shipped.dataset].arrays_source(),
            data_config,
            batch_size=model_config.batch_size,
            seed=plan.seed,
            fold=fold,
        )
        model = MODEL_FAMILIES[shipped.family].training_class()(
            model_config, data.info, family=shipped.family
        )
        dataset = {"name": shipped.dataset, "config": data_config.to_stored()}
        folds.append(
            EpochLoop(fold, model, data, plan.max_epochs, dataset, uses_gpu(plan), resume_from)
        )
    return LockstepFolds(folds)


def trainer_run(
    plan: TrialPlan, config: dict[str, Any], identity: TrialIdentity | None = None
) -> tuple[TrainerRun, dict[str, Any]]:
    """The trial's module, data and Trainer settings, and the fields its checkpoints carry (with
    them a checkpoint rebuilds its model and data: sweeps.driver.held_out_evaluation).
    ``identity``: the trial's, for the user's own loggers."""
    return plan.model.trainer_run(config, identity)


def broken_before_training(
    plan: TrialPlan, config: dict[str, Any]
) -> tuple[int | None, str | None]:
    """The trial's trainable parameters, counted on the meta device, and the constraint known
    before training that they break (one line), if any; (None, None) without such constraints."""
    constraints = tuple(constraint for constraint in plan.constraints if constraint.before_training)
    if not constraints:
        return None, None
    params = parameters_before_training(plan.model.model_builder(config))
    if params is None:
        return None, None  # lazy modules: judged on the trained model's count instead
    return params, feasibility(constraints, {PARAMS: params})[1]


def uses_gpu(plan: TrialPlan) -> bool:
    return plan.gpus > 0 and torch.cuda.is_available()
