"""Several objectives and constraints in a sweep file: what loads, what is refused (one line
naming the key), and the front and feasibility they define."""

from __future__ import annotations

import itertools
import random
import sys

import pytest

from sweeps.definition import sweep_from_dict
from sweeps.errors import SweepError
from sweeps.sweep_file.objectives import (
    BUILTIN_METRICS,
    Constraint,
    feasibility,
    load_constraints,
    load_objectives,
    pareto_ranks,
)
from tests.conftest import ROOT

BASE = {
    "name": "pareto",
    "model": {"family": "mlp"},
    "data": {"dataset": "digits"},
    "space": {"width": {"logint": [8, 256]}, "lr": {"logfloat": [1.0e-3, 1.0e-1]}},
    "metric": ["val_accuracy", "model/params"],
    "mode": ["max", "min"],
    "constraints": ["model/params <= 200000", "time/epoch_s < 2.0"],
    "searcher": {"name": "nsga2"},
    "trials": {"num_samples": 8},
    "stop": {"max_epochs": 3},
}


def load(**changes):
    raw = {**BASE, **changes}
    return sweep_from_dict({k: v for k, v in raw.items() if v is not None}, source="p.yaml")


def refusal(**changes) -> str:
    with pytest.raises(SweepError) as caught:
        load(**changes)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_several_objectives_and_constraints_load_with_the_first_leading():
    spec = load()
    assert spec.metrics == ("val_accuracy", "model/params")
    assert spec.modes == ("max", "min")
    assert (spec.metric, spec.mode) == ("val_accuracy", "max")  # what schedulers judge
    assert spec.several_objectives
    assert [c.text for c in spec.constraints] == ["model/params <= 200000", "time/epoch_s < 2"]
    assert [c.before_training for c in spec.constraints] == [True, False]
    problem = spec.search_problem()
    assert problem.metrics == ["val_accuracy", "model/params"] and problem.constraints
    # Every built-in metric is logged by every trial of a shipped family.
    assert set(BUILTIN_METRICS) <= set(spec.logged_metrics)


def test_one_objective_is_the_sweep_it_always_was():
    spec = load(metric="val_accuracy", mode="max", constraints=None, searcher={"name": "tpe"})
    assert spec.metrics == ("val_accuracy",) and not spec.several_objectives
    assert spec.constraints == ()


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"mode": ["max"]}, "mode: 2 metric(s) and 1 mode(s); give one mode per metric"),
        ({"mode": ["max", "down"]}, "mode[1]: got 'down'; must be one of: min, max"),
        ({"metric": ["val_accuracy", "val_accuracy"]}, "metric: val_accuracy is listed twice"),
        ({"metric": []}, "metric: got []; name at least one metric"),
        (
            {"metric": ["val_accuracy", "val_acc"]},
            "metric[1]: got 'val_acc', which the mlp model never logs on this data; did you mean "
            "val_accuracy",
        ),
        (
            {"constraints": ["model/params =< 5"]},
            "constraints[0]: got 'model/params =< 5'; write NAME OP NUMBER",
        ),
        ({"constraints": ["time/epoch_s < fast"]}, "constraints[0]: 'fast' is not a finite number"),
        (
            {"constraints": "model/params <= 5"},
            "constraints: got 'model/params <= 5'; constraints is a list",
        ),
        (
            {"constraints": ["model/parameters <= 5"]},
            "constraints[0]: got 'model/parameters', which the mlp model never logs on this data; "
            "did you mean model/params",
        ),
        (
            {"scheduler": {"name": "pbt"}, "searcher": {"name": "random"}},
            "scheduler.name: pbt takes one objective, and this sweep has 2: it copies the best "
            "trials' checkpoints",
        ),
        (
            {"scheduler": {"name": "pb2"}, "searcher": {"name": "random"}},
            "scheduler.name: pb2 takes one objective, and this sweep has 2",
        ),
        (
            {"searcher": {"name": "bohb"}},
            "searcher.name: bohb takes one objective, and this sweep has 2: its model and its "
            "HyperBand brackets rank trials by one metric",
        ),
    ],
)
def test_mistakes_in_objectives_and_constraints_are_one_line_naming_the_key(changes, expected):
    assert expected in refusal(**changes)


def test_a_users_module_is_checked_against_the_built_in_names_only(monkeypatch):
    user = {
        "name": "user_pareto",
        "model": {"class_path": "my_project.models.Classifier"},
        "data": {"class_path": "my_project.data.Digits"},
        "metric": ["val/acc", "latency/predict_ms"],
        "mode": ["max", "min"],
        "constraints": ["val/loss < 1.0", "latency/predict_msec <= 3"],
    }
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "lightning_project"))
    try:
        with pytest.raises(
            SweepError,
            match="constraints\\[1\\]: got 'latency/predict_msec', which no trial logs; did you "
            "mean the built-in 'latency/predict_ms'",
        ):
            sweep_from_dict(user, source="u.yaml")
        spec = sweep_from_dict({**user, "constraints": ["val/loss < 1.0"]}, source="u.yaml")
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "my_project"]:
            del sys.modules[name]
    # What the module logs itself is known from its first results (sweeps.trial.session).
    assert spec.metrics == ("val/acc", "latency/predict_ms")


def test_constraints_hold_break_and_measure_how_far():
    at_most = Constraint("model/params", "<=", 100.0)
    below = Constraint("time/epoch_s", "<", 2.0)
    at_least = Constraint("val_accuracy", ">=", 0.9)
    assert at_most.holds(100) and not at_most.holds(101) and at_most.violation(130) == 30
    assert at_most.violation(40) <= 0
    assert not below.holds(2.0) and below.violation(2.0) > 0  # strict at the bound itself
    assert at_least.violation(0.8) == pytest.approx(0.1)
    assert not at_least.holds(float("nan")) and not at_least.holds(None)
    assert feasibility((at_most, below), {"model/params": 50, "time/epoch_s": 3.5}) == (
        False,
        "time/epoch_s = 3.5 breaks time/epoch_s < 2",
    )
    assert feasibility((at_most,), {"model/params": 50}) == (True, None)
    assert load_constraints(["a/b>=1e3"])[0] == Constraint("a/b", ">=", 1000.0)
    assert load_objectives("val_loss", "min")[0].mode == "min"


def _brute_ranks(points, modes):
    signs = [1 if mode == "min" else -1 for mode in modes]
    left = {
        i: tuple(s * v for s, v in zip(signs, p, strict=True))
        for i, p in enumerate(points)
        if p is not None
    }
    ranks = [None] * len(points)
    rank = 0
    while left:
        front = [
            i
            for i, p in left.items()
            if not any(
                all(a <= b for a, b in zip(o, p, strict=True)) and o != p for o in left.values()
            )
        ]
        for i in front:
            ranks[i] = rank
            del left[i]
        rank += 1
    return ranks


@pytest.mark.parametrize("objectives", [1, 2, 3])
def test_pareto_ranks_are_non_dominated_sorting(objectives):
    generator = random.Random(objectives)
    for _ in range(300):
        points = [
            None
            if generator.random() < 0.1
            else tuple(float(generator.randint(0, 4)) for _ in range(objectives))
            for _ in range(generator.randint(0, 25))
        ]
        for modes in itertools.product(("min", "max"), repeat=objectives):
            assert pareto_ranks(points, modes) == _brute_ranks(points, modes), (points, modes)
