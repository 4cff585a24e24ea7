"""Every sweep file shipped in sweeps/ is valid; adding one gets it checked here."""

import json

import pytest

from sweeps.definition import load_sweep
from tests.conftest import SHIPPED_SWEEPS, launcher_env
from tests.helpers.sweeps_on_one_ray import Queue


@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.name)
def test_shipped_sweep_is_valid(path):
    spec = load_sweep(path)
    assert spec.name == path.stem
    assert spec.trial_count >= 1
    assert spec.metric in spec.logged_metrics


def test_default_sweep_is_the_asha_one():
    names = [p.name for p in SHIPPED_SWEEPS]
    assert "digits_asha.yaml" in names and "digits_grid.yaml" in names
    spec = load_sweep(SHIPPED_SWEEPS[names.index("digits_asha.yaml")])
    assert spec.scheduler_name == "asha" and spec.searcher_name == "random"
    grid = load_sweep(SHIPPED_SWEEPS[names.index("digits_grid.yaml")])
    assert grid.searcher_name == "grid" and grid.trial_count == 12


def tiny_overrides(spec, folder) -> list[str]:
    """KEY=VALUE overrides that shrink a shipped sweep to a couple of trials of two epochs."""
    overrides = ["trials.num_samples=1", "stop.max_epochs=2", "stop.time_budget_s=null"]
    if spec.model.dataset.name == "table":
        overrides.append(f"data.path={folder / 'table.parquet'}")
    if spec.scheduler_name == "asha":
        overrides += ["scheduler.grace_period=1", "scheduler.max_t=null"]
    if spec.scheduler_name == "median":
        overrides.append("scheduler.grace_period=1")
    if spec.scheduler_name == "hyperband":
        overrides.append("scheduler.max_t=null")
    if spec.scheduler_name in ("pbt", "pb2"):
        overrides += ["scheduler.perturbation_interval=1", "trials.num_samples=2"]
    if spec.warm_start.points:
        overrides.append(f"trials.num_samples={len(spec.warm_start.points)}")
    if "num_samples" in spec.model.dataset.config.model_fields:
        overrides.append("data.num_samples=300")
    for key, param in spec.space.items():
        if param.kind == "grid":
            overrides.append(f"space.{key}={{grid: [{json.dumps(param.representatives()[0])}]}}")
    return overrides


@pytest.fixture(scope="module")
def shrunk_sweeps(tmp_path_factory):
    """Every shipped sweep, shrunk, run for real through the runner: half of them one after
    another on one embedded Ray instance, the other half beside them on another (each sweep's
    trials are one process on one core, so two such queues keep both cores of a small machine
    busy; the launcher itself is run end to end in tests/system/)."""
    storage = tmp_path_factory.mktemp("shipped")
    requests = [
        {"path": str(path), "overrides": tiny_overrides(load_sweep(path), storage)}
        for path in SHIPPED_SWEEPS
    ]
    queues = [Queue(storage, requests[index::2], str(index), launcher_env()) for index in range(2)]
    merged = {}
    try:
        for queue in queues:
            merged.update(queue.outcomes(timeout_s=900))
    finally:
        for queue in queues:
            queue.stop()
    return storage, merged


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.name)
def test_shipped_sweep_runs_for_real_when_shrunk(path, shrunk_sweeps):
    storage, outcomes = shrunk_sweeps
    spec = load_sweep(path)
    assert "error" not in outcomes[str(path)], outcomes[str(path)].get("error")
    assert outcomes[str(path)]["evaluator_kept"]
    best = json.loads((storage / spec.name / "best.json").read_text())
    assert best["trial_id"] and best["checkpoint"]
    validation = [
        name
        for name in spec.logged_metrics
        if name.startswith("val_") and not name.endswith("_fold_std")
    ]
    assert set(best["test"]) == {f"test_{name.removeprefix('val_')}" for name in validation}
