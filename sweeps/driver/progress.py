"""The live progress table printed while a sweep runs (driver side).

Every few seconds, and whenever a trial finishes: counts by status, epochs done against the
sweep's epoch budget, the best result so far (with several objectives, by the first one, and how
many trials are on the front of their latest results so far), and one line per running trial.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ray.tune import Callback

from sweeps.results.metric_values import is_finite_number
from sweeps.results.trial_status import (
    COMPLETED,
    DIVERGED,
    ENDED,
    ERRORED,
    PENDING,
    RUNNING,
    STATUSES,
    STOPPED,
    error_line,
)
from sweeps.runtime.ray_control import TRIAL_ERROR_FILE
from sweeps.sweep_file.objectives import pareto_ranks


def trial_state(trial: Any, max_epochs: int) -> str:
    """A trial's state in the sweep's words (Tune says TERMINATED for finished and stopped)."""
    result = trial.last_result or {}
    if trial.status == "ERROR":
        return ERRORED
    if trial.status in ("RUNNING",):
        return RUNNING
    if trial.status in ("PENDING", "PAUSED"):
        return PENDING
    if result.get(ENDED):
        return result[ENDED]
    if result.get(DIVERGED):
        return DIVERGED
    return COMPLETED if result.get("epoch", 0) >= max_epochs else STOPPED


class ProgressTable(Callback):
    def __init__(
        self,
        metric: str,
        mode: str,
        max_epochs: int,
        total_trials: int,
        searched: list[str],
        interval_s: float = 10.0,
        stream: TextIO | None = None,
        max_retries: int = 0,
        others: tuple[tuple[str, str], ...] = (),
    ):
        self.metric = metric
        self.mode = mode
        self.others = others  # the other objectives: (metric, mode)
        self.max_epochs = max_epochs
        self.total_trials = total_trials
        self.searched = searched
        self.interval_s = interval_s
        self.stream = stream
        self.max_retries = max_retries
        self.started = time.monotonic()
        self.last_print = 0.0
        self.finished_since_print = False

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "stream": None}

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.finished_since_print = True

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        retry = f"retry {trial.num_failures} of {self.max_retries}"
        start = "its last checkpoint" if trial.checkpoint is not None else "the start"
        self._say_failed(trial, f"{retry}, from {start}")

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.finished_since_print = True
        self._say_failed(trial, "no retries left" if self.max_retries else "no retries")

    def _say_failed(self, trial: Any, then: str) -> None:
        """One line for a failed trial: what failed, where its traceback is, what happens next."""
        epoch = (trial.last_result or {}).get("epoch", 0)
        print(
            f"failed     trial {trial.trial_id} after epoch {epoch}: {failure_summary(trial)} "
            f"({then}; traceback in {trial.path}/{TRIAL_ERROR_FILE})",
            file=self.stream or sys.stdout,
            flush=True,
        )

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        now = time.monotonic()
        if now - self.last_print >= self.interval_s or (
            self.finished_since_print and now - self.last_print >= 2
        ):
            self.print_table(trials)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self.print_table(trials)

    def print_table(self, trials: list) -> None:
        self.last_print = time.monotonic()
        self.finished_since_print = False
        stream = self.stream or sys.stdout
        counts = dict.fromkeys(STATUSES, 0)
        epochs = 0
        best: tuple[float, Any] | None = None
        for trial in trials:
            counts[trial_state(trial, self.max_epochs)] += 1
            result = trial.last_result or {}
            epochs += int(result.get("epoch", 0))
            value = _best_value(trial, self.metric, self.mode)
            if value is not None and (
                best is None or (value > best[0] if self.mode == "max" else value < best[0])
            ):
                best = (value, trial)
        elapsed = time.monotonic() - self.started
        budget = self.total_trials * self.max_epochs
        lines = [
            f"[{_clock(elapsed)}] trials {len(trials)}/{self.total_trials}: "
            + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]),
            f"  epochs {epochs} of at most {budget} {_bar(epochs, budget)}",
        ]
        if best is not None:
            lines.append(f"  best {self.metric} so far: {best[0]:.4f} (trial {best[1].trial_id})")
        if self.others:
            lines.append(self._front_line(trials))
        running = [t for t in trials if t.status == "RUNNING"]
        for trial in running[:8]:
            result = trial.last_result or {}
            values = "  ".join(
                f"{name} {_shown(result.get(name))}"
                for name in (self.metric, *(other for other, _ in self.others))
            )
            params = " ".join(
                f"{k}={_short(trial.config[k])}" for k in self.searched if k in trial.config
            )
            lines.append(
                f"  {trial.trial_id}  epoch {result.get('epoch', 0):>3}  {values}  {params}"
            )
        if len(running) > 8:
            lines.append(f"  ... and {len(running) - 8} more running")
        print("\n".join(lines), file=stream, flush=True)

    def _front_line(self, trials: list) -> str:
        """How many trials are on the Pareto front of every trial's latest result."""
        names = (self.metric, *(name for name, _ in self.others))
        modes = (self.mode, *(mode for _, mode in self.others))
        points = []
        for trial in trials:
            result = trial.last_result or {}
            values: list[Any] = [result.get(name) for name in names]
            if (
                trial.status != "ERROR"
                and not result.get("diverged")
                and not result.get(ENDED)
                and all(is_finite_number(value) for value in values)
            ):
                points.append(tuple(float(value) for value in values))
        front = sum(1 for rank in pareto_ranks(points, modes) if rank == 0)
        return f"  front so far: {front} of {len(points)} trials with every objective"


def _shown(value: Any) -> str:
    return f"{value:.4g}" if is_finite_number(value) else "-"


def failure_summary(trial: Any) -> str:
    """The last line of a failed trial's traceback: its exception's type and first line (the
    trial's own exception, not the Ray error that carried it to the driver)."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray import cloudpickle

    # The driver's own copy, written before any callback hears of the failure (the copy in the
    # sweep's storage follows at the next sync).
    file = trial.pickled_error_file
    try:
        error = cloudpickle.loads(Path(file).read_bytes()) if file else None
    except Exception:  # noqa: BLE001 - a file that cannot be read leaves the generic line
        error = None
    return "failed (no error recorded)" if error is None else error_line(error)


def _best_value(trial: Any, metric: str, mode: str) -> float | None:
    # Tune keeps per-metric summaries (min/max/last) of every reported value.
    stats = getattr(trial, "metric_analysis", {}).get(metric, {})
    value = stats.get(mode)
    if trial.last_result and trial.last_result.get("diverged"):
        return None
    return float(value) if is_finite_number(value) else None


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = min(width, int(width * done / total)) if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"
