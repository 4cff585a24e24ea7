"""Modules of the zoo (tests/zoo/) as they are, trained, restored and evaluated the way a sweep's
trials do it, without Ray: a module whose hyperparameters hold objects (an ``nn.Module``, partial
optimizer and scheduler) restores from its checkpoints for a retry and a PBT exploit (each
exploit with its own values put back in force, recorded in the lineage) and is evaluated from
its checkpoint without unpickling those objects; a module built by LightningCLI's dependency
injection records its config as its hyperparameters, as LightningCLI does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lightning_modules.checkpoint import Unloaded, read_checkpoint
from sweeps.driver.checkpoint_evaluation import evaluate
from sweeps.results.epoch_results import EPOCH_RESULTS
from sweeps.trial.parts import prepare_process
from sweeps.trial.session import TrialReports, TrialSession
from sweeps.trial.trainable import train_in_process
from tests.helpers.zoo import importable, trial_plan


class Kept:
    """Each checkpoint the trial delivers, copied to ``folder/epoch-N``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.epochs: list[dict] = []

    def __call__(self, result: dict, folder: Path | None, last: bool) -> None:
        self.epochs += result[EPOCH_RESULTS]
        if folder is not None:
            shutil.copytree(folder, self.folder / f"epoch-{result['epoch']}")


def train(plan, config: dict, keep: Path, restored: Path | None = None) -> Kept:
    kept = Kept(keep)
    prepare_process(plan)
    session = TrialSession(plan, TrialReports(plan, "here", kept), restored)
    train_in_process(plan, config, session, restored)
    return kept


@pytest.fixture(scope="module")
def objects_project(tmp_path_factory):
    with importable("objects_in_hparams", tmp_path_factory.mktemp("zoo")) as folder:
        yield folder


@pytest.fixture(scope="module")
def injection_project(tmp_path_factory):
    with importable("cli_injection", tmp_path_factory.mktemp("zoo")) as folder:
        yield folder


VALUES = {"hidden": 32, "lr": 0.01, "weight_decay": 0.0, "batch_size": 32}


