"""Hydra projects (sweeps.user_model.hydra_config, hydra_spec): the sweeper syntax, the overrides,
and every mistake caught when the sweep file is read, with the project in the popular template's
layout (tests/zoo/hydra_template) composed by Hydra itself."""

from __future__ import annotations

import shutil

import pytest
import yaml

from sweeps.definition import load_sweep, sweep_from_dict
from sweeps.errors import SweepError
from sweeps.sweep_file.space import Choice, FloatRange, Steps
from sweeps.user_model.hydra_config import HydraSource, composed, override, sweeper_entry
from tests.conftest import ROOT

PROJECT = ROOT / "tests" / "zoo" / "hydra_template"


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("interval(0.0001, 0.1)", {"float": [0.0001, 0.1]}),
        ("interval(1, 10)", {"float": [1.0, 10.0]}),  # Hydra's interval is of floats
        ("int(interval(32, 256))", {"int": [32, 256]}),
        ("tag(log, interval(0.0001, 0.1))", {"logfloat": [0.0001, 0.1]}),
        ("tag(log, int(interval(8, 256)))", {"logint": [8, 256]}),
        ("choice(32, 64, 128)", {"choice": [32, 64, 128]}),
        ("choice(relu, 'leaky relu')", {"choice": ["relu", "leaky relu"]}),
        ("range(1, 5)", {"choice": [1, 2, 3, 4]}),  # the stop excluded, as in Hydra
        ("range(0, 1, 0.25)", {"choice": [0, 0.25, 0.5, 0.75]}),
    ],
)
def test_hydras_sweeper_syntax_is_the_sweep_files_own(text, entry):
    assert sweeper_entry(text, "space.k") == entry


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("interval(1", "is not Hydra's sweeper syntax"),
        ("tag(grid, choice(1, 2))", "tag 'grid' is not known"),
        ("tag(log, choice(1, 2))", "tag(log, ...) goes with an interval"),
        ("range(5, 1)", "the range holds no value"),
    ],
)
def test_sweeper_syntax_mistakes_are_one_line(text, says):
    with pytest.raises(SweepError, match=says.replace("(", r"\(").replace(")", r"\)")):
        sweeper_entry(text, "space.k")


def test_values_become_overrides_hydra_reads_back():
    assert override("model.optimizer.lr", 0.003) == "model.optimizer.lr=0.003"
    assert override("a", True) == "a=true" and override("a", None) == "a=null"
    assert override("a", "it's") == "a='it\\'s'"
    assert override("a", [1, "x"]) == "a=[1,'x']"


@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    shutil.copytree(PROJECT, folder)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delenv("PROJECT_ROOT", raising=False)
    return folder


def raw_sweep(project, **changes):
    raw = yaml.safe_load((project / "sweep.yaml").read_text())
    raw.update(changes)
    return {key: value for key, value in raw.items() if value is not None}


def test_the_template_projects_sweep_reads_as_hydra_composes_it(project):
    spec = load_sweep("sweep.yaml")
    user = spec.model.user
    assert user.recipe.hydra["overrides"] == ["experiment=small", "logger=csv"]
    assert user.recipe.model_name == "hydra_template.models.blobs_module.BlobsLitModule"
    assert user.recipe.seed == 7  # the experiment's seed
    assert (
        isinstance(user.space["model.optimizer.lr"], FloatRange)
        and user.space["model.optimizer.lr"].log
    )
    assert isinstance(user.space["data.batch_size"], Choice)
    assert isinstance(user.space["model.net.hidden"], Steps)
    assert user.recipe.config["trainer"]["gradient_clip_val"] == 1.0
    assert any("ModelCheckpoint, ModelSummary left out" in note for note in user.notes)
    assert any("logger: CSVLogger kept" in note for note in user.notes)


def test_a_trials_values_reach_the_composed_config(project, tmp_path):
    source = HydraSource("configs", "train", ("experiment=small",))
    overrides = [override("model.net.hidden", 48), override("model.optimizer.lr", 0.01)]
    with composed(source, overrides, str(project), output_dir=str(tmp_path / "trial")) as config:
        assert config.model.net.hidden == 48 and config.model.optimizer.lr == 0.01
        assert config.paths.output_dir == str(tmp_path / "trial")  # ${hydra:runtime.output_dir}
        assert config.paths.root_dir == str(project)  # ${oc.env:PROJECT_ROOT}
        assert config.model.net.inputs == 16  # interpolated from the data group


def mistakes(project, **changes) -> list[str]:
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(raw_sweep(project, **changes), source="sweep.yaml")
    return [str(one) for one in caught.value.every]


def test_every_mistake_is_one_line_naming_its_key(project):
    hydra = {"config_path": "configs", "config_name": "train"}
    (line,) = mistakes(project, hydra={**hydra, "config_path": "confs"})
    assert "hydra.config_path: confs: no such folder" in line
    (line,) = mistakes(project, hydra={**hydra, "config_name": "trian"})
    assert "hydra.config_name" in line and "did you mean train?" in line
    (line,) = mistakes(project, hydra={**hydra, "overrides": ["experiment=large"]})
    assert "hydra: Hydra cannot compose train" in line and "experiment" in line
    (line,) = mistakes(project, hydra={**hydra, "overrides": "experiment=small"})
    assert "hydra.overrides" in line
    (line,) = mistakes(project, hydra={**hydra, "config_dir": "configs"})
    assert "hydra.config_dir: unknown key" in line
    found = mistakes(
        project,
        space={
            "model.optimizer.lrr": "interval(0.001, 0.1)",
            "model.net.hiden": {"int": [8, 32]},
            "data.batch_size": "choice(",
        },
    )
    assert len(found) == 3, found
    assert any(
        "space.model.optimizer.lrr" in f and "did you mean model.optimizer.lr" in f for f in found
    )
    assert any("space.model.net.hiden" in f and "model.net.hidden" in f for f in found)
    assert any("space.data.batch_size" in f and "sweeper syntax" in f for f in found)
    (line,) = mistakes(
        project, model={"class_path": "hydra_template.models.blobs_module.BlobsLitModule"}
    )
    assert "model: belongs in it" in line
