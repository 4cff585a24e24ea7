"""What a trial does between two epochs, whichever loop trains it: the one trial protocol.

A trial's training loop (the lean loop of sweeps/trial/epoch_loop.py, or Lightning's Trainer with the
callback of sweeps/trial/trainer_loop.py, in one process or over data-parallel workers) trains an epoch
and hands its metrics to ``TrialSession.decide``, which answers whether to save a checkpoint and
whether the trial ends (its last epoch, early stopping, divergence, a timeout, a metric the model
never logs). The loop saves its model into a folder when told to, and ``TrialSession.deliver``
completes that folder (patience and metrics files) and reports to Tune: every epoch since the
previous report (see sweeps.results.epoch_results), at the scheduler's decision epochs, with each
checkpoint, at the end, and otherwise about once a second.

    session.before_epoch()
    results = <train one epoch>            # one EpochResult per fold (k-fold), else one
    decision = session.decide(results)
    folder = <a new folder, the model saved into it> if decision.save else None
    session.deliver(decision, folder)
    if decision.last: <stop training>

Reports, patience, the checkpoint schedule, divergence and timeouts are written here once;
k-fold lockstep (one epoch of every fold per decision) is the lean loop's, PBT restores and
retries arrive as the checkpoint a trial starts from (``restored``).
"""

from __future__ import annotations

import difflib
import json
import math
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweeps.definition.trial_plan import TrialPlan
from sweeps.results.epoch_results import EPOCH_RESULTS
from sweeps.results.layout import CHECKPOINT_METRICS_FILE, PATIENCE_FILE
from sweeps.results.metric_values import better, is_number
from sweeps.results.trial_status import (
    ENDED,
    ENDED_REASON,
    INFEASIBLE,
    METRIC_MISSING,
    TIMED_OUT,
)
from sweeps.sweep_file.objectives import BUILTIN_METRICS, PARAMS
from sweeps.trial import fault_injection
from sweeps.trial.stall_watch import StallWatch

DIVERGED = "diverged"
EPOCH = "epoch"
NODE_ID = "node_id"


@dataclass(frozen=True)
class EpochResult:
    epoch: int  # epochs completed, counting from 1
    metrics: dict[str, float]
    # Logged values that are not one number (a tensor of several elements): name -> what it was.
    not_scalar: dict[str, str] = field(default_factory=dict)


class MetricMissing(Exception):
    """The sweep's metric is not among what the model logged (or is not one number)."""


class Patience:
    """Early stopping on the trial's (fold-averaged) metric: stop after ``patience`` epochs in a
    row without a strict improvement on the best so far. Its state travels in checkpoints."""

    def __init__(self, mode: str, patience: int | None, state: dict[str, Any] | None = None):
        self.mode = mode
        self.patience = patience
        self.best: float | None = (state or {}).get("best")
        self.waited: int = (state or {}).get("waited", 0)

    def exhausted(self, value: float) -> bool:
        if self.best is None or (
            value != self.best and better(value, self.best, self.mode) == value
        ):
            self.best, self.waited = value, 0
        else:
            self.waited += 1
        return self.patience is not None and self.waited >= self.patience

    def state(self) -> dict[str, Any]:
        return {"best": self.best, "waited": self.waited}


