"""Several epochs in one Tune result.

A trial of short epochs reports to Tune only when something needs its result: a checkpoint, a
scheduler's decision epoch, its end, or a second after its previous report (for the live
progress and TensorBoard). Each report carries every epoch trained since the previous one under
``EPOCH_RESULTS``, the last of them being the report's own metrics, so nothing the sweep logs is
lost: the result log, TensorBoard and the stop rules unpack them with ``epoch_results``, and the
tables keep one row per epoch. Schedulers see the reports themselves, which fall on their
decision epochs (see ``TrialPlan.report_due``).
"""

from __future__ import annotations

from typing import Any

EPOCH_RESULTS = "epoch_results"
# What a result holds besides the model's own metrics: Tune's fields and the trial's own.
NOT_METRICS = frozenset(
    {
        "timestamp",
        "time_this_iter_s",
        "time_total_s",
        "training_iteration",
        "iterations_since_restore",
        "time_since_restore",
        "pid",
        "done",
        "should_checkpoint",
        "checkpoint_dir_name",
        "date",
        "hostname",
        "node_ip",
        "trial_id",
        "experiment_tag",
        "epoch",
        "diverged",
        "node_id",
        "ended",
        "ended_reason",
        EPOCH_RESULTS,
    }
)
# What a report says about its own (last) epoch only: earlier epochs had no checkpoint.
_LAST_EPOCH_ONLY = {"should_checkpoint": False, "checkpoint_dir_name": None, "done": False}


def epoch_results(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One result per epoch in a Tune result: each epoch's metrics over the report's own fields
    (trial id, time, config, ...); a result from before batching is its own single epoch."""
    if EPOCH_RESULTS not in result:
        return [result]
    entries = result[EPOCH_RESULTS]
    if not entries:
        return []  # a trial ending on its own after its last report (sweeps.results.trial_status)
    shared = {key: value for key, value in result.items() if key != EPOCH_RESULTS}
    earlier = {**shared, **{key: value for key, value in _LAST_EPOCH_ONLY.items() if key in shared}}
    return [{**earlier, **entry} for entry in entries[:-1]] + [{**shared, **entries[-1]}]


def logged_values(entry: dict[str, Any]) -> dict[str, float]:
    """The numbers a model logged in one epoch's result (NaN and infinities included)."""
    return {
        name: float(value)
        for name, value in entry.items()
        if name not in NOT_METRICS
        and not name.startswith("config/")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    }
