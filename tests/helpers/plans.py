"""Trial plans for tests of a shipped family's trial: an MLP on digits, one CPU, seed 0, the
sweep's metric validation accuracy, checkpoints only where the trial protocol needs one; a test
names only what it changes."""

from typing import Any

from sweeps.definition.trial_plan import TrialPlan


def shipped_plan(**fields: Any) -> TrialPlan:
    defaults: dict[str, Any] = {
        "family": "mlp",
        "model_args": {"depth": 1, "width": 16},
        "dataset": "digits",
        "data_args": {},
        "metric": "val_accuracy",
        "mode": "max",
        "max_epochs": 2,
        "checkpoint_every": 0,
        "seed": 0,
        "cpus": 1,
        "gpus": 0,
    }
    return TrialPlan(**{**defaults, **fields})
