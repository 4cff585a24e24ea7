"""When trials report to Tune and save checkpoints: batched epochs between the epochs where the
scheduler judges trials, and ``checkpoint: {every: auto}`` saving only where the scheduler or
fault tolerance needs it."""

import pytest

from sweeps.definition import sweep_from_dict
from sweeps.definition.trial_plan import REPORT_INTERVAL_S
from sweeps.results.epoch_results import EPOCH_RESULTS, epoch_results
from sweeps.schedulers import scheduler_module


def spec_with(scheduler: dict, checkpoint: dict | None = None, max_epochs: int = 30, **extra):
    raw = {
        "name": "s",
        "model": {"family": "mlp"},
        "data": {"dataset": "digits"},
        "metric": "val_loss",
        "mode": "min",
        "space": {"lr": {"logfloat": [1e-4, 1e-1]}},
        "trials": {"num_samples": 4},
        "scheduler": scheduler,
        "stop": {"max_epochs": max_epochs},
        **extra,
    }
    if checkpoint is not None:
        raw["checkpoint"] = checkpoint
    return sweep_from_dict(raw, source="inline")


@pytest.mark.parametrize(
    "options",
    [
        {"grace_period": 2, "reduction_factor": 3},
        {"grace_period": 1, "reduction_factor": 2, "brackets": 3},
        {"grace_period": 3, "reduction_factor": 2.5, "max_t": 20},
    ],
)
def test_asha_decision_epochs_are_the_rungs_of_tunes_asha(options):
    spec = spec_with({"name": "asha", **options}, max_epochs=30)
    every, epochs = spec.report_schedule()
    scheduler = scheduler_module("asha").build(spec.scheduler, spec.schedule_problem())
    milestones = {milestone for bracket in scheduler._brackets for milestone, _ in bracket._rungs}
    assert every == 0 and epochs == {int(-(-m // 1)) for m in milestones}


def test_auto_checkpoints_follow_the_scheduler_and_otherwise_the_interval():
    assert spec_with({"name": "fifo"}).checkpoint_schedule() == (0, frozenset(), 60.0)
    assert spec_with({"name": "asha", "grace_period": 2}).checkpoint_schedule() == (
        0,
        frozenset(),
        60.0,
    )
    assert spec_with({"name": "median"}, {"interval_s": 5}).checkpoint_schedule() == (
        0,
        frozenset(),
        5.0,
    )
    assert spec_with({"name": "hyperband"}, trials={"num_samples": 4}).checkpoint_schedule()[0] == 1
    pbt = spec_with({"name": "pbt", "perturbation_interval": 5, "mutate": ["lr"]}, {"keep": None})
    assert pbt.checkpoint_schedule() == (5, frozenset(), 60.0) and pbt.report_schedule() == (
        5,
        frozenset(),
    )
    assert spec_with({"name": "asha"}, {"every": 3}).checkpoint_schedule() == (3, frozenset(), None)
    assert spec_with({"name": "median"}).report_schedule() == (1, frozenset())
    assert spec_with({"name": "fifo"}).report_schedule() == (0, frozenset())


def test_a_trial_plan_reports_at_decisions_and_otherwise_after_the_interval():
    plan = spec_with({"name": "asha", "grace_period": 2, "reduction_factor": 3}).trial_plan()
    assert plan.report_epochs == {2, 6, 18}
    assert (
        plan.report_due(6, 0.0)
        and not plan.report_due(7, 0.0)
        and plan.report_due(7, REPORT_INTERVAL_S)
    )
    assert not plan.checkpoint_due(6, 59.0) and plan.checkpoint_due(7, 60.0)
    every = spec_with({"name": "fifo"}, {"every": 2}).trial_plan()
    assert every.checkpoint_due(4, 0.0) and not every.checkpoint_due(5, 1e9)


def test_a_batched_result_unpacks_into_one_result_per_epoch():
    result = {
        "trial_id": "t",
        "epoch": 3,
        "val_loss": 0.3,
        "training_iteration": 1,
        "should_checkpoint": True,
        "checkpoint_dir_name": "checkpoint_000000",
        EPOCH_RESULTS: [
            {"epoch": 1, "val_loss": 0.5},
            {"epoch": 2, "val_loss": 0.4},
            {"epoch": 3, "val_loss": 0.3},
        ],
    }
    unpacked = epoch_results(result)
    assert [(r["epoch"], r["val_loss"], r["trial_id"]) for r in unpacked] == [
        (1, 0.5, "t"),
        (2, 0.4, "t"),
        (3, 0.3, "t"),
    ]
    assert all(EPOCH_RESULTS not in r for r in unpacked)
    assert [(r["should_checkpoint"], r["checkpoint_dir_name"]) for r in unpacked] == [
        (False, None),
        (False, None),
        (True, "checkpoint_000000"),
    ]  # only the reported epoch has it
    assert epoch_results({"epoch": 1}) == [{"epoch": 1}]


def test_three_objectives_are_plotted_pair_by_pair(tmp_path):
    from sweeps.analysis.page import pareto_fronts
    from sweeps.analysis.results import SweepResults

    trials = [
        {"trial_id": f"t{i}", "status": "completed", "pareto_rank": rank, "feasible": True,
         "best_a": float(i), "at_best_b": float(-i), "at_best_c": float(i % 2), "config/x": i}
        for i, rank in enumerate([0, 0, 1, 2])
    ]  # fmt: skip
    results = SweepResults(
        tmp_path, "three", "a", "max", {}, trials, [], True, ["x"], (("b", "min"), ("c", "max"))
    )
    figures = pareto_fronts(results)
    assert [figure.id for figure in figures] == [
        "pareto-front-0-1",
        "pareto-front-0-2",
        "pareto-front-1-2",
    ]
    front = next(trace for trace in figures[0].data if trace["name"] == "front")
    assert [label[0] for label in front["customdata"]] == ["t0", "t1"]
