"""What a sweep trains is one of two kinds, each answering what differs between them; no code
outside the kinds asks which kind a sweep has."""

from __future__ import annotations

import re

from sweeps.definition import sweep_from_dict
from sweeps.definition.model_kinds import ShippedModel, UsersModel
from sweeps.definition.trial_plan import ShippedTrialModel
from sweeps.user_model.trial_model import UserTrialModel
from tests.conftest import ROOT

SHIPPED = {
    "name": "kinds",
    "model": {"family": "mlp", "width": 16},
    "data": {"dataset": "digits", "validation": "kfold", "folds": 2},
    "space": {"lr": {"logfloat": [0.001, 0.1]}, "depth": {"choice": [1, 2]}},
    "metric": "val_accuracy",
    "mode": "max",
    "scheduler": {"name": "pbt", "perturbation_interval": 2},
    "checkpoint": {"every": 1, "keep": 4},
}


def test_a_shipped_family_answers_for_itself():
    spec = sweep_from_dict(SHIPPED, source="kinds.yaml")
    assert isinstance(spec.model, ShippedModel) and not spec.model.is_users_own
    assert spec.model_name == "the mlp model" and spec.model.short_name == "mlp"
    assert "val_accuracy_fold_std" in spec.logged_metrics  # k-fold adds the metric's spread
    assert spec.model.mutable_keys(spec.space) == {"lr"}  # depth shapes the network
    assert spec.model.summary_lines() == [
        "model      mlp (width=16)",
        "data       digits (validation=kfold, folds=2)",
    ]
    assert "lightning_modules.networks.mlp" in spec.model.evaluator_modules()
    assert spec.model.trial_libraries() == [
        "lightning_modules.networks.mlp",
        "lightning_modules.data.sources.digits",
    ]
    trial = spec.trial_plan().model
    assert isinstance(trial, ShippedTrialModel) and trial.lean_loop
    assert trial.model_and_data({"lr": 0.01, "depth": 2})[0] == {
        "family": "mlp",
        "width": 16,
        "depth": 2,
        "lr": 0.01,
    }


def test_a_users_module_answers_for_itself(tmp_path, monkeypatch):
    from tests.helpers.user_project import write_project

    project = write_project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    spec = sweep_from_dict(
        {
            "name": "own",
            "model": {"class_path": "sweepable.models.Classifier"},
            "data": {"class_path": "sweepable.data.Blobs"},
            "space": {"model.lr": {"logfloat": [0.001, 0.1]}},
            "metric": "val/acc",
            "mode": "max",
        },
        source="own.yaml",
    )
    assert isinstance(spec.model, UsersModel) and spec.model.is_users_own
    assert spec.model_name == "sweepable.models.Classifier" and spec.logged_metrics == ()
    assert spec.model.mutable_keys(spec.space) == {"model.lr"}
    assert spec.model.summary_lines()[0].startswith("model      sweepable.models.Classifier")
    assert spec.model.evaluator_modules() is None  # evaluated in the driver's process
    assert spec.model.trial_libraries() == ["lightning.pytorch"]  # not the user's own modules
    trial = spec.trial_plan().model
    assert isinstance(trial, UserTrialModel) and not trial.lean_loop
    assert trial.patience_of({"model.lr": 0.01}) is None
    model, data = trial.model_and_data({"model.lr": 0.01})
    assert model["init_args"]["lr"] == 0.01 and data["class_path"] == "sweepable.data.Blobs"


def test_no_code_outside_the_kinds_asks_which_kind_a_sweep_has():
    asking = re.compile(
        r"\b(spec|plan)\.(user|family|dataset|model_args|data_args|data_info)\b|\buser is (not )?None"
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for top in ("sweeps", "launchers", "benchmarks")
        for path in (ROOT / top).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if asking.search(line)
    ]
    assert found == []
