"""The contract every registered searcher keeps (the way optuna's sampler tests run over every
sampler): it builds from its options, says what it supports in flags, proposes every key of the
space inside its bounds and steps, learns from synthetic results without failing, proposes the
same sequence again for the same seed, and survives a save and restore (a resumed sweep)."""

from __future__ import annotations

import pytest

from sweeps.definition import sweep_from_dict
from sweeps.searchers import SEARCHERS, SearcherTraits, searcher_module

MIXED = {
    "lr": {"logfloat": [1.0e-4, 1.0e-1]},
    "dropout": {"float": [0.0, 0.5], "step": 0.1},
    "width": {"int": [32, 256], "step": 32},
    "depth": {"choice": [1, 2, 3]},
}
GRID = {"lr": {"grid": [0.001, 0.01]}, "depth": {"choice": [1, 2, 3]}}


def spec_for(name: str, seed: int = 0, objectives: int = 1):
    module = searcher_module(name)
    several = {
        "metric": ["val_accuracy", "model/params"][:objectives],
        "mode": ["max", "min"][:objectives],
        "constraints": ["model/params <= 5000"],
    }
    scheduler = module.TRAITS.scheduler if module.TRAITS.scheduler != "fifo" else None
    return sweep_from_dict(
        {
            "name": f"contract_{name}",
            "model": {"family": "mlp"},
            "data": {"dataset": "digits"},
            "space": GRID if module.TRAITS.choices_are_grid else MIXED,
            **(several if objectives > 1 else {"metric": "val_accuracy", "mode": "max"}),
            "searcher": {"name": name},
            **({"scheduler": {"name": scheduler, "max_t": 9}} if scheduler else {}),
            "trials": {"num_samples": 12},
            "stop": {"max_epochs": 9},
            "seed": seed,
        },
        source="contract.yaml",
    )


def inside(spec, config: dict) -> bool:
    for key, param in spec.space.items():
        value = config[key]
        if param.kind in ("float", "logfloat", "int", "logint"):
            if not param.low <= value <= param.high:
                return False
        if param.kind not in ("float", "logfloat") and value not in param.representatives():
            return False
    return True


def score(config: dict) -> float:
    return -abs(config["lr"] - 0.01)


def proposals(name: str, seed: int, count: int = 10) -> list[dict]:
    """Configurations a searcher proposes, each answered with a synthetic result; for a
    searcher that hands Tune a space instead (random, grid), samples of that space."""
    from ray.tune.search import Searcher

    spec = spec_for(name, seed)
    algorithm, space = searcher_module(name).build(spec.searcher, spec.search_problem())
    if not isinstance(algorithm, Searcher):
        assert set(space) == set(spec.space)
        return [space]
    given_space(algorithm, space, spec)
    configs = []
    for index in range(count):
        config = algorithm.suggest(f"trial_{index}")
        configs.append(config)
        algorithm.on_trial_complete(
            f"trial_{index}", {"val_accuracy": score(config), "training_iteration": 1}
        )
    return configs


def given_space(algorithm, space: dict, spec) -> None:
    """What Tune does with a searcher that leaves the space to Tune's param_space (BOHB)."""
    if space:
        assert set(space) == set(spec.space)
        algorithm.set_search_properties(spec.metric, spec.mode, space)


def test_every_registered_searcher_is_in_the_contract():
    assert set(SEARCHERS) == {"random", "grid", "tpe", "gp", "bohb", "nsga2"}


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_a_searcher_builds_and_says_what_it_supports(name):
    module = searcher_module(name)
    for attribute in ("Options", "check", "build"):
        assert hasattr(module, attribute), attribute
    assert isinstance(module.TRAITS, SearcherTraits)
    spec = spec_for(name)
    algorithm, _ = module.build(spec.searcher, spec.search_problem())
    assert algorithm is not None


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_proposals_stay_in_the_space_and_repeat_for_a_seed(name):
    from ray import tune

    spec = spec_for(name)
    first = proposals(name, seed=3)
    if len(first) == 1 and isinstance(first[0].get("lr"), (dict, tune.search.sample.Domain)):
        # A space handed to Tune: each key a Tune domain (or grid) over the written range.
        for key, domain in first[0].items():
            if isinstance(domain, dict):
                values = domain["grid_search"]
            else:
                values = [domain.sample() for _ in range(50)]
            assert all(inside(spec, {**_any_config(spec), key: value}) for value in values), key
        return
    assert all(set(config) == set(spec.space) and inside(spec, config) for config in first), first
    assert proposals(name, seed=3) == first
    assert proposals(name, seed=4) != first


