"""Trials that end on their own before their last epoch, and why, as their last result says.

A trial that runs longer than ``stop.trial_timeout_s`` (hung, or only slow) or runs out of memory
is ended by the trial itself instead of failing: a retry from its checkpoint would hang or run out
of memory again, so Tune must not spend ``failure.max_retries`` on it. Its last result carries
``ENDED`` (its status in trials.parquet and the progress table) and ``ENDED_REASON`` (one line,
the tables' error column). Everything it trained before stays in the results.
"""

from __future__ import annotations

from typing import Any

ENDED = "ended"
ENDED_REASON = "ended_reason"

# Every status a trial is shown with (their meanings: sweeps.results.schema.STATUS_MEANINGS).
RUNNING = "running"
PENDING = "pending"
COMPLETED = "completed"
STOPPED = "stopped"
DIVERGED = "diverged"
TIMED_OUT = "timed_out"
OUT_OF_MEMORY = "out_of_memory"
# The sweep's metric is not among what the model logs: every trial would end the same way, so
# the driver stops the sweep (sweeps.driver.metric_check).
METRIC_MISSING = "metric_missing"
# A configuration that breaks a constraint known before training (sweeps.sweep_file.objectives): the
# trial ends before its first epoch, its reason the value that broke the constraint.
INFEASIBLE = "infeasible"
ERRORED = "errored"
MISSING = "missing"  # a trial whose folder was deleted
NOT_STARTED = "not_started"

# In the order the console and the report list them (trials.parquet's statuses, and the running
# and pending of a sweep in progress).
STATUSES = (
    RUNNING,
    PENDING,
    COMPLETED,
    STOPPED,
    DIVERGED,
    TIMED_OUT,
    OUT_OF_MEMORY,
    METRIC_MISSING,
    INFEASIBLE,
    ERRORED,
    MISSING,
    NOT_STARTED,
)


def trial_status(
    record_history: list[dict[str, Any]],
    error: str | None,
    max_epochs: int,
    ended: str | None = None,
) -> str:
    """A trial's status in the tables (and the trackers) from its epochs' results, its error
    and how its last result says it ended."""
    if ended == MISSING:
        return MISSING
    if error:
        return ERRORED
    if ended:
        return ended  # timed_out, out_of_memory, infeasible: see above
    if not record_history:
        return NOT_STARTED
    last = record_history[-1]
    if last.get(DIVERGED):
        return DIVERGED
    return COMPLETED if int(last.get("epoch", 0)) >= max_epochs else STOPPED


# How the allocators say it: torch's CPU allocator ("DefaultCPUAllocator: can't allocate
# memory"), CUDA ("CUDA out of memory", "CUDA error: out of memory"), MPS and XLA ("out of memory").
_OUT_OF_MEMORY_TEXTS = ("out of memory", "can't allocate memory", "cannot allocate memory")


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is an allocation failure."""
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError) or type(current).__name__ == "OutOfMemoryError":
            return True
        # By text too: a data-parallel worker's error reaches the trial wrapped in Ray's own.
        if any(text in str(current).lower() for text in _OUT_OF_MEMORY_TEXTS):
            return True
        current = current.__cause__ or current.__context__
    return False


def error_line(error: BaseException) -> str:
    """A failed trial's error in one line, as the console and the tables say it: its own
    exception's type and first line (a trial's exception reaches the driver inside Ray's, as
    its ``cause``; the lines after the first, a stalled trial's stacks say, stay in error.txt)."""
    cause = getattr(error, "cause", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
