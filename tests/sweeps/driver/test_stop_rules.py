"""Sweep-level stop rules: a metric target, and a plateau of the best metric over trial ends."""

from sweeps.driver.stop_rules import SweepStopRules


def report(rules: SweepStopRules, trial: str, value: float, epoch: int = 1) -> None:
    assert (
        rules(trial, {"val_loss": value, "epoch": epoch}) is False
    )  # a rule ends the sweep, not one trial


def test_target_ends_the_sweep_in_the_metric_direction(capsys):
    rules = SweepStopRules(
        "val_loss", "min", target=0.2, plateau_trials=None, plateau_min_delta=0.0
    )
    report(rules, "a", 0.5)
    report(rules, "a", float("nan"))  # a diverged result reaches nothing
    assert not rules.stop_all()
    report(rules, "b", 0.19, epoch=3)
    assert rules.stop_all()
    assert "trial b reached the target val_loss 0.2 (0.19) at epoch 3" in capsys.readouterr().out


def test_plateau_counts_trial_ends_since_the_best_last_improved():
    rules = SweepStopRules("val_loss", "min", target=None, plateau_trials=3, plateau_min_delta=0.01)
    report(rules, "a", 0.5)
    rules.on_trial_complete(0, [], None)
    report(rules, "b", 0.495)  # better, but by less than min_delta: not an improvement
    rules.on_trial_complete(0, [], None)
    report(rules, "c", 0.4)  # an improvement: the count starts again
    rules.on_trial_complete(0, [], None)
    rules.on_trial_error(0, [], None)
    assert not rules.stop_all()
    rules.on_trial_complete(0, [], None)
    assert rules.stop_all() and "did not improve in the last 3 trials" in rules.reason


def test_epoch_budget_counts_every_trial_epoch():
    rules = SweepStopRules(
        "val_loss", "min", target=None, plateau_trials=None, plateau_min_delta=0.0, epoch_budget=5
    )
    for epoch in range(1, 3):
        report(rules, "a", 0.5, epoch)
        report(rules, "b", 0.6, epoch)
    assert not rules.stop_all()
    report(rules, "a", 0.4, 3)
    assert rules.stop_all() and "trained 5 epochs" in rules.reason


def test_the_repeated_last_result_of_a_finished_trial_is_not_an_epoch():
    rules = SweepStopRules(
        "val_loss", "min", target=None, plateau_trials=None, plateau_min_delta=0.0, epoch_budget=3
    )
    last = {"val_loss": 0.5, "epoch": 2}
    rules("a", {"val_loss": 0.6, "epoch": 1})
    rules("a", last)
    rules("a", last)  # what Tune passes again when the trial's function returns
    assert rules.epochs == 2 and not rules.stop_all()


def test_results_carrying_several_epochs_count_and_are_judged_epoch_by_epoch(capsys):
    rules = SweepStopRules(
        "val_loss", "min", target=0.2, plateau_trials=None, plateau_min_delta=0.0, epoch_budget=10
    )
    batch = {
        "val_loss": 0.3,
        "epoch": 4,
        "epoch_results": [
            {"val_loss": v, "epoch": e} for e, v in [(1, 0.5), (2, 0.19), (3, 0.25), (4, 0.3)]
        ],
    }
    assert rules("a", batch) is False
    assert rules.epochs == 4  # four epochs, not one result
    assert "reached the target val_loss 0.2 (0.19) at epoch 2" in capsys.readouterr().out
