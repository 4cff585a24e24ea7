"""A sweep file naming the user's own LightningModule: class paths, LightningCLI configs (printed
by the project's own LightningCLI, fixed-class style), dotted searched keys, a blueprint, and one
line for every mistake, before anything runs. The project lives in a temporary folder outside the
repository and is not installed: it is imported from the working directory, as a user's is."""

from __future__ import annotations

import time

import pytest
import yaml

from sweeps.definition import sweep_from_dict
from sweeps.errors import SweepError
from sweeps.sweep_file.space import Steps
from tests.helpers.user_project import printed_config


@pytest.fixture(scope="module")
def project(importable_user_project):
    return importable_user_project


@pytest.fixture
def in_project(project, monkeypatch):
    monkeypatch.chdir(project)
    return project


def sweep(**sections) -> dict:
    base = {
        "name": "mine",
        "model": {"class_path": "sweepable.models.Classifier", "init_args": {"hidden": 16}},
        "data": {"class_path": "sweepable.data.Blobs"},
        "space": {"model.init_args.lr": {"logfloat": [1e-3, 0.3]}},
        "metric": "val/acc",
        "mode": "max",
    }
    base.update(sections)
    return {key: value for key, value in base.items() if value is not None}


def error_of(raw: dict) -> str:
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(raw, source="mine.yaml")
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_class_paths_dotted_keys_and_both_styles_of_a_model_key(in_project):
    spec = sweep_from_dict(
        sweep(
            space={
                "model.init_args.lr": {"logfloat": [1e-3, 0.3]},
                "model.hidden": {"int": [16, 64], "step": 16},
                "data.batch_size": {"choice": [16, 32]},
                "trainer.gradient_clip_val": {"float": [0.1, 2.0], "step": 0.1},
            }
        ),
        source="mine.yaml",
    )
    plan = spec.model.user.recipe
    assert plan.flavour == "lightning.pytorch" and plan.model_name == "sweepable.models.Classifier"
    assert plan.paths == {
        "model.init_args.lr": ("model", "init_args", "lr"),
        "model.hidden": ("model", "init_args", "hidden"),
        "data.batch_size": ("data", "init_args", "batch_size"),
        "trainer.gradient_clip_val": ("trainer", "gradient_clip_val"),
    }
    assert isinstance(spec.space["model.hidden"], Steps) and spec.space["model.hidden"].values == (
        16,
        32,
        48,
        64,
    )
    assert spec.space["trainer.gradient_clip_val"].values[:3] == (0.1, 0.2, 0.3)
    assert spec.logged_metrics == ()  # what the module logs is found in its results
    # model.lr and model.init_args.lr are one key.
    assert "names the same key as model.init_args.lr" in error_of(
        sweep(
            space={"model.init_args.lr": {"float": [0.01, 0.1]}, "model.lr": {"float": [0.01, 0.1]}}
        )
    )


@pytest.mark.parametrize("subclass_mode", [False, True])
def test_a_config_printed_by_the_projects_own_lightning_cli_works_as_it_is(
    in_project, subclass_mode
):
    (in_project / "printed.yaml").write_text(printed_config(in_project, subclass_mode))
    printed = yaml.safe_load((in_project / "printed.yaml").read_text())
    assert {
        "seed_everything",
        "trainer",
        "model",
        "data",
        "optimizer",
        "lr_scheduler",
        "ckpt_path",
    } <= set(printed)
    assert ("class_path" in printed["model"]) == subclass_mode
    # Subclass mode: the config names the classes; fixed-class mode: the sweep file does.
    classes = (
        {"model": None, "data": None}
        if subclass_mode
        else {
            "model": {"class_path": "sweepable.models.Classifier"},
            "data": {"class_path": "sweepable.data.Blobs"},
        }
    )
    spec = sweep_from_dict(
        sweep(
            **classes,
            lightning_config=["printed.yaml"],
            seed=None,
            space={
                "model.init_args.lr": {"logfloat": [1e-3, 0.3]},
                "data.batch_size": {"choice": [16, 64]},
            },
        ),
        source="mine.yaml",
    )
    plan = spec.model.user.recipe
    assert plan.config["model"]["class_path"] == "sweepable.models.Classifier"
    assert (
        plan.config["model"]["init_args"]["hidden"] == 24 and plan.seed == 7
    )  # from the config's seed_everything
    notes = " | ".join(spec.model.user.notes)
    assert (
        "trainer.max_epochs 30 is set by stop.max_epochs" in notes
        and "seed: 7, from seed_everything" in notes
    )


