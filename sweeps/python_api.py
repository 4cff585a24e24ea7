"""Sweeps from Python: a notebook or a script runs any number of sweeps, one after another, in one
process, with the command line's checks, progress and Ctrl-C.

    import sweeps

    result = sweeps.run("sweep.yaml", storage="results", overrides={"trials.num_samples": 8})
    result = sweeps.run({"name": "nb", "model": {...}, ...})  # a dict works too
    result.best      # best.json as a dict
    result.trials    # trials.parquet as a pyarrow Table (result.trials.to_pandas())
    result.metrics   # metrics.parquet
    result.report()  # writes the report and returns its page's path

    result = sweeps.load("results/nb")  # a sweep run earlier (or still running elsewhere)

A mistake raises one ``SweepError`` that carries every mistake found (``error.every``), with
nothing started; a sweep that stops on its way raises ``SweepStopped``, whose ``reason`` says why
(sweeps.stop_reasons: a cluster that cannot be reached or is lost, ``ClusterError``; Ray failing
to start; a metric the model never logs; a full disk); Ctrl-C
(a notebook's interrupt) stops the sweep with its state saved and raises ``KeyboardInterrupt``
(continue with ``resume=True``). Imports neither torch nor Ray until a sweep runs.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sweeps.definition import SweepDefinition, find_sweep_file, load_sweep, sweep_from_dict
from sweeps.driver import stop_requests
from sweeps.driver.summaries import describe, outcome_summary
from sweeps.errors import SweepError, SweepErrors
from sweeps.results.layout import (
    BEST_FILE,
    METRICS_FILE,
    PARETO_FILE,
    SPEC_FILE,
    TRIALS_FILE,
)
from sweeps.results.storage import Location, fetched
from sweeps.runtime import ray_control

DICT_SOURCE = "the sweep dict"  # where a dict's mistakes are said to be


@dataclass
class SweepResult:
    """A sweep's results folder (a local path or a URI), read when asked."""

    folder: Path | str
    status_counts: dict[str, int] = field(default_factory=dict)  # of the run that returned it
    wall_time_s: float | None = None

    @property
    def location(self) -> Location:
        return Location.parse(self.folder)

    @cached_property
    def best(self) -> dict[str, Any]:
        """best.json: the best feasible trial, its config, checkpoint and test metrics."""
        return json.loads(self._read(BEST_FILE))

    @cached_property
    def front(self) -> list[dict[str, Any]]:
        """pareto.json's trials (with several objectives; one trial, the best, otherwise)."""
        return json.loads(self._read(PARETO_FILE))["trials"]

    @cached_property
    def trials(self) -> Any:
        """trials.parquet, one row per trial, as a pyarrow Table."""
        return self._table(TRIALS_FILE)

    @cached_property
    def metrics(self) -> Any:
        """metrics.parquet, one row per trial and epoch, as a pyarrow Table."""
        return self._table(METRICS_FILE)

    def report(self, out: str | Path | None = None, top: int = 5) -> Path:
        """Write the report (plots, importance, diagnosis, follow-up sweep, page) into ``out``
        (default: the sweep's ``report`` folder, or ``./<name>-report`` for a URI) and return the
        page's path."""
        # Imported here: the report loads matplotlib and plotly, which only this needs.
        from sweeps.analysis.report import write_report
        from sweeps.analysis.results import load_sweep_results

        location = self.location
        if out is None:
            out = (
                Path(f"{location.path.rsplit('/', 1)[-1]}-report")
                if location.is_remote
                else location.local() / "report"
            )
        with fetched(self.folder) as folder:
            return write_report(load_sweep_results(folder), Path(out), top).page

    def _read(self, name: str) -> bytes:
        child = self.location.child(name)
        try:
            return child.read_bytes()
        except FileNotFoundError:
            raise SweepError(
                f"{child} is missing: the sweep has not finished (its tables are written when it "
                "ends); resume it with resume=True"
            ) from None

    def _table(self, name: str) -> Any:
        # Imported here: pyarrow is read only when a table is asked for.
        import pyarrow as pa
        import pyarrow.parquet as pq

        return pq.read_table(pa.BufferReader(self._read(name)))

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.status_counts.items()))
        return f"SweepResult({str(self.folder)!r}{': ' + counts if counts else ''})"


def load(folder: str | Path) -> SweepResult:
    """The results of a sweep run earlier, by its folder (``<storage>/<name>``) or URI."""
    location = Location.parse(folder)
    if SPEC_FILE not in location.names():
        raise SweepError(
            f"{location} holds no sweep (no {SPEC_FILE}); give a sweep's results folder, such as "
            "results/digits_asha"
        )
    return SweepResult(str(location) if location.is_remote else location.local())