def missing_metric_message(
    metric: str, logged: list[str], model: str, not_scalar: str | None = None
) -> str:
    """One line: the metric the model did not log (or logged as several numbers), what it did log
    and the closest name."""
    if not_scalar is not None:
        return f"metric {metric!r} is not one number: {model} logged {not_scalar}; log a scalar (a float or a one-element tensor)"
    shown = ", ".join(sorted(logged)) or "nothing"
    close = difflib.get_close_matches(metric, logged, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"metric {metric!r} was never logged by {model}; it logged: {shown}{hint}"


def epoch_metrics(plan: TrialPlan, results: list[EpochResult]) -> dict[str, float]:
    """The trial's metrics for one epoch: each metric's mean over the folds (with one fold, its
    own values), plus the spread of the sweep's metric across folds. The built-in metrics
    (sweeps.sweep_file.objectives) are the session's, added after."""
    for fold, result in enumerate(results):
        for metric in plan.required_metrics:
            if metric in result.metrics or metric in BUILTIN_METRICS:
                continue
            where = f" (fold {fold})" if len(results) > 1 else ""
            raise MetricMissing(
                missing_metric_message(
                    metric,
                    list(result.metrics),
                    plan.model.model_name + where,
                    result.not_scalar.get(metric),
                )
            )
    names = [
        name for name in results[0].metrics if all(name in result.metrics for result in results)
    ]
    metrics = {name: statistics.fmean(result.metrics[name] for result in results) for name in names}
    if len(results) > 1:
        metrics[f"{plan.metric}_fold_std"] = statistics.pstdev(
            result.metrics[plan.metric] for result in results
        )
    return metrics


def is_diverged(results: list[EpochResult], metric: str) -> bool:
    """A non-finite loss (any logged name with 'loss' in it) or a non-finite sweep metric."""
    return any(
        ("loss" in name or name == metric) and is_number(value) and not math.isfinite(value)
        for result in results
        for name, value in result.metrics.items()
    )


Send = Callable[[dict[str, Any], "Path | None", bool], None]


def send_to_tune(result: dict[str, Any], folder: Path | None, last: bool) -> None:
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray import tune

    tune.report(result, checkpoint=tune.Checkpoint.from_directory(folder) if folder else None)


class TrialReports:
    """Every report the trial sends to Tune, from its training loop or from its watchdog.

    A lock keeps the two from reporting at once, and once the trial has ended (its last epoch,
    or ``end`` below) nothing more is reported. ``end`` finishes the trial early on its own,
    with the epochs it trained since its previous report, its last epoch's metrics (what the
    searcher learns from) and why it ended (sweeps.results.trial_status); Tune stops a trial whose result
    says ``done``. ``send`` delivers a result (Tune's own report, or a relay from a data-parallel
    worker to the trial's process)."""

    def __init__(self, plan: TrialPlan, node_id: str, send: Send = send_to_tune):
        self.node_id = node_id
        self.send = send
        self.lock = threading.Lock()
        self.unreported: list[dict[str, Any]] = []
        self.last_metrics: dict[str, Any] = {plan.metric: float("nan"), EPOCH: 0}
        self.ended = False

    def add(self, metrics: dict[str, Any]) -> None:
        with self.lock:
            self.unreported.append(dict(metrics))
            self.last_metrics = dict(metrics)

    def report(self, metrics: dict[str, Any], folder: Path | None, last: bool) -> bool:
        """Send the epochs trained since the previous report; False if the trial has ended."""
        with self.lock:
            if self.ended:
                return False
            self.ended = last
            self.send({**metrics, EPOCH_RESULTS: self.unreported}, folder, last)
            self.unreported = []
            return True

    def forward(self, result: dict[str, Any], folder: Path | None, last: bool) -> bool:
        """Pass on a whole result reported elsewhere (a data-parallel trial's rank 0)."""
        with self.lock:
            if self.ended:
                return False
            self.ended = last
            entries = result.get(EPOCH_RESULTS) or []
            if entries:
                self.last_metrics = dict(entries[-1])
            self.send(result, folder, last)
            return True

    def end_infeasible(self, params: int | None, reason: str) -> None:
        """End the trial before its first epoch: its configuration breaks a constraint known
        before training (``reason``: the value that broke it)."""
        if params is not None:
            self.last_metrics[PARAMS] = float(params)
        self.end(INFEASIBLE, reason)

    def end(self, kind: str, reason: str) -> None:
        with self.lock:
            if self.ended:
                return
            self.ended = True
            final = {
                **self.last_metrics,
                NODE_ID: self.node_id,
                ENDED: kind,
                ENDED_REASON: reason,
                "done": True,
            }
            # No epoch of its own: the epochs since the previous report are the only new rows.
            self.send({**final, EPOCH_RESULTS: self.unreported}, None, True)
            self.unreported = []


def timeout_reason(plan: TrialPlan) -> str:
    return f"ran longer than stop.trial_timeout_s ({plan.trial_timeout_s:g} s)"


class Watchdog:
    """Ends the trial with ``timed_out`` once it has run ``plan.trial_timeout_s``, even while its
    training hangs (a thread of its own; the training loop also ends a trial that is merely slow
    at the end of its epoch, see ``TrialSession.decide``)."""

    def __init__(self, reports: TrialReports, plan: TrialPlan):
        self.timer: threading.Timer | None = None
        if plan.trial_timeout_s:
            self.timer = threading.Timer(
                plan.trial_timeout_s, reports.end, (TIMED_OUT, timeout_reason(plan))
            )
            self.timer.daemon = True
            self.timer.start()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


@dataclass(frozen=True)
class Decision:
    """What the loop does after an epoch (plain values: sent from rank 0 to the other ranks)."""

    metrics: dict[str, Any]
    save: bool = False
    report: bool = False
    last: bool = False


def read_restored(restored: Path | None, name: str) -> dict[str, Any] | None:
    path = restored / name if restored else None
    return json.loads(path.read_text()) if path and path.is_file() else None


class TrialSession:
    """The trial-level behaviour between epochs (see the module's docstring). ``restored`` is the
    checkpoint folder the trial continues from, if any; its patience and metrics files are read."""

    def __init__(
        self,
        plan: TrialPlan,
        reports: TrialReports,
        restored: Path | None = None,
        faults: frozenset[str] = frozenset(),
        patience: int | None = None,
        watch: StallWatch | None = None,
        measures_device: Any = None,
    ):
        self.plan = plan
        self.reports = reports
        self.faults = faults
        self.watch = watch  # this process's, armed while an epoch trains
        self.patience = Patience(plan.mode, patience, read_restored(restored, PATIENCE_FILE))
        self.restored_metrics = read_restored(restored, CHECKPOINT_METRICS_FILE)
        self.deadline = (
            time.monotonic() + plan.trial_timeout_s if plan.trial_timeout_s else math.inf
        )
        self.last_checkpoint = self.last_report = time.monotonic()
        self.trained = 0
        # Imported here: it loads torch, which the driver (importing this module's names for
        # the trainer's callback) never needs.
        from sweeps.trial.measures import TrialMeasures

        # The built-in metrics; the training loop shows them the model and a validation batch.
        self.measures = TrialMeasures(measures_device)

    @property
    def ended(self) -> bool:
        return self.reports.ended

    def before_epoch(self) -> None:
        self.measures.epoch_starting()
        self.trained += 1
        if self.watch is not None:
            done = (self.restored_metrics or {}).get(EPOCH, 0)
            self.watch.epoch_starting(f"training epoch {done + self.trained}")
        fault_injection.before_epoch(
            self.faults, self.trained, restored=self.restored_metrics is not None
        )

    def decide(self, results: list[EpochResult], stopping: bool = False) -> Decision:
        """``stopping``: the training ends after this epoch anyway (a user's EarlyStopping)."""
        if self.watch is not None:
            self.watch.epoch_done()  # what follows waits on the driver, not on training
        plan = self.plan
        epoch = results[0].epoch
        try:
            metrics: dict[str, Any] = epoch_metrics(plan, results)
            for name, value in self.measures.after_epoch().items():
                metrics.setdefault(name, value)  # a name the module logs itself is its own
            self._check_measured(metrics)
        except MetricMissing as missing:
            self.end_for_metric(str(missing))
            return Decision({}, last=True)
        diverged = is_diverged(results, plan.metric)
        metrics.update({EPOCH: epoch, DIVERGED: diverged, NODE_ID: self.reports.node_id})
        if diverged:
            # Never let a diverged trial look good to the scheduler or become the best trial.
            metrics[plan.metric] = float("nan")
        self.reports.add(metrics)
        now = time.monotonic()
        timed_out = now >= self.deadline and epoch < plan.max_epochs
        exhausted = self.patience.exhausted(metrics[plan.metric])
        last = diverged or timed_out or stopping or epoch >= plan.max_epochs or exhausted
        save = not diverged and (last or plan.checkpoint_due(epoch, now - self.last_checkpoint))
        if timed_out:
            metrics.update({ENDED: TIMED_OUT, ENDED_REASON: timeout_reason(plan)})
        report = last or save or plan.report_due(epoch, now - self.last_report)
        return Decision(metrics, save=save, report=report, last=last)

    def _check_measured(self, metrics: dict[str, Any]) -> None:
        for name in self.plan.required_metrics:
            if name in BUILTIN_METRICS and name not in metrics:
                why = self.measures.why_unmeasured(name) or "it could not be measured"
                raise MetricMissing(
                    f"metric {name!r} is missing for {self.plan.model.model_name}: {why}"
                )

    def deliver(
        self, decision: Decision, folder: Path | None, wind_down: Callable[[], None] | None = None
    ) -> None:
        """Complete the checkpoint ``folder`` (the model is in it) and report, as decided; the
        folder is removed once Tune has its copy. ``wind_down`` stops the training before the
        last report: once Tune has that, it may hand this process the next trial."""
        try:
            if folder is not None:
                (folder / PATIENCE_FILE).write_text(json.dumps(self.patience.state()))
                (folder / CHECKPOINT_METRICS_FILE).write_text(json.dumps(self.reports.last_metrics))
            if not decision.report:
                return
            if decision.last and wind_down is not None:
                wind_down()
            self.reports.report(decision.metrics, folder, decision.last)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        now = time.monotonic()
        if decision.save:
            self.last_checkpoint = now
        self.last_report = now

    def end_without_epochs(self) -> None:
        """The loop had no epoch left to train: restored at its last epoch (as a PBT exploit of a
        finished trial's checkpoint is), the trial is that checkpoint, whose metrics are then the
        trial's last result."""
        if self.restored_metrics is not None and not self.ended:
            final = {**self.restored_metrics, NODE_ID: self.reports.node_id}
            self.reports.add(final)
            self.reports.report(final, None, last=True)

    def end_for_metric(self, message: str) -> None:
        """End the trial because the sweep's metric cannot be read from it; the driver stops the
        whole sweep on seeing it (every trial would end the same way)."""
        self.reports.end(METRIC_MISSING, message)