def test_a_fixed_class_config_takes_its_classes_from_the_sweep_and_keys_merge_in_order(in_project):
    (in_project / "override.yaml").write_text(
        "model: {lr: 0.2}\ntrainer: {gradient_clip_val: 0.5}\n"
    )
    spec = sweep_from_dict(
        sweep(
            model={"class_path": "sweepable.models.Classifier", "init_args": {"features": 8}},
            lightning_config=["configs/fit.yaml", "override.yaml"],
        ),
        source="mine.yaml",
    )
    config = spec.model.user.recipe.config
    assert config["model"]["init_args"] == {"hidden": 24, "lr": 0.2, "features": 8}
    assert config["trainer"]["gradient_clip_val"] == 0.5 and config["trainer"]["max_epochs"] == 30
    assert config["data"] == {"class_path": "sweepable.data.Blobs", "init_args": {"batch_size": 32}}


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"model": {"class_path": "sweepable.modelz.Classifier"}},
            "model.class_path: module sweepable has no 'modelz'; did you mean models?",
        ),
        (
            {"model": {"class_path": "unheard_of.models.Classifier"}},
            "model.class_path: cannot import unheard_of: there is no module 'unheard_of'",
        ),
        (
            {"model": {"class_path": "sweepable.models.Clasifier"}},
            "model.class_path: module sweepable.models has no 'Clasifier'; did you mean Classifier?",
        ),
        (
            {"model": {"class_path": "sweepable.models.NotAModule"}},
            "model.class_path: sweepable.models.NotAModule is not a LightningModule",
        ),
        (
            {"data": {"class_path": "sweepable.models.Classifier"}},
            "data.class_path: sweepable.models.Classifier is not a LightningDataModule",
        ),
        (
            {"data": {"class_path": "sweepable.data.ClassicBlobs"}},
            "the model is written against lightning.pytorch and the data module against pytorch_lightning",
        ),
        (
            {"model": {"class_path": "sweepable.models.Classifier", "init_args": {"hiden": 3}}},
            "model.init_args.hiden: Classifier takes no argument 'hiden'; did you mean hidden? it takes: features, hidden, lr",
        ),
        (
            {
                "model": {
                    "class_path": "sweepable.models.Classifier",
                    "init_args": {"hidden": "wide"},
                }
            },
            "model.init_args.hidden: expected int, got wide",
        ),
        (
            {"trainer": {"max_epoch": 3}},
            "trainer.max_epoch: Trainer takes no argument 'max_epoch'; did you mean max_epochs",
        ),
        (
            {"space": {"model.init_args.hiden": {"int": [8, 32]}}},
            "space.model.init_args.hiden: Classifier takes no argument 'hiden'; did you mean hidden?",
        ),
        (
            {"space": {"lr": {"float": [0.01, 0.1]}}},
            "space.lr: a searched key of your own model is a dotted path into its config",
        ),
        (
            {"space": {"model.init_args.hidden": {"float": [8.5, 32.0]}}},
            "space.model.init_args.hidden: value 8.5 is not allowed for model.init_args.hidden: expected int",
        ),
        (
            {"space": {"model.init_args.optimizer": {"choice": ["sgd", 3]}}},
            "value 3 is not allowed for model.init_args.optimizer: expected str",
        ),
        (
            {"space": {"trainer.max_epochs": {"int": [2, 4]}}},
            "space.trainer.max_epochs: trainer.max_epochs is set by stop.max_epochs, not searched",
        ),
        (
            {"space": {"optimizer.init_args.lr": {"float": [0.01, 0.1]}}},
            "optimizer: is not in the config",
        ),
        ({"lightning_config": ["nowhere.yaml"]}, "lightning_config[0]: "),
        ({"lightning_config": ["broken.yaml"]}, "broken.yaml does not parse"),
        (
            {"lightning_config": ["checkpointed.yaml"]},
            "ckpt_path '/tmp/last.ckpt': a sweep starts every trial afresh",
        ),
        (
            {"model": {"builder": "sweepable.tuning:built"}},
            "model.builder: module sweepable.tuning has no 'built'; did you mean build?",
        ),
    ],
)
def test_every_mistake_is_one_line_naming_the_key(in_project, changes, expected):
    (in_project / "broken.yaml").write_text("model: {hidden: [1, 2\n")
    (in_project / "checkpointed.yaml").write_text("ckpt_path: /tmp/last.ckpt\n")
    assert expected in error_of(sweep(**changes))


