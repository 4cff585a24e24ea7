"""The lean loop single-process trials train with: folds in lockstep, Lightning-format checkpoints
that a new trial resumes from exactly (weights, optimizer, schedule and batch order), the
module's own hooks, clipping and schedules, and errors raised where the trial calls it."""

import dataclasses
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from lightning_modules.checkpoint import fold_checkpoint_name, load_model, read_checkpoint
from lightning_modules.evaluation import evaluate_checkpoint
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps.trial.epoch_loop import EpochLoop
from sweeps.trial.parts import prepare_process, shipped_folds
from tests.helpers.imports import LIGHTNING, loaded_after
from tests.helpers.plans import shipped_plan
from tests.helpers.trainers import quick_trainer

ROOT = Path(__file__).resolve().parents[3]

PLAN = shipped_plan(
    family="mlp",
    model_args={"depth": 1, "width": 16, "dropout": 0.2},
    dataset="digits",
    data_args={"validation": "kfold", "folds": 2},
    metric="val_accuracy",
    mode="max",
    max_epochs=4,
    checkpoint_every=0,
    seed=0,
    cpus=1,
    gpus=0,
)


def weights(group) -> list[dict[str, torch.Tensor]]:
    return [{k: v.clone() for k, v in fold.model.state_dict().items()} for fold in group.folds]


def test_folds_advance_in_lockstep_and_a_resumed_trial_continues_exactly(tmp_path):
    prepare_process(PLAN)
    group = shipped_folds(PLAN, {"lr": 0.01}, None)
    assert all(isinstance(fold, EpochLoop) for fold in group.folds)
    for epoch in (1, 2):
        results = group.next_epoch()
        assert [result.epoch for result in results] == [epoch, epoch]
        assert all(
            {"val_accuracy", "val_loss", "train_accuracy", "train_loss"} <= set(r.metrics)
            for r in results
        )
    group.save(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "fold-0.ckpt",
        "fold-1.ckpt",
    ]  # no partial files
    stored = read_checkpoint(tmp_path / "fold-1.ckpt")
    assert (
        stored["epoch"] == 1
        and stored["dataset"]["fold"] == 1
        and stored["dataset"]["name"] == "digits"
    )
    assert stored["family"] == "mlp" and stored["world_size"] == 1
    # Uninterrupted: two more epochs (dropout draws from the global generator, seeded alike below).
    torch.manual_seed(123)
    group.next_epoch(), group.next_epoch()
    assert group.next_epoch() is None  # max_epochs reached
    uninterrupted = weights(group)

    resumed = shipped_folds(PLAN, {"lr": 0.01}, tmp_path)
    torch.manual_seed(123)
    assert [result.epoch for result in resumed.next_epoch()] == [3, 3]
    assert [result.epoch for result in resumed.next_epoch()] == [4, 4]
    assert resumed.next_epoch() is None
    for mine, theirs in zip(weights(resumed), uninterrupted, strict=True):
        assert mine.keys() == theirs.keys() and all(
            torch.equal(mine[key], theirs[key]) for key in mine
        )


def test_checkpoints_load_as_models_and_evaluate_on_the_test_split(tmp_path):
    plan = shipped_plan(max_epochs=3)
    prepare_process(plan)
    group = shipped_folds(plan, {"lr": 0.01}, None)
    while (results := group.next_epoch()) is not None:
        last = results
    group.save(tmp_path)
    model = load_model(tmp_path / fold_checkpoint_name(0, 1))
    assert not model.training and model.config.width == 16
    test = evaluate_checkpoint(tmp_path)
    assert 0.5 < test["test_accuracy"] <= 1.0 and last[0].metrics["val_accuracy"] > 0.5


def test_schedules_step_once_per_epoch_and_plateau_watches_validation_loss():
    plan = shipped_plan(
        family="mlp",
        model_args={
            "depth": 1,
            "width": 8,
            "schedule": "step",
            "step_size": 1,
            "gamma": 0.5,
            "lr": 0.08,
        },
        dataset="digits",
        data_args={},
        metric="val_accuracy",
        mode="max",
        max_epochs=3,
        checkpoint_every=0,
        seed=0,
        cpus=1,
        gpus=0,
    )
    group = shipped_folds(plan, {}, None)
    group.next_epoch(), group.next_epoch()
    assert group.folds[0].optimizer.param_groups[0]["lr"] == pytest.approx(0.02)

    plateau = dataclasses.replace(
        plan,
        model=dataclasses.replace(
            plan.model,
            model_args={
                "depth": 1,
                "width": 8,
                "schedule": "plateau",
                "plateau_patience": 0,
                "plateau_factor": 0.5,
                "lr": 3.0,
            },
        ),
    )
    group = shipped_folds(plateau, {}, None)
    rates = []
    for _ in range(3):
        group.next_epoch()
        rates.append(group.folds[0].optimizer.param_groups[0]["lr"])
    assert min(rates) < 3.0  # a huge learning rate stops lowering the validation loss at some epoch