def run(
    sweep: str | Path | Mapping[str, Any],
    storage: str | Path = "results",
    *,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    name: str | None = None,
    address: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    verbose: bool = False,
    progress_interval_s: float = 10.0,
) -> SweepResult:
    """Run a sweep and return its results.

    ``sweep``: a sweep file (or a shipped sweep's name, as on the command line) or the sweep as
    a dict. ``overrides``: keys set by dotted path, as ``--set`` does (``{"trials.num_samples":
    8}``, or ``["trials.num_samples=8"]``). ``address``: a Ray cluster's HOST:PORT (or ``auto``);
    without it the sweep has an embedded Ray of its own, stopped when it ends. ``resume``,
    ``overwrite``, ``name``: as the command line's ``--resume``, ``--overwrite``, ``--name``.
    """
    try:
        outcome = _run(
            sweep,
            storage,
            _override_texts(overrides),
            name,
            address,
            resume,
            overwrite,
            verbose,
            progress_interval_s,
        )
    except SweepError as error:
        raise _in_python_words(error) from None
    except KeyboardInterrupt:
        line = in_python_words(stop_requests.interrupted_line())
        print(line, file=sys.stderr, flush=True)
        raise KeyboardInterrupt(line) from None
    print(outcome_summary(outcome), flush=True)
    return SweepResult(outcome.sweep_dir, dict(outcome.status_counts), outcome.wall_time_s)


def _run(
    sweep: str | Path | Mapping[str, Any],
    storage: str | Path,
    overrides: list[str],
    name: str | None,
    address: str | None,
    resume: bool,
    overwrite: bool,
    verbose: bool,
    progress_interval_s: float,
) -> Any:
    spec = _load(sweep, overrides, name)
    # Imported here: the runner's modules load only when a sweep runs.
    from sweeps.driver.runner import check_target, run_sweep

    if address is not None:
        address = ray_control.resolve_address(address)
    check_target(spec, storage, resume, overwrite)
    print(describe(spec, str(storage)), flush=True)
    connected_before = ray_control.is_connected()
    # The caller's signal handlers and environment come back last, after Ray's shutdown.
    with stop_requests.stoppable_python_run(), _environment_kept():
        try:
            return run_sweep(
                spec,
                storage,
                resume=resume,
                address=address,
                verbose=verbose,
                progress_interval_s=progress_interval_s,
                overwrite=overwrite,
            )
        finally:
            # The next sweep of this process starts (or connects) afresh; a Ray the caller had
            # connected to before is theirs to keep.
            if not connected_before:
                ray_control.shutdown()


@contextlib.contextmanager
def _environment_kept() -> Iterator[None]:
    """The caller's environment as it was, after a sweep in a process that goes on (a notebook):
    the embedded Ray's own token must not become the one a later sweep sends to the user's
    cluster, nor Tune's, Lightning's or the trackers' settings for the sweep outlive it."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# The command line's options named in messages, and what this API calls them.
_OPTION_WORDS = (
    (re.compile(r"--set (\S+?)\)"), r"overrides[\1])"),
    (re.compile(r"--set\b"), "overrides"),
    (re.compile(r"--resume\b"), "resume=True"),
    (re.compile(r"--overwrite\b"), "overwrite=True"),
    (re.compile(r"--name\b"), "name="),
)


def in_python_words(text: str) -> str:
    """A message of the runner's, with the command line's options named as this API's."""
    for pattern, words in _OPTION_WORDS:
        text = pattern.sub(words, text)
    return text


def _in_python_words(error: SweepError) -> SweepError:
    every = [
        SweepError(
            in_python_words(one.message),
            where=in_python_words(one.where) if one.where else None,
            path=one.path,
            position=one.position,
        )
        for one in error.every
    ]
    return SweepErrors(every) if len(every) > 1 else every[0]


def _load(
    sweep: str | Path | Mapping[str, Any], overrides: list[str], name: str | None
) -> SweepDefinition:
    if isinstance(sweep, Mapping):
        # Overrides write into the dict, which stays the caller's.
        return sweep_from_dict(
            copy.deepcopy(dict(sweep)), source=DICT_SOURCE, overrides=overrides, name=name
        )
    if not isinstance(sweep, str | Path):
        raise SweepError(
            f"got a {type(sweep).__name__}; give a sweep file's path or the sweep as a dict"
        )
    return load_sweep(find_sweep_file(sweep), overrides=overrides, name=name)


def _override_texts(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """``--set``'s KEY=VALUE texts; a dict's values are written as JSON, which YAML reads back
    as the same value (a string stays a string, a list a list)."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    if isinstance(overrides, str):
        raise SweepError(
            f"overrides {overrides!r}: give a dict ({{'trials.num_samples': 8}}) or a list of "
            "KEY=VALUE texts"
        )
    return list(overrides)
