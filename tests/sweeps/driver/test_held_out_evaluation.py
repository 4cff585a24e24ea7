"""The best checkpoint's test metrics come from a helper process warmed up while Ray starts; the
driver evaluates by itself when the helper is gone."""

from lightning_modules.evaluation import evaluate_checkpoint
from sweeps.driver.held_out_evaluation import HeldOutEvaluator
from sweeps.trial.parts import prepare_process, shipped_folds
from tests.helpers.imports import loaded_after
from tests.helpers.plans import shipped_plan

PLAN = shipped_plan()


def trained_checkpoint(folder):
    prepare_process(PLAN)
    group = shipped_folds(PLAN, {"lr": 0.01}, None)
    while group.next_epoch() is not None:
        pass
    group.save(folder)
    return folder


def test_the_helper_answers_what_the_driver_would(tmp_path):
    checkpoint = trained_checkpoint(tmp_path)
    evaluator = HeldOutEvaluator().start()
    try:
        assert evaluator.test_metrics(str(checkpoint)) == evaluate_checkpoint(checkpoint)
        missing = evaluator.test_metrics(str(tmp_path / "nowhere"))
        assert "error" in missing and "nowhere" in missing["error"]
        assert evaluator.process.poll() is None  # a bad checkpoint does not end the helper
    finally:
        process = evaluator.process
        evaluator.close()
        process.wait(timeout=60)


def test_the_helper_shares_the_cores_with_the_trials_behind_the_driver():
    """At Ray's workers' niceness and the normal policy: at the idle policy it would get no CPU
    while trials keep every core busy, and the sweep would wait on it once they end."""
    import os

    from sweeps.runtime.child_processes import RAY_WORKER_NICENESS

    evaluator = HeldOutEvaluator().start()
    try:
        pid = evaluator.process.pid
        assert os.sched_getscheduler(pid) == os.SCHED_OTHER
        assert os.getpriority(os.PRIO_PROCESS, pid) == max(RAY_WORKER_NICENESS, os.nice(0))
    finally:
        process = evaluator.process
        evaluator.close()
        process.wait(timeout=60)


def test_without_the_helper_the_driver_evaluates(tmp_path):
    checkpoint = trained_checkpoint(tmp_path)
    evaluator = HeldOutEvaluator().start()
    evaluator.process.kill()
    evaluator.process.wait()
    assert evaluator.test_metrics(str(checkpoint)) == evaluate_checkpoint(checkpoint)
    evaluator.close()


def test_the_driver_builds_the_trainable_without_importing_torch():
    code = (
        "from sweeps.definition import load_sweep\n"
        "from sweeps.driver.runner import build_trainable\n"
        "build_trainable(load_sweep('sweeps/digits_asha.yaml'))"
    )
    assert loaded_after(code, ("torch", "pytorch_lightning")) == []
