"""The digits grid sweep (sweeps/digits_grid.yaml) cut down for the system tests, as --set options."""

from __future__ import annotations


def grid(
    depths: list[int], widths: list[int], lrs: list[float], epochs: int, *settings: str
) -> list[str]:
    """--set options that search exactly this grid for ``epochs`` epochs, plus ``settings``
    (KEY=VALUE each)."""
    values = [
        f"space.depth={{grid: {depths}}}",
        f"space.width={{grid: {widths}}}",
        f"space.lr={{grid: {lrs}}}",
        f"stop.max_epochs={epochs}",
        *settings,
    ]
    return [word for value in values for word in ("--set", value)]


# One trial of two epochs: the quickest whole sweep.
ONE_QUICK_TRIAL = grid([1], [32], [0.01], 2)


def two_long_trials(epochs: int) -> list[str]:
    """Two trials of a model large enough that ``epochs`` take a while, checkpointed every other
    epoch: a sweep to interrupt and resume."""
    return grid([3], [256], [0.001, 0.002], epochs, "model.batch_size=16", "checkpoint.every=2")
