"""A sweep's trials and per-epoch metrics as plain rows, from its Parquet tables, or, while the
sweep runs (no tables yet), from the trials' result logs; several sweeps as one pyarrow dataset."""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sweeps.errors import SweepError, first_line
from sweeps.results import schema
from sweeps.results.layout import METRICS_FILE, RESULT_LOG, SPEC_FILE, TRIALS_FILE
from sweeps.results.metric_values import better, is_finite_number
from sweeps.sweep_file.objectives import load_objectives
from sweeps.sweep_file.yaml_loading import read_yaml_file

SAMPLE_SEED = 0  # which trials a plot of too many draws: the same ones every time


@dataclass
class SweepResults:
    folder: Path
    name: str
    metric: str
    mode: str
    raw: dict[str, Any]  # the sweep file as started
    trials: list[dict[str, Any]]  # one row per trial (trials.parquet's columns)
    epochs: list[
        dict[str, Any]
    ]  # one row per trial and epoch (metrics.parquet's columns, + timestamp)
    finished: bool  # the tables exist: the sweep ended
    searched: list[str] = field(default_factory=list)
    others: tuple[tuple[str, str], ...] = ()  # the other objectives: (metric, mode)
    _histories: dict[str, list[dict[str, Any]]] | None = field(default=None, repr=False)

    @property
    def log_keys(self) -> set[str]:
        """Keys searched on a log scale (logint, logfloat): plotted and compared as logarithms."""
        space = self.raw.get("space") or {}
        return {
            key
            for key, entry in space.items()
            if isinstance(entry, dict)
            and any(str(kind).startswith("log") for kind in entry if kind in ("logint", "logfloat"))
        }

    def history(self, trial_id: str) -> list[dict[str, Any]]:
        return self.histories().get(trial_id, [])

    def histories(self) -> dict[str, list[dict[str, Any]]]:
        """Every trial's epochs in order, indexed once (a report over 10,000 trials reads each
        trial's history: one scan of every epoch each would take minutes)."""
        if self._histories is None:
            found: dict[str, list[dict[str, Any]]] = {}
            for row in self.epochs:
                found.setdefault(row["trial_id"], []).append(row)
            for rows in found.values():
                rows.sort(key=lambda row: row["epoch"])
            self._histories = found
        return self._histories

    def drawn(self, limit: int, best: int) -> tuple[list[str], int]:
        """Which trials' curves a plot draws one by one: every trial with a finite metric up to
        ``limit`` of them; beyond, the ``best`` best and a seeded sample of the others. Returns
        them (ids) and how many there were."""
        with_metric = [
            trial_id
            for trial_id, rows in self.histories().items()
            if any(is_finite_number(row.get(self.metric)) for row in rows)
        ]
        if len(with_metric) <= limit:
            return with_metric, len(with_metric)
        present = set(with_metric)
        top = [row["trial_id"] for row in self.ranked() if row["trial_id"] in present][:best]
        rest = sorted(present - set(top))
        sample = random.Random(SAMPLE_SEED).sample(rest, min(len(rest), limit - len(top)))
        return top + sorted(sample), len(with_metric)

    def ranked(self) -> list[dict[str, Any]]:
        """Trials with a finite best metric, best first."""
        key = schema.BEST.named(metric=self.metric)
        scored = [row for row in self.trials if is_finite_number(row.get(key))]
        return sorted(scored, key=lambda row: row[key], reverse=self.mode == "max")


def read_table(path: Path, schema_only: bool = False) -> Any:
    """A sweep's Parquet table (or its schema); a damaged one is a one-line error naming it."""
    try:
        return pq.read_schema(path) if schema_only else pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise SweepError(
            f"{path}: damaged or not a Parquet table ({first_line(error)}); the sweep's "
            "trials still hold their results: --resume on it writes its tables again"
        ) from None