def test_gradient_clipping_by_norm_bounds_each_step():
    plan = shipped_plan(
        family="mlp",
        model_args={
            "depth": 1,
            "width": 8,
            "grad_clip": "norm",
            "grad_clip_value": 1e-3,
            "optimizer": "sgd",
            "lr": 1.0,
        },
        dataset="digits",
        data_args={},
        metric="val_accuracy",
        mode="max",
        max_epochs=1,
        checkpoint_every=0,
        seed=0,
        cpus=1,
        gpus=0,
    )
    group = shipped_folds(plan, {}, None)
    before = weights(group)[0]
    group.next_epoch()
    after = weights(group)[0]
    steps = len(group.folds[0].train_batches)
    moved = torch.sqrt(sum(((after[k] - before[k]) ** 2).sum() for k in before))
    assert moved <= steps * 1e-3 + 1e-6  # lr 1 x a gradient norm of at most 1e-3, each step


def test_an_error_in_a_training_step_is_raised_to_the_trial():
    group = shipped_folds(PLAN, {}, None)
    model = group.folds[1].model

    def broken(batch, index):
        raise RuntimeError("fold 1 broke")

    model.training_step = broken
    group.folds[0].next_epoch()
    with pytest.raises(RuntimeError, match="fold 1 broke"):
        group.folds[1].next_epoch()


class EpochMetrics(pl.Callback):
    """What the module logged in each epoch, as the Trainer collected it (the module logs its
    training metrics in its own epoch-end hook, which runs after the callbacks')."""

    def __init__(self):
        self.epochs = []

    def _keep(self, trainer):
        self.epochs.append({name: float(value) for name, value in trainer.callback_metrics.items()})

    def on_train_epoch_start(self, trainer, module):
        if trainer.current_epoch > 0:
            self._keep(trainer)

    def on_fit_end(self, trainer, module):
        self._keep(trainer)


@pytest.mark.parametrize(
    "family, model_args, layout",
    [
        (
            "mlp",
            {
                "depth": 2,
                "width": 16,
                "dropout": 0.2,
                "schedule": "cosine",
                "l1": 1e-4,
                "grad_clip": "norm",
                "grad_clip_value": 0.5,
            },
            "flat",
        ),
        ("diffusion", {"channels": 4, "blocks": 1, "diffusion_steps": 10}, "image"),
    ],
)
def test_the_lean_loop_trains_the_module_as_lightnings_trainer_does(family, model_args, layout):
    """The lean loop trains a family's plain-torch training; Lightning's Trainer trains the
    family's LightningModule, which is that training under Lightning's base: same weights and
    same metrics, epoch by epoch."""
    plan = shipped_plan(
        family=family, model_args=model_args, data_args={"layout": layout}, max_epochs=3
    )
    prepare_process(plan)
    group = shipped_folds(plan, {"lr": 0.01}, None)
    lean = [results[0].metrics for results in iter(group.next_epoch, None)]
    assert not isinstance(group.folds[0].model, pl.LightningModule)

    prepare_process(plan)
    model_config, data_config = plan.model.arguments({"lr": 0.01})
    datamodule = DATASETS["digits"].datamodule_class()(
        data_config, batch_size=model_config.batch_size, seed=plan.seed
    )
    module = MODEL_FAMILIES[family].module_class()(model_config, datamodule.info)
    metrics = EpochMetrics()
    quick_trainer(max_epochs=3, callbacks=[metrics]).fit(module, datamodule=datamodule)

    assert len(lean) == len(metrics.epochs) == 3
    for mine, theirs in zip(lean, metrics.epochs, strict=True):
        assert mine.keys() == theirs.keys()
        assert all(mine[name] == pytest.approx(theirs[name], rel=1e-5) for name in mine)
    trained = group.folds[0].model.state_dict()
    assert trained.keys() == module.state_dict().keys()
    assert all(torch.allclose(trained[k], module.state_dict()[k], atol=1e-6) for k in trained)


def test_a_shipped_trial_trains_and_checkpoints_without_importing_lightning(tmp_path):
    """Importing Lightning costs a trial process seconds, scikit-learn more than one: the lean
    path, its data included, needs neither."""
    code = (
        "import pathlib\n"
        "import sweeps.trial.trainable\n"
        "from sweeps.trial.parts import prepare_process, shipped_folds\n"
        "from tests.helpers.plans import shipped_plan\n"
        "plan = shipped_plan(data_args={'validation': 'kfold', 'folds': 2})\n"
        "prepare_process(plan)\n"
        "group = shipped_folds(plan, {'lr': 0.01}, None)\n"
        "while group.next_epoch() is not None:\n"
        "    pass\n"
        f"group.save(pathlib.Path({str(tmp_path)!r}))"
    )
    assert loaded_after(code, (*LIGHTNING, "sklearn")) == []
    resumed = shipped_folds(
        shipped_plan(data_args={"validation": "kfold", "folds": 2}), {}, tmp_path
    )
    assert resumed.next_epoch() is None  # the checkpoints hold both folds' second epoch
