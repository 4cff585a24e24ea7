"""Loading sweep files: overrides, YAML details and the typed result."""

import pytest
from ray import tune

from sweeps.definition import load_sweep, sweep_from_dict
from sweeps.errors import SweepError
from sweeps.sweep_file.space import Choice, FloatRange, Grid, IntRange
from tests.conftest import ROOT

DEFAULT = ROOT / "sweeps" / "digits_asha.yaml"


def minimal(**extra):
    raw = {
        "name": "s",
        "model": {"family": "mlp"},
        "data": {"dataset": "digits"},
        "metric": "val_loss",
        "mode": "min",
    }
    raw.update(extra)
    return raw


def test_defaults_fill_every_section():
    spec = sweep_from_dict(minimal(), source="inline")
    assert spec.searcher_name == "random" and spec.scheduler_name == "fifo"
    assert spec.trials.num_samples == 1 and spec.trials.max_concurrent is None
    assert spec.resources.cpu == 1 and spec.resources.gpu == 0
    assert spec.checkpoint.every == "auto" and spec.checkpoint.interval_s == 60
    assert spec.failure.max_retries == 0 and spec.seed == 0


@pytest.mark.parametrize("scheduler", ["pbt", "pb2"])
def test_a_minimal_population_sweep_gets_defaults_its_scheduler_takes(scheduler):
    space = {"lr": {"logfloat": [1e-3, 1e-1]}}
    short = sweep_from_dict(
        minimal(space=space, scheduler={"name": scheduler}, stop={"max_epochs": 3}), "inline"
    )
    assert short.checkpoint.keep == 4 and short.scheduler.perturbation_interval == 1
    long = sweep_from_dict(minimal(space=space, scheduler={"name": scheduler}), "inline")
    assert long.checkpoint.keep == 4 and long.scheduler.perturbation_interval == 4
    # What the sweep writes stands, and is refused where it would not work.
    with pytest.raises(SweepError, match=r"checkpoint\.keep: .* \(got 2\)"):
        sweep_from_dict(
            minimal(space=space, scheduler={"name": scheduler}, checkpoint={"keep": 2}), "inline"
        )
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(
            minimal(space=space, scheduler={"name": scheduler}, stop={"max_epochs": 1}), "inline"
        )
    assert str(caught.value) == (
        f"inline: stop.max_epochs: {scheduler} perturbs trials between epochs, and "
        "stop.max_epochs 1 leaves no epoch to perturb after; train at least 2 epochs, or use "
        "another scheduler"
    )
    # Tune refuses a model-based searcher beside a population only once the sweep runs.
    with pytest.raises(SweepError, match=rf"searcher\.name: {scheduler} draws .* \(got tpe\)"):
        sweep_from_dict(
            minimal(space=space, scheduler={"name": scheduler}, searcher={"name": "tpe"}),
            "inline",
        )


def test_early_stopping_on_one_epoch_names_the_epochs_not_a_default():
    with pytest.raises(SweepError) as caught:
        sweep_from_dict(minimal(scheduler={"name": "median"}, stop={"max_epochs": 1}), "inline")
    assert str(caught.value).startswith("inline: stop.max_epochs: median stopping compares")


def test_set_overrides_any_key_by_dotted_path():
    spec = load_sweep(
        DEFAULT,
        overrides=[
            "trials.num_samples=4",
            "stop.max_epochs=2",
            "scheduler.grace_period=1",
            "space.lr={logfloat: [1e-3, 1e-2]}",
            "model.weight_decay=1e-4",
        ],
    )
    assert spec.trials.num_samples == 4 and spec.stop.max_epochs == 2
    assert spec.space["lr"] == FloatRange(1e-3, 1e-2, log=True)
    assert spec.model.model_args["weight_decay"] == pytest.approx(1e-4)
    assert spec.raw["trials"]["num_samples"] == 4


def test_set_is_validated_like_the_file_and_names_itself():
    with pytest.raises(SweepError) as caught:
        load_sweep(DEFAULT, overrides=["trials.num_samples=-2"])
    assert str(caught.value) == (
        f"{DEFAULT} (after --set trials.num_samples): trials.num_samples: "
        "Input should be greater than or equal to 1 (got -2)"
    )
    for bad, expected in [
        ("nonsense", "write KEY=VALUE"),
        ("bogus.key=1", "unknown key 'bogus'"),
        ("name.sub=1", "name is 'digits_asha', not a mapping"),
    ]:
        with pytest.raises(SweepError, match=expected):
            load_sweep(DEFAULT, overrides=[bad])


def test_set_reaches_data_keys_in_the_space():
    spec = load_sweep(
        ROOT / "sweeps" / "digits_grid.yaml",
        overrides=["space.data.val_fraction={choice: [0.1, 0.3]}"],
    )
    assert spec.space["data.val_fraction"] == Choice((0.1, 0.3))
    assert spec.data_keys() == ["data.val_fraction"]


def test_name_option_is_validated():
    assert load_sweep(DEFAULT, name="other").name == "other"
    with pytest.raises(SweepError, match="^--name: name: got 'a/b'"):
        load_sweep(DEFAULT, name="a/b")


def test_exponent_without_dot_is_a_number(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nmodel: {family: mlp, lr: 1e-3}\ndata: {dataset: digits}\nmetric: val_loss\nmode: min\n"
    )
    assert load_sweep(path).model.model_args["lr"] == pytest.approx(0.001)


def test_space_kinds_become_tune_domains_with_inclusive_integer_bounds():
    spec = sweep_from_dict(
        minimal(
            space={
                "depth": {"int": [1, 3]},
                "width": {"logint": [16, 64]},
                "dropout": {"float": [0.0, 0.5]},
                "lr": {"logfloat": [1e-4, 1e-1]},
                "activation": {"choice": ["relu", "tanh"]},
                "batch_size": {"grid": [32, 64]},
            }
        ),
        source="inline",
    )
    assert spec.space["depth"] == IntRange(1, 3) and spec.space["width"] == IntRange(
        16, 64, log=True
    )
    assert spec.space["batch_size"] == Grid((32, 64))
    assert spec.trial_count == 2  # the grid doubles one sample
    depth = spec.space["depth"].to_tune()
    assert {depth.sample() for _ in range(300)} == {1, 2, 3}
    assert isinstance(spec.space["batch_size"].to_tune(), dict)  # tune.grid_search marker
    assert isinstance(spec.space["lr"].to_tune(), tune.search.sample.Float)


def test_grid_searcher_counts_choices_as_grid():
    spec = sweep_from_dict(
        minimal(
            searcher={"name": "grid"},
            trials={"num_samples": 2},
            space={"depth": {"choice": [1, 2, 3]}, "width": {"grid": [8, 16]}},
        ),
        source="inline",
    )
    assert spec.trial_count == 2 * 3 * 2


def test_loading_never_imports_torch_or_ray():
    import subprocess
    import sys

    code = (
        "import sys; from sweeps.definition import load_sweep; load_sweep('sweeps/digits_asha.yaml');"
        "print(sorted(m for m in ('torch', 'ray', 'pytorch_lightning') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
