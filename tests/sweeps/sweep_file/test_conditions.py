"""Conditional search spaces: keys that apply only for some values of another key, and per-layer
lists as long as the sampled depth. Random search and TPE propose them only where they apply,
the trial gets the list back, and the load-time rules see only the cases that can happen."""

import pytest

from sweeps.definition import load_sweep, sweep_from_dict
from sweeps.errors import SweepError
from sweeps.searchers import searcher_module
from sweeps.sweep_file.conditions import assemble_lists
from tests.conftest import ROOT

CONDITIONAL = ROOT / "sweeps" / "digits_conditional.yaml"


def sweep(space: dict, **sections) -> dict:
    return {
        "name": "conditional",
        "model": {"family": "mlp"},
        "data": {"dataset": "digits"},
        "space": space,
        "metric": "val_accuracy",
        "mode": "max",
        **sections,
    }


def applies(config: dict) -> None:
    """The shipped conditional sweep's rules, checked on one proposed configuration."""
    sgd = config["optimizer"] == "sgd"
    assert ("momentum" in config) == sgd and ("nesterov" in config) == sgd
    assert ("beta1" in config) == (not sgd)
    widths = sorted(key for key in config if key.startswith("widths["))
    assert widths == [f"widths[{index}]" for index in range(config["depth"])]


def random_trials(spec, count: int) -> list[dict]:
    """Real Tune trials from the random searcher's generator (no Ray runtime needed)."""
    generator, param_space = searcher_module("random").build(spec.searcher, spec.search_problem())
    generator.add_configurations(
        {"sweep": {"run": lambda config: None, "config": param_space, "num_samples": count}}
    )
    return [generator.next_trial().config for _ in range(count)]


def test_per_layer_list_becomes_one_key_per_position_after_its_length():
    spec = load_sweep(CONDITIONAL)
    assert [key for key in spec.space if key.startswith("widths")] == [
        "widths[0]",
        "widths[1]",
        "widths[2]",
    ]
    order = spec.conditions.order
    assert order.index("depth") < order.index("widths[0]") and order.index(
        "optimizer"
    ) < order.index("momentum")
    assert spec.conditions.when["widths[2]"][0].values == (3,)
    assert (
        "widths[0]" not in spec.conditions.when
    )  # depth is at least 1: the first layer always exists


def test_random_search_drops_keys_that_do_not_apply():
    spec = load_sweep(
        CONDITIONAL,
        overrides=["searcher={name: random}", "trials.max_concurrent=null", "warm_start=null"],
    )
    configs = random_trials(spec, 30)
    for config in configs:
        applies(config)
    assert {config["optimizer"] for config in configs} == {"sgd", "adam"}
    assert {config["depth"] for config in configs} == {1, 2, 3}
    assert random_trials(spec, 30) == configs  # same seed, same sequence


def test_tpe_proposes_only_keys_that_apply_and_learns_across_branches():
    spec = load_sweep(CONDITIONAL, overrides=["trials.max_concurrent=null", "warm_start=null"])
    searcher, _ = searcher_module("tpe").build(spec.searcher, spec.search_problem())
    configs = []
    for index in range(30):
        config = searcher.suggest(f"trial_{index}")
        applies(config)
        configs.append(config)
        good = config["optimizer"] == "adam" and config["depth"] == 2
        searcher.on_trial_complete(
            f"trial_{index}", {"val_accuracy": 0.9 if good else 0.1, "training_iteration": 1}
        )
    late = configs[15:]
    assert sum(c["optimizer"] == "adam" and c["depth"] == 2 for c in late) > len(late) / 2


def test_a_trial_gets_the_positions_back_as_its_list():
    spec = load_sweep(CONDITIONAL)
    config = {
        "depth": 2,
        "widths[1]": 32,
        "widths[0]": 128,
        "optimizer": "adam",
        "lr": 0.01,
        "beta1": 0.85,
        "dropout": 0.1,
    }
    assert assemble_lists(config)["widths"] == [128, 32]
    model, _ = spec.trial_plan().model.arguments(config)
    assert model.layer_widths() == [128, 32] and model.depth == 2
    assert model.momentum == 0.0  # absent: the default, as if never written


def test_knob_rules_see_only_the_cases_that_can_happen():
    ok = sweep(
        {
            "optimizer": {"choice": ["sgd", "adam"]},
            "momentum": {"float": [0.5, 0.9], "when": {"optimizer": "sgd"}},
        }
    )
    sweep_from_dict(ok, source="ok.yaml")
    unconditional = sweep(
        {"optimizer": {"choice": ["sgd", "adam"]}, "momentum": {"float": [0.5, 0.9]}}
    )
    with pytest.raises(SweepError, match=r"add when: \{optimizer: \[sgd, rmsprop\]\} to it"):
        sweep_from_dict(unconditional, source="bad.yaml")
    wrong = sweep(
        {
            "optimizer": {"choice": ["sgd", "adam"]},
            "momentum": {"float": [0.5, 0.9], "when": {"optimizer": ["sgd", "adam"]}},
        }
    )
    with pytest.raises(
        SweepError, match="momentum applies only when optimizer is 'sgd' or 'rmsprop', not 'adam'"
    ):
        sweep_from_dict(wrong, source="bad.yaml")


def test_conditions_chain_and_integer_parents_are_checked_value_by_value():
    raw = sweep(
        {
            "schedule": {"choice": ["none", "step"]},
            "step_size": {"int": [2, 6], "when": {"schedule": "step"}},
            "gamma": {"float": [0.1, 0.5], "when": {"step_size": [5, 6]}},
        }
    )
    spec = sweep_from_dict(raw, source="chain.yaml", overrides=["trials.num_samples=40"])
    configs = random_trials(spec, 40)
    for config in configs:
        assert ("step_size" in config) == (config["schedule"] == "step")
        assert ("gamma" in config) == (config.get("step_size") in (5, 6))
    assert any("gamma" in config for config in configs)


def test_a_fixed_length_list_and_a_conditional_list():
    raw = sweep(
        {
            "width_schedule": {"choice": ["constant", "shrinking"]},
            "widths": {
                "per_layer": {"logint": [16, 256]},
                "length": 2,
                "when": {"width_schedule": "constant"},
            },
        }
    )
    spec = sweep_from_dict(raw, source="lists.yaml", overrides=["trials.num_samples=12"])
    for config in random_trials(spec, 12):
        has = config["width_schedule"] == "constant"
        assert ("widths[0]" in config) == has and ("widths[1]" in config) == has


def test_gp_proposes_only_keys_that_apply():
    spec = load_sweep(
        CONDITIONAL,
        overrides=[
            "searcher={name: gp, n_startup_trials: 4}",
            "trials.max_concurrent=null",
            "warm_start=null",
        ],
    )
    searcher, _ = searcher_module("gp").build(spec.searcher, spec.search_problem())
    for index in range(8):
        config = searcher.suggest(f"trial_{index}")
        applies(config)
        searcher.on_trial_complete(
            f"trial_{index}", {"val_accuracy": config["lr"], "training_iteration": 1}
        )