def test_the_shipped_families_are_short_names_for_class_paths():
    by_name = sweep_from_dict(
        {
            "name": "a",
            "model": {"family": "mlp", "depth": 1},
            "data": {"dataset": "digits"},
            "space": {"lr": {"logfloat": [1e-3, 1e-1]}},
            "metric": "val_accuracy",
            "mode": "max",
        },
        source="a.yaml",
    )
    by_path = sweep_from_dict(
        {
            "name": "a",
            "model": {
                "class_path": "lightning_modules.models.mlp.MLPClassifier",
                "init_args": {"depth": 1},
            },
            "data": {"class_path": "lightning_modules.data.digits.DigitsDataModule"},
            "space": {"lr": {"logfloat": [1e-3, 1e-1]}},
            "metric": "val_accuracy",
            "mode": "max",
        },
        source="a.yaml",
    )
    assert by_path.model == by_name.model and not by_path.model.is_users_own
    assert (by_path.model.family.name, by_path.model.dataset.name) == ("mlp", "digits")
    # Their keys may be written as paths into the config too, as a user's model's are.
    as_paths = sweep_from_dict(
        {
            "name": "a",
            "model": {"family": "mlp"},
            "data": {"dataset": "digits"},
            "space": {
                "model.lr": {"logfloat": [1e-3, 1e-1]},
                "model.init_args.optimizer": {"choice": ["sgd", "adam"]},
                "model.momentum": {"float": [0.5, 0.9], "when": {"model.optimizer": "sgd"}},
                "data.init_args.val_fraction": {"choice": [0.1, 0.2]},
            },
            "metric": "val_accuracy",
            "mode": "max",
        },
        source="a.yaml",
    )
    assert list(as_paths.space) == ["lr", "optimizer", "momentum", "data.val_fraction"]
    assert as_paths.conditions.when["momentum"][0].parent == "optimizer"
    with pytest.raises(SweepError, match="space.model.lr: names the same key as lr"):
        sweep_from_dict(
            {
                "name": "a",
                "model": {"family": "mlp"},
                "data": {"dataset": "digits"},
                "space": {"lr": {"logfloat": [1e-3, 1e-1]}, "model.lr": {"logfloat": [1e-3, 1e-1]}},
                "metric": "val_accuracy",
                "mode": "max",
            },
            source="a.yaml",
        )


def test_a_blueprint_is_searched_by_what_it_asks_for_with_conditional_values(in_project):
    started = time.monotonic()
    spec = sweep_from_dict(
        sweep(model={"builder": "sweepable.tuning:build"}, data=None, space=None),
        source="mine.yaml",
    )
    assert time.monotonic() - started < 10
    assert list(spec.space) == ["optimizer", "momentum", "hidden", "lr", "batch_size"]
    (condition,) = spec.conditions.when["momentum"]
    assert (condition.parent, condition.values) == ("optimizer", ("sgd",))
    assert spec.space["momentum"].values == (0.0, 0.3, 0.6, 0.9) and spec.space[
        "hidden"
    ].values == (16, 32, 48, 64)
    assert spec.space["lr"].log and spec.model.user.recipe.blueprint_keys == tuple(spec.space)
    # The data module comes from the blueprint, so data: would name a second one.
    assert "returns a data module, and data: names one too" in error_of(
        sweep(model={"builder": "sweepable.tuning:build"}, space=None)
    )


def test_the_dry_run_shows_the_users_model_and_what_the_sweep_sets(in_project):
    from sweeps.driver.summaries import describe

    spec = sweep_from_dict(
        sweep(
            trainer={"max_epochs": 99, "gradient_clip_val": 0.5},
            space={"model.hidden": {"int": [16, 64], "step": 16}},
        ),
        source="mine.yaml",
    )
    shown = describe(spec, "results")
    assert "model      sweepable.models.Classifier (hidden=16) (lightning.pytorch)" in shown
    assert "data       sweepable.data.Blobs" in shown
    assert "note       trainer.max_epochs 99 is set by stop.max_epochs" in shown
    assert "model.hidden         int [16, 64] step 16" in shown


def test_relative_paths_among_the_arguments_become_absolute_from_the_working_directory(in_project):
    (in_project / "data").mkdir(exist_ok=True)
    spec = sweep_from_dict(
        sweep(data={"class_path": "sweepable.data.Blobs", "init_args": {"root": "data/"}}),
        source="mine.yaml",
    )
    assert spec.model.user.recipe.config["data"]["init_args"]["root"] == str(in_project / "data")


STEPPED_SPACE = {
    "model.init_args.lr": {"logfloat": [1e-3, 0.3]},
    "model.hidden": {"int": [16, 64], "step": 16},
    "data.batch_size": {"choice": [16, 32]},
}


