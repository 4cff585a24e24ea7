"""The contract every registered scheduler keeps, fed synthetic results without a cluster (the
way optuna's sampler tests run over every sampler): it builds from its options, stops or pauses
trials only at the epochs it announces (trials batch their reports in between, so a decision
elsewhere would come late), never stops the trial that is best at every epoch, follows the
sweep's mode, and the early-stopping ones do stop the hopeless trials. Population schedulers
copy checkpoints between trials, which only a real run has (tests/sweeps/trial/
test_population_training.py); their announced epochs and checkpoints are checked here."""

from __future__ import annotations

import random

import pytest

from sweeps.definition import sweep_from_dict
from sweeps.schedulers import (
    SCHEDULERS,
    SchedulerTraits,
    scheduler_module,
)

MAX_EPOCHS = 9
TRIALS = 9
OPTIONS = {
    "fifo": {},
    "asha": {"grace_period": 1, "reduction_factor": 3},
    "hyperband": {"max_t": MAX_EPOCHS, "reduction_factor": 3},
    "median": {"grace_period": 2, "min_samples_required": 3},
    "pbt": {"perturbation_interval": 3},
    "pb2": {"perturbation_interval": 3},
}
EARLY_STOPPING = {"asha", "hyperband", "median"}
POPULATION = {"pbt", "pb2"}


def spec_for(name: str, mode: str = "max"):
    return sweep_from_dict(
        {
            "name": f"contract_{name}",
            "model": {"family": "mlp"},
            "data": {"dataset": "digits"},
            "space": {"lr": {"logfloat": [1.0e-4, 1.0e-1]}},
            "metric": "val_accuracy",
            "mode": mode,
            "scheduler": {"name": name, **OPTIONS[name]},
            "trials": {"num_samples": TRIALS},
            "stop": {"max_epochs": MAX_EPOCHS},
            **({"checkpoint": {"every": "auto", "keep": None}} if name in POPULATION else {}),
        },
        source="contract.yaml",
    )


class Controller:
    """What a scheduler asks of Tune's controller: the trials, and stopping one."""

    def __init__(self, trials):
        self.trials = trials
        self.stopped: list = []

    def get_trials(self):
        return list(self.trials)

    def get_live_trials(self):
        from ray.tune.experiment import Trial

        return [trial for trial in self.trials if trial.status != Trial.TERMINATED]

    def stop_trial(self, trial):
        from ray.tune.experiment import Trial

        self.stopped.append(trial)
        trial.set_status(Trial.TERMINATED)


def run(name: str, mode: str = "max", seed: int = 0):
    """Trials of fixed quality (the same ranking at every epoch), run one at a time as the
    scheduler chooses; returns {trial quality: epochs trained} and the epochs of its decisions."""
    from ray.tune.experiment import Trial
    from ray.tune.schedulers import TrialScheduler

    spec = spec_for(name, mode)
    scheduler = scheduler_module(name).build(spec.scheduler, spec.schedule_problem())
    scheduler.set_search_properties(spec.metric, spec.mode)  # as Tune's TuneConfig does
    qualities = random.Random(seed).sample(range(1, TRIALS + 1), TRIALS)
    trials = [
        Trial("__fake", config={"lr": 0.01}, trial_id=f"t{index}", stub=True)
        for index in range(TRIALS)
    ]
    quality = {trial.trial_id: q for trial, q in zip(trials, qualities, strict=True)}
    controller = Controller(trials)
    for trial in trials:
        scheduler.on_trial_add(controller, trial)
    epochs = {trial.trial_id: 0 for trial in trials}
    decided_at: list[int] = []

    def value(trial) -> float:
        q = quality[trial.trial_id] / TRIALS * (1 - 0.5 ** epochs[trial.trial_id])
        return q if mode == "max" else 1 - q

    for _ in range(TRIALS * MAX_EPOCHS * 2):
        trial = scheduler.choose_trial_to_run(controller)
        if trial is None:
            break
        trial.set_status(Trial.RUNNING)
        while trial.status == Trial.RUNNING:
            epochs[trial.trial_id] += 1
            epoch = epochs[trial.trial_id]
            result = {
                "val_accuracy": value(trial),
                "epoch": epoch,
                "training_iteration": epoch,
                "time_total_s": float(epoch),
                "trial_id": trial.trial_id,
            }
            decision = scheduler.on_trial_result(controller, trial, result)
            if decision == TrialScheduler.STOP or epoch == MAX_EPOCHS:
                if decision == TrialScheduler.STOP:
                    decided_at.append(epoch)
                scheduler.on_trial_complete(controller, trial, result)
                trial.set_status(Trial.TERMINATED)
            elif decision == TrialScheduler.PAUSE:
                decided_at.append(epoch)
                trial.set_status(Trial.PAUSED)
    for trial in controller.stopped:
        decided_at.append(epochs[trial.trial_id])
    return {quality[t.trial_id]: epochs[t.trial_id] for t in trials}, decided_at


def test_every_registered_scheduler_is_in_the_contract():
    assert set(OPTIONS) == set(SCHEDULERS)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_a_scheduler_builds_and_announces_epochs_within_the_trials(name):
    spec = spec_for(name)
    module = scheduler_module(name)
    for attribute in ("Options", "check", "build"):
        assert hasattr(module, attribute), attribute
    assert isinstance(module.TRAITS, SchedulerTraits)
    assert module.build(spec.scheduler, spec.schedule_problem()) is not None
    period, epochs = spec.report_schedule()
    assert period >= 0 and all(1 <= epoch <= MAX_EPOCHS for epoch in epochs)
    every, must, _ = spec.checkpoint_schedule()
    if name in POPULATION:
        # An exploit copies a checkpoint taken at the perturbation epoch.
        assert period == 3 and (every == 3 or {3, 6} <= must)


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("name", sorted(SCHEDULERS.keys() - POPULATION))
def test_decisions_come_at_announced_epochs_and_spare_the_best_trial(name, mode):
    trained, decided_at = run(name, mode)
    assert trained[TRIALS] == MAX_EPOCHS, trained  # the best trial runs to the end
    period, epochs = spec_for(name, mode).report_schedule()
    announced = {e for e in range(1, MAX_EPOCHS + 1) if (period and e % period == 0)} | epochs
    announced.add(MAX_EPOCHS)  # a trial's last epoch is always reported at once
    assert set(decided_at) <= announced, (decided_at, sorted(announced))
    if name in EARLY_STOPPING:
        # Some of the hopeless ones are stopped (HyperBand's last bracket runs all of its own).
        assert sum(epochs < MAX_EPOCHS for epochs in trained.values()) >= 3, trained
    else:
        assert set(trained.values()) == {MAX_EPOCHS}
