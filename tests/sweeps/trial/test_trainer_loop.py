"""A trial of the user's own module under Lightning's Trainer, driven by the one trial protocol
(sweeps.trial.session) without Ray: what it reports and when, its checkpoints and resuming from
them, the user's callbacks, step-interval schedules, both Lightning packages, manual optimisation
with two optimizers, EarlyStopping, a misspelt or non-scalar metric, and a PBT exploit's values
put in force over a donor's checkpoint."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import pytest
import torch

from sweeps.definition import sweep_from_dict
from sweeps.definition.trial_plan import TrialPlan
from sweeps.results.epoch_results import EPOCH_RESULTS
from sweeps.results.trial_status import ENDED, ENDED_REASON, METRIC_MISSING
from sweeps.trial.parts import prepare_process
from sweeps.trial.session import TrialReports, TrialSession
from sweeps.trial.trainable import train_in_process


@pytest.fixture(scope="module")
def project(importable_user_project):
    return importable_user_project


class Sent:
    """What the trial reported, with the files of each checkpoint kept for later."""

    def __init__(self, keep: Path | None = None):
        self.results: list[tuple[dict, list[str], bool]] = []
        self.keep = keep

    def __call__(self, result: dict, folder: Path | None, last: bool) -> None:
        files = sorted(path.name for path in folder.iterdir()) if folder else []
        if folder is not None and self.keep is not None:
            shutil.copytree(folder, self.keep / f"epoch-{result['epoch']}")
        self.results.append((result, files, last))

    @property
    def epochs(self) -> list[dict]:
        return [entry for result, _, _ in self.results for entry in result[EPOCH_RESULTS]]


def plan_for(
    model: dict,
    data: dict | None = None,
    trainer: dict | None = None,
    metric: str = "val/acc",
    max_epochs: int = 3,
    checkpoint_every: int = 1,
) -> TrialPlan:
    raw = {
        "name": "t",
        "model": model,
        "metric": metric,
        "mode": "max",
        "data": data or {"class_path": "sweepable.data.Blobs"},
    }
    if trainer:
        raw["trainer"] = trainer
    spec = sweep_from_dict(raw, source="t.yaml")
    return TrialPlan(
        model=spec.model.trial_model(0),
        metric=metric,
        mode="max",
        max_epochs=max_epochs,
        checkpoint_every=checkpoint_every,
        seed=0,
        cpus=1,
        gpus=0,
    )


def run(
    plan: TrialPlan,
    config: dict | None = None,
    restored: Path | None = None,
    keep: Path | None = None,
) -> Sent:
    sent = Sent(keep)
    prepare_process(plan)
    session = TrialSession(plan, TrialReports(plan, "here", sent), restored)
    train_in_process(plan, config or {}, session, restored)
    return sent


def test_each_epoch_is_reported_with_its_checkpoint_and_a_resumed_trial_continues(
    project, tmp_path
):
    lr_monitor = {
        "class_path": "lightning.pytorch.callbacks.LearningRateMonitor",
        "init_args": {"logging_interval": "epoch"},
    }
    plan = plan_for(
        {
            "class_path": "sweepable.models.Classifier",
            "init_args": {"hidden": 8, "step_gamma": 0.9},
        },
        trainer={"callbacks": [lr_monitor]},
    )
    sent = run(plan, keep=tmp_path)
    assert [entry["epoch"] for entry in sent.epochs] == [1, 2, 3]
    assert [last for _, _, last in sent.results] == [False, False, True]
    assert all(
        files == ["metrics.json", "model.ckpt", "patience.json"] for _, files, _ in sent.results
    )
    first, second, third = sent.epochs
    assert {"val/acc", "val/loss", "train/loss", "lr", "lr-SGD"} <= set(first)
    # The step-interval schedule steps every batch (8 batches of 32 in 240 training rows).
    assert third["lr"] == pytest.approx(0.05 * 0.9**24, rel=1e-5) and second["lr"] == pytest.approx(
        0.05 * 0.9**16, rel=1e-5
    )
    # The user's LearningRateMonitor is in force (it logs at each epoch's start).
    assert second["lr-SGD"] == pytest.approx(first["lr"], rel=1e-5)
    stored = torch.load(tmp_path / "epoch-2" / "model.ckpt", weights_only=False)
    assert (
        stored["sweep_model"]["config"]["model"]["init_args"]["hidden"] == 8
        and stored["world_size"] == 1
    )

    resumed = run(plan, restored=tmp_path / "epoch-2")
    assert [entry["epoch"] for entry in resumed.epochs] == [3]
    assert resumed.epochs[0]["lr"] == pytest.approx(third["lr"], rel=1e-5)


def test_the_users_precision_and_gradient_accumulation_are_in_force(project):
    settings = {"class_path": "sweepable.callbacks.Settings"}
    sent = run(
        plan_for(
            {"class_path": "sweepable.models.Classifier"},
            max_epochs=2,
            trainer={
                "precision": "bf16-mixed",
                "accumulate_grad_batches": 2,
                "callbacks": [settings],
            },
        )
    )
    first, second = sent.epochs
    assert first["seen/bf16"] == 1.0 and first["seen/accumulate_grad_batches"] == 2.0
    assert (first["seen/global_step"], second["seen/global_step"]) == (
        4.0,
        8.0,
    )  # 8 batches an epoch, 2 per step


def test_a_pytorch_lightning_module_and_manual_optimisation_with_two_optimizers_train(project):
    classic = plan_for(
        {"class_path": "sweepable.models.ClassicClassifier"},
        {"class_path": "sweepable.data.ClassicBlobs"},
        max_epochs=2,
    )
    assert classic.model.flavour == "pytorch_lightning"  # type: ignore[union-attr]
    assert [entry["epoch"] for entry in run(classic).epochs] == [1, 2]
    manual = run(plan_for({"class_path": "sweepable.models.TwoOptimizers"}, max_epochs=2))
    assert [entry["epoch"] for entry in manual.epochs] == [1, 2] and 0 <= manual.epochs[-1][
        "val/acc"
    ] <= 1


def test_the_users_early_stopping_ends_the_trial_with_its_last_report(project):
    stop_now = {
        "class_path": "lightning.pytorch.callbacks.EarlyStopping",
        "init_args": {
            "monitor": "val/acc",
            "mode": "max",
            "patience": 0,
            "stopping_threshold": 0.0,
        },
    }
    sent = run(
        plan_for(
            {"class_path": "sweepable.models.Classifier"},
            trainer={"callbacks": [stop_now]},
            max_epochs=10,
        )
    )
    assert [entry["epoch"] for entry in sent.epochs] == [1] and sent.results[-1][2]
    assert sent.results[-1][1] == ["metrics.json", "model.ckpt", "patience.json"]


@pytest.mark.parametrize(
    "metric, expected",
    [
        (
            "val/accuracy",
            "metric 'val/accuracy' was never logged by sweepable.models.Classifier; it logged: "
            "lr-SGD, val/acc, val/loss; did you mean 'val/acc'?",
        ),
        (
            "train/los",
            "metric 'train/los' was never logged by sweepable.models.Classifier; it logged: lr, lr-SGD, "
            "train/loss, val/acc, val/loss; did you mean 'train/loss'?",
        ),
        (
            "val/per_class",
            "metric 'val/per_class' is not one number: sweepable.models.Classifier logged a tensor of shape "
            "(3,); log a scalar (a float or a one-element tensor)",
        ),
    ],
)
def test_a_metric_the_module_never_logs_ends_the_trial_at_its_first_validation(
    project, metric, expected
):
    lr_monitor = {
        "class_path": "lightning.pytorch.callbacks.LearningRateMonitor",
        "init_args": {"logging_interval": "epoch"},
    }
    plan = plan_for(
        {"class_path": "sweepable.models.Classifier", "init_args": {"log_vector": True}},
        trainer={"callbacks": [lr_monitor]},
        metric=metric,
        max_epochs=5,
    )
    started = time.monotonic()
    sent = run(plan)
    assert time.monotonic() - started < 30
    ((result, files, last),) = sent.results
    assert last and files == [] and result[ENDED] == METRIC_MISSING and result["done"]
    assert result[ENDED_REASON] == expected


def test_a_pbt_exploit_puts_its_own_learning_rate_in_force_over_the_donors(project, tmp_path):
    plan = plan_for(
        {"class_path": "sweepable.models.Classifier", "init_args": {"optimizer": "adam"}},
        max_epochs=4,
        checkpoint_every=2,
    )
    plan = dataclasses.replace(
        plan,
        model=dataclasses.replace(plan.model, paths={"model.lr": ("model", "init_args", "lr")}),
    )
    run(plan, {"model.lr": 0.01}, keep=tmp_path)
    donor = torch.load(tmp_path / "epoch-2" / "model.ckpt", weights_only=False)
    assert donor["sweep_model"]["config"]["model"]["init_args"]["lr"] == 0.01
    # The exploiting trial continues from the donor's checkpoint with lr 0.03.
    exploited = run(
        plan, {"model.lr": 0.03}, restored=tmp_path / "epoch-2", keep=tmp_path / "exploit"
    )
    assert [entry["epoch"] for entry in exploited.epochs] == [3, 4]
    after = torch.load(tmp_path / "exploit" / "epoch-4" / "model.ckpt", weights_only=False)
    (restore,) = after["sweep_lineage"]
    assert restore["epoch"] == 2 and restore["lr"] == pytest.approx(0.03)
    assert after["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.03)
    # Adam's moments came from the donor: the step count continues.
    steps = [state["step"] for state in after["optimizer_states"][0]["state"].values()]
    assert all(float(step) == 32 for step in steps)  # 8 batches a epoch, 4 epochs
