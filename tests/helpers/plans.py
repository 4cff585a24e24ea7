"""Trial plans for tests of a shipped family's trial: an MLP on digits, one CPU, seed 0, the
sweep's metric validation accuracy, checkpoints only where the trial protocol needs one; a test
names only what it changes."""

from typing import Any

from sweeps.definition.trial_plan import ShippedTrialModel, TrialPlan


def shipped_plan(
    family: str = "mlp",
    model_args: dict[str, Any] | None = None,
    dataset: str = "digits",
    data_args: dict[str, Any] | None = None,
    **fields: Any,
) -> TrialPlan:
    seed = fields.get("seed", 0)
    model = ShippedTrialModel(
        family,
        {"depth": 1, "width": 16} if model_args is None else model_args,
        dataset,
        data_args or {},
        seed,
    )
    defaults: dict[str, Any] = {
        "model": model,
        "metric": "val_accuracy",
        "mode": "max",
        "max_epochs": 2,
        "checkpoint_every": 0,
        "seed": 0,
        "cpus": 1,
        "gpus": 0,
    }
    return TrialPlan(**{**defaults, **fields})