def load_sweep_results(folder: str | Path) -> SweepResults:
    folder = Path(folder)
    if not (folder / SPEC_FILE).is_file():
        raise SweepError(
            f"{folder} holds no sweep (no {SPEC_FILE}); give a sweep's results folder, such as results/digits_asha"
        )
    raw = read_yaml_file(folder / SPEC_FILE)
    try:
        objectives = load_objectives(raw.get("metric"), raw.get("mode"))
    except (SweepError, AttributeError):
        raise SweepError(
            f"{folder / SPEC_FILE}: damaged (no metric and mode); it is the sweep as started, "
            "so restore it from the sweep file and its --set options"
        ) from None
    # The first objective leads: the rankings below are by it (sweeps.sweep_file.objectives).
    metric, mode = objectives[0].metric, objectives[0].mode
    timestamps = _result_logs(folder)
    if (folder / TRIALS_FILE).is_file() and (folder / METRICS_FILE).is_file():
        trials = read_table(folder / TRIALS_FILE).to_pylist()
        epochs = read_table(folder / METRICS_FILE).to_pylist()
        for row in epochs:
            logged = timestamps.get((row["trial_id"], row["epoch"]), {})
            row["timestamp"], row["time_this_iter_s"] = (
                logged.get("timestamp"),
                logged.get("time_this_iter_s"),
            )
        finished = True
    else:
        trials, epochs = _from_result_logs(folder, timestamps, metric, mode)
        finished = False
    keys = {schema.config_key(column) for row in trials for column in row}
    searched = sorted(key for key in keys if key is not None)
    return SweepResults(
        folder,
        raw["name"],
        metric,
        mode,
        raw,
        trials,
        epochs,
        finished,
        searched,
        tuple((objective.metric, objective.mode) for objective in objectives[1:]),
    )


def _result_logs(folder: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Every trial's reported results by (trial id, epoch); a later report of an epoch wins."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for log in sorted(folder.glob(f"*/{RESULT_LOG}")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                result = json.loads(line)
            except ValueError:
                continue  # a line being written
            if isinstance(result.get("epoch"), int):
                found[(log.parent.name, result["epoch"])] = result
    return found


def _from_result_logs(
    folder: Path, logs: dict[tuple[str, int], dict[str, Any]], metric: str, mode: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    by_trial: dict[str, list[dict[str, Any]]] = {}
    for (trial_id, _), result in sorted(logs.items()):
        by_trial.setdefault(trial_id, []).append(result)
    trials, epochs = [], []
    for trial_id, history in by_trial.items():
        values = [r[metric] for r in history if is_finite_number(r.get(metric))]
        best = functools.reduce(lambda a, b: better(a, b, mode), values) if values else None
        config = history[-1].get("config", {})
        trials.append(
            {
                schema.TRIAL_ID.name: trial_id,
                schema.STATUS.name: "running",
                schema.EPOCHS.name: history[-1]["epoch"],
                schema.BEST.named(metric=metric): best,
                schema.FINAL.named(metric=metric): values[-1] if values else None,
                schema.WALL_TIME_S.name: history[-1].get("time_total_s"),
                **{schema.CONFIG.named(key=key): value for key, value in config.items()},
            }
        )
        for result in history:
            epochs.append(
                {key: value for key, value in result.items() if key != "config"}
                | {"trial_id": trial_id}
            )
    return trials, epochs


def sweeps_dataset(storage: str | Path, table: str = "trials") -> ds.Dataset:
    """Every sweep's ``trials.parquet`` (or ``metrics.parquet``) under ``storage`` as one pyarrow
    dataset, with a ``sweep`` column; columns one sweep lacks (another space) are null there."""
    storage = Path(storage)
    files = sorted(str(path) for path in storage.glob(f"*/{table}.parquet"))
    if not files:
        raise SweepError(f"{storage} holds no finished sweep ({table}.parquet)")
    schema = pa.unify_schemas(
        [read_table(Path(file), schema_only=True) for file in files]
        + [pa.schema([("sweep", pa.string())])]
    )
    return ds.dataset(
        files,
        schema=schema,
        format="parquet",
        partitioning=ds.DirectoryPartitioning(pa.schema([("sweep", pa.string())])),
        partition_base_dir=str(storage),
    )


def folders_dataset(folders: list[Path], table: str = "trials") -> ds.Dataset:
    """The finished sweeps among ``folders`` (any storage paths) as one pyarrow dataset, with a
    ``sweep`` column naming each row's folder."""
    tables = []
    for folder in folders:
        path = Path(folder) / f"{table}.parquet"
        if path.is_file():
            part = read_table(path)
            tables.append(
                part.append_column(
                    "sweep", pa.array([Path(folder).name] * part.num_rows, pa.string())
                )
            )
    if not tables:
        raise SweepError(
            f"none of {', '.join(map(str, folders))} holds a finished sweep ({table}.parquet)"
        )
    return ds.dataset(pa.concat_tables(tables, promote_options="default"))