def _any_config(spec) -> dict:
    return {key: param.representatives()[0] for key, param in spec.space.items()}


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_a_searcher_survives_save_and_restore(name, tmp_path):
    from ray.tune.search import Searcher

    spec = spec_for(name)
    algorithm, space = searcher_module(name).build(spec.searcher, spec.search_problem())
    if not isinstance(algorithm, Searcher):
        pytest.skip(f"{name}: Tune's own variant generator, saved and restored by Tune")
    given_space(algorithm, space, spec)
    for index in range(4):
        config = algorithm.suggest(f"trial_{index}")
        algorithm.on_trial_complete(
            f"trial_{index}", {"val_accuracy": score(config), "training_iteration": 1}
        )
    survives_save_and_restore(algorithm, name, spec, tmp_path)


SEVERAL = sorted(name for name in SEARCHERS if not searcher_module(name).TRAITS.one_objective)


def test_only_bohb_takes_one_objective():
    assert set(SEARCHERS) - set(SEVERAL) == {"bohb"}
    with pytest.raises(Exception, match="bohb takes one objective, and this sweep has 2: "):
        spec_for("bohb", objectives=2)


@pytest.mark.parametrize("name", SEVERAL)
def test_a_searcher_of_several_objectives_learns_their_front_and_constraints(name, tmp_path):
    """Two objectives and a constraint: proposals stay in the space, results with both values
    (one trial infeasible, one that never trained) are taken, and a save and restore holds."""
    from ray.tune.search import Searcher

    from sweeps.results.trial_status import ENDED, INFEASIBLE

    spec = spec_for(name, objectives=2)
    algorithm, space = searcher_module(name).build(spec.searcher, spec.search_problem())
    if not isinstance(algorithm, Searcher):
        assert set(space) == set(spec.space)
        return
    given_space(algorithm, space, spec)
    for index in range(10):
        config = algorithm.suggest(f"trial_{index}")
        assert set(config) == set(spec.space) and inside(spec, config), config
        params = config["width"] * 20.0
        result = {"val_accuracy": score(config), "model/params": params, "training_iteration": 1}
        if index == 3:
            result = {"model/params": 99_999.0, ENDED: INFEASIBLE, "training_iteration": 1}
        algorithm.on_trial_complete(f"trial_{index}", result)
    study = optuna_study(algorithm)
    told = {trial.number: trial for trial in study.trials}
    assert len(study.directions) == 2
    assert told[3].state.name == "PRUNED" and told[3].constraints["model/params <= 5000"] > 0
    assert all(trial.state.name == "COMPLETE" for number, trial in told.items() if number != 3)
    assert {trial.constraints["model/params <= 5000"] <= 0 for trial in told.values()} == {
        True,
        False,
    }
    survives_save_and_restore(algorithm, name, spec, tmp_path)


def optuna_study(algorithm):
    from sweeps.runtime.ray_control import optuna_study as study_of

    return study_of(algorithm)


def survives_save_and_restore(algorithm, name: str, spec, tmp_path) -> None:
    """Saved and restored into a new searcher of the sweep (a resumed sweep), it proposes again."""
    algorithm.save(str(tmp_path / "searcher.pkl"))
    restored, space = searcher_module(name).build(spec.searcher, spec.search_problem())
    given_space(restored, space, spec)
    restored.restore(str(tmp_path / "searcher.pkl"))
    config = restored.suggest("trial_after_resume")
    assert set(config) == set(spec.space) and inside(spec, config), config