def test_objects_among_hyperparameters_restore_for_a_retry_and_an_exploit(
    objects_project, tmp_path
):
    plan = trial_plan(objects_project, max_epochs=3)
    first = train(plan, VALUES, tmp_path / "first")
    assert [entry["epoch"] for entry in first.epochs] == [1, 2, 3]
    stored = read_checkpoint(tmp_path / "first" / "epoch-1")
    assert isinstance(stored["hyper_parameters"]["net"], Unloaded)

    # A retry: the same values, from the epoch-1 checkpoint.
    retried = train(plan, VALUES, tmp_path / "retry", restored=tmp_path / "first" / "epoch-1")
    assert [entry["epoch"] for entry in retried.epochs] == [2, 3]
    assert read_checkpoint(tmp_path / "retry" / "epoch-3")["sweep_lineage"] == []

    # A PBT exploit: another trial's values over this checkpoint, its own learning rate in force.
    mutated = {**VALUES, "lr": 0.003}
    exploit = train(plan, mutated, tmp_path / "exploit", restored=tmp_path / "first" / "epoch-1")
    after = read_checkpoint(tmp_path / "exploit" / "epoch-3")
    (restore,) = after["sweep_lineage"]
    assert restore["epoch"] == 1 and restore["hp"]["lr"] == 0.003
    assert after["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.003)
    assert exploit.epochs[-1]["val/acc"] != first.epochs[-1]["val/acc"]


def test_a_checkpoint_holding_objects_is_evaluated_without_loading_them(objects_project, tmp_path):
    plan = trial_plan(objects_project, max_epochs=1)
    train(plan, VALUES, tmp_path)
    metrics = evaluate(tmp_path / "epoch-1")
    assert set(metrics) == {"test/acc", "test/loss"} and 0 < metrics["test/acc"] <= 1


def test_dependency_injection_records_the_config_as_lightningcli_does(injection_project, tmp_path):
    plan = trial_plan(injection_project, max_epochs=1)
    values = {"model.optimizer.init_args.lr": 0.02, "model.backbone.init_args.width": 16}
    train(plan, {**values, "data.batch_size": 16}, tmp_path)
    stored = read_checkpoint(tmp_path / "epoch-1")
    hparams = stored["hyper_parameters"]
    # The module ignores its injected arguments; what it keeps is what LightningCLI keeps.
    assert hparams == {
        "_class_path": "cli_injection.model.LitClassifier",
        "classes": 3,
        "_instantiator": "lightning.pytorch.cli.instantiate_module",
    }
    model = stored["sweep_model"]["config"]["model"]["init_args"]
    assert model["optimizer"]["init_args"]["lr"] == 0.02
    assert model["backbone"]["init_args"]["width"] == 16
    assert stored["optimizer_states"][0]["param_groups"][0]["weight_decay"] == 0.0001
    assert stored["state_dict"]["head.weight"].shape == (3, 16)
    assert 0 < evaluate(tmp_path / "epoch-1")["test_acc"] <= 1


def test_a_printed_config_with_injected_classes_is_swept_as_it_is(injection_project, monkeypatch):
    from sweeps.definition import load_sweep
    from sweeps.errors import SweepError

    monkeypatch.chdir(injection_project)
    spec = load_sweep("sweep.yaml")
    assert spec.model.user.recipe.paths["model.optimizer.init_args.lr"] == (
        "model",
        "init_args",
        "optimizer",
        "init_args",
        "lr",
    )
    with pytest.raises(SweepError) as caught:
        load_sweep(
            "sweep.yaml",
            overrides=[
                "space.model.optimizer.init_args.lrr={float: [0.001, 0.01]}",
                "space.model.backbone.init_args.widht={choice: [8, 16]}",
            ],
        )
    lines = str(caught.value).splitlines()
    assert (
        "space.model.optimizer.init_args.lrr: AdamW takes no argument 'lrr'; did you mean lr? "
        in lines[0]
    )
    assert (
        "space.model.backbone.init_args.widht: MLPBackbone takes no argument 'widht'; did "
        in (lines[1])
    )


def test_paths_into_the_project_follow_it_to_a_nodes_copy(tmp_path, monkeypatch):
    """A path into the project, made absolute where the sweep was loaded, points into the copy of
    the project that a node imports (a cluster's node runs the project Ray shipped, elsewhere)."""
    import shutil

    from sweeps.definition import load_sweep
    from sweeps.user_model.build import on_this_node

    with importable("pretrained_path", tmp_path / "driver") as loaded_in:
        monkeypatch.chdir(loaded_in)
        user = load_sweep("sweep.yaml").model.user.recipe
        monkeypatch.chdir(tmp_path)
    weights = user.config["model"]["init_args"]["pretrained"]
    assert weights == str(loaded_in / "weights" / "encoder.pt")
    shutil.rmtree(loaded_in)  # this node lacks the driver's folder
    with importable("pretrained_path", tmp_path / "node") as shipped:
        import pretrained_path.model  # noqa: F401 - the project as this node imports it

        targets = [user.config["model"]["class_path"]]
        moved = on_this_node(user.config, user.working_dir, targets)
    assert moved["model"]["init_args"]["pretrained"] == str(shipped / "weights" / "encoder.pt")


def test_a_ddp_strategy_of_the_users_keeps_its_options_for_data_parallel_trials(
    tmp_path, monkeypatch
):
    from sweeps.definition import load_sweep
    from sweeps.user_model.checking import ddp_options

    with importable("manual_gan", tmp_path) as folder:
        monkeypatch.chdir(folder)
        spec = load_sweep("sweep.yaml")
    assert (
        "trainer.strategy 'ddp_find_unused_parameters_true': data-parallel trials "
        "(resources.workers) keep its DDP options (find_unused_parameters=True)"
    ) in spec.model.user.notes
    by_class = {
        "class_path": "lightning.pytorch.strategies.DDPStrategy",
        "init_args": {"static_graph": True, "start_method": "spawn", "accelerator": "cpu"},
    }
    assert ddp_options(by_class, "lightning.pytorch") == {"static_graph": True}
    assert ddp_options("ddp_spawn", "pytorch_lightning") == {}
    assert ddp_options("fsdp", "lightning.pytorch") is None
    assert ddp_options(None, "lightning.pytorch") is None