@pytest.mark.parametrize("searcher", ["random", "grid", "tpe", "gp", "bohb"])
def test_every_searcher_proposes_a_users_dotted_keys(in_project, searcher):
    from sweeps.searchers import searcher_module

    space = (
        {"model.hidden": {"choice": [16, 32]}, "data.batch_size": {"choice": [16, 32]}}
        if searcher == "grid"
        else STEPPED_SPACE
    )
    spec = sweep_from_dict(sweep(space=space, searcher={"name": searcher}), source="mine.yaml")
    search_alg, param_space = searcher_module(searcher).build(spec.searcher, spec.search_problem())
    assert search_alg is not None
    if searcher in ("tpe", "gp"):  # define-by-run: one proposal straight from Optuna
        import optuna

        from sweeps.searchers.optuna_space import suggest

        trial = optuna.create_study().ask()
        as_written = suggest(spec.space, spec.conditions, trial)
        proposed = {**trial.params, **as_written}
        assert proposed["model.hidden"] in (16, 32, 48, 64) and proposed["data.batch_size"] in (
            16,
            32,
        )
    else:
        assert set(param_space) == set(space)


@pytest.mark.parametrize(
    "scheduler",
    [
        {"name": "fifo"},
        {"name": "asha", "grace_period": 1},
        {"name": "hyperband"},
        {"name": "median"},
        {"name": "pbt", "perturbation_interval": 2},
        {"name": "pb2", "perturbation_interval": 2, "mutate": ["model.init_args.lr"]},
    ],
)
def test_every_scheduler_takes_a_users_dotted_keys(in_project, scheduler):
    from sweeps.schedulers import scheduler_module

    checkpoint = {"every": 1, "keep": None} if scheduler["name"] in ("pbt", "pb2") else None
    spec = sweep_from_dict(
        sweep(
            space=STEPPED_SPACE, scheduler=scheduler, checkpoint=checkpoint, stop={"max_epochs": 4}
        ),
        source="mine.yaml",
    )
    assert (
        scheduler_module(spec.scheduler_name).build(spec.scheduler, spec.schedule_problem())
        is not None
    )
    if scheduler["name"] == "pbt":  # unlisted, the real-valued keys mutate
        from sweeps.schedulers.population import mutated_keys

        assert mutated_keys(None, spec.schedule_problem(), "pbt") == ["model.init_args.lr"]


def test_every_unknown_argument_of_a_users_classes_is_reported_at_once(in_project):
    raw = sweep(
        model={"class_path": "sweepable.models.Classifier", "init_args": {"hiden": 16, "lrr": 0.1}},
        trainer={"max_epoch": 3},
        mode="maximum",
    )
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(raw, source="mine.yaml")
    paths = [error.path for error in caught.value.errors]
    assert paths == ["model.init_args.hiden", "model.init_args.lrr", "trainer.max_epoch", "mode"], (
        paths
    )


def test_wrong_values_and_searched_keys_are_reported_with_the_unknown_arguments(in_project):
    """LightningCLI's parser stops at its first error; every wrong value is still reported, and
    the space is checked in the same pass."""
    raw = sweep(
        model={
            "class_path": "sweepable.models.Classifier",
            "init_args": {"hiden": 16, "hidden": "wide", "lr": "fast"},
        },
        data={"class_path": "sweepable.data.Blobs", "init_args": {"batch_size": "big"}},
        trainer={"gradient_clip_val": "high"},
        space={
            "model.init_args.lr": {"logfloat": [1e-3, 0.3]},
            "model.init_args.features": {"float": [2.5, 8.0]},
            "data.batchsize": {"choice": [16, 32]},
            "lr": {"float": [0.01, 0.1]},
        },
    )
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(raw, source="mine.yaml")
    found = {error.path: error.message for error in caught.value.errors}
    assert set(found) == {
        "model.init_args.hiden",
        "model.init_args.hidden",
        "model.init_args.lr",
        "data.init_args.batch_size",
        "trainer.gradient_clip_val",
        "space.model.init_args.features",
        "space.data.batchsize",
        "space.lr",
    }, found
    assert found["model.init_args.hidden"] == "expected int, got wide"
    assert found["data.init_args.batch_size"].startswith("expected int")
    assert "did you mean hidden?" in found["model.init_args.hiden"]
    assert "did you mean batch_size?" in found["space.data.batchsize"]
    assert "value 2.5 is not allowed" in found["space.model.init_args.features"]


def test_a_wrong_required_value_is_reported_once(in_project):
    raw = sweep(data={"class_path": "sweepable.data.Blobs", "init_args": {"samples": "many"}})
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(raw, source="mine.yaml")
    assert [error.path for error in caught.value.errors] == ["data.init_args.samples"]
