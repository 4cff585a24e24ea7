"""The sweep's tables: ``trials.parquet``, ``metrics.parquet``, ``best.json`` and ``pareto.json``.

Built from what Tune persisted in the experiment folder (each trial's result log and kept
checkpoints), so they are complete after a resumed sweep too. Written atomically (a temporary
file renamed into place), so a reader never sees half a table.

A trial stands for its best epoch by the first objective (``best_epoch``): its value of every
objective there is its point on the Pareto front, and its constraints are judged there
(sweeps.sweep_file.objectives).

trials.parquet (one row per trial) and metrics.parquet (one row per reported epoch) have the
columns sweeps.results.schema lists, in its order and with its types.
best.json: sweep, metric, mode, trial_id, value, epoch, values (every objective at that epoch),
    config, model, data, checkpoint, checkpoint_epoch, checkpoint_value, test (the best
    checkpoint's metrics on the held-out test split): the best feasible trial by the first
    objective; all null when no feasible trial has a finite metric
pareto.json: metrics, modes, constraints, and trials: every trial on the front, best first by
    the first objective, each with trial_id, epoch, values, config, checkpoint and test
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sweeps.definition import SweepDefinition
from sweeps.results import schema
from sweeps.results.epoch_results import logged_values
from sweeps.results.layout import BEST_FILE, METRICS_FILE, PARETO_FILE, TRIALS_FILE
from sweeps.results.metric_values import is_finite_number, is_number
from sweeps.results.storage import Location, write_atomically
from sweeps.results.trial_status import (
    ENDED,
    ENDED_REASON,
    INFEASIBLE,
    MISSING,
    error_line,
    trial_status,
)
from sweeps.sweep_file.objectives import feasibility, pareto_ranks
from sweeps.sweep_file.space import Choice, FloatRange, Grid, IntRange, Param, plain

# The Arrow type of each type the schema names (sweeps.results.schema); searched keys' columns
# are typed by their kind of search (``_arrow_type``).
ARROW = {"string": pa.string(), "int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_()}


@dataclass
class TrialRecord:
    trial_id: str
    status: str
    config: dict[str, Any]
    history: list[dict[str, Any]]  # one dict per epoch, deduplicated, in epoch order
    checkpoints: list[tuple[str, dict[str, Any]]]  # (path, metrics at that checkpoint)
    error: str | None
    trial_dir: str


def records_from_results(
    result_grid: Any, spec: SweepDefinition, location: Location | None = None
) -> list[TrialRecord]:
    """One record per trial; paths named as the user would (URIs for remote storage)."""
    name = location.uri_of if location is not None else str
    records = []
    for result in result_grid:
        history = _history(result.metrics_dataframe)
        error = None if result.error is None else error_line(result.error)[:500]
        ended = None if error else (result.metrics or {}).get(ENDED)
        trial_dir = name(str(result.path))
        # The folder is named by the trial id. (The last result's trial_id can be another
        # trial's: after a PBT exploit at its last epoch a trial ends on its donor's result.)
        trial_id = Path(trial_dir).name
        reached = (result.metrics or {}).get("epoch")
        if not history and not error and is_finite_number(reached) and reached >= 1:
            # Tune's state remembers results whose log is gone: the trial's folder was deleted
            # (by hand, or lost with a disk). Say so instead of calling the trial not started.
            error, ended = (
                f"its folder {trial_dir} is gone or emptied; what it trained is lost",
                MISSING,
            )
        checkpoints = [
            (name(checkpoint.path), dict(metrics))
            for checkpoint, metrics in (result.best_checkpoints or [])
        ]
        records.append(
            TrialRecord(
                trial_id=trial_id,
                status=trial_status(history, error, spec.stop.max_epochs, ended),
                # Keys that do not apply to a trial (conditional ones) are absent from its config.
                config={
                    key: plain(value)
                    for key, value in (result.config or {}).items()
                    if key in spec.space
                },
                history=history,
                checkpoints=checkpoints,
                error=error or ((result.metrics or {}).get(ENDED_REASON) if ended else None),
                trial_dir=trial_dir,
            )
        )
    return sorted(records, key=lambda record: record.trial_id)


def _history(frame: Any) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0 or "epoch" not in frame:
        return []
    by_epoch: dict[int, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        if is_finite_number(row.get("epoch")) and row["epoch"] >= 1:
            # Epoch 0: a trial's end before its first epoch (infeasible, its metric missing),
            # which is in its status and error, not an epoch. A trial restored from an earlier checkpoint reports some epochs twice: the later wins.
            by_epoch[int(row["epoch"])] = {key: plain(value) for key, value in row.items()}
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]


def _best_in(history: list[dict[str, Any]], metric: str, mode: str) -> tuple[float, int] | None:
    candidates = [
        (float(row[metric]), int(row["epoch"]))
        for row in history
        if is_finite_number(row.get(metric))
    ]
    if not candidates:
        return None
    pick = max if mode == "max" else min
    return pick(candidates, key=lambda pair: pair[0])


def _best_checkpoint(record: TrialRecord, metric: str, mode: str) -> tuple[str, int, float] | None:
    scored = [
        (path, int(metrics.get("epoch", 0)), float(metrics[metric]))
        for path, metrics in record.checkpoints
        if is_finite_number(metrics.get(metric))
    ]
    if not scored:
        return None
    pick = max if mode == "max" else min
    return pick(scored, key=lambda item: item[2])


def _arrow_type(param: Param) -> pa.DataType:
    if isinstance(param, IntRange):
        return pa.int64()
    if isinstance(param, FloatRange):
        return pa.float64()
    assert isinstance(param, (Choice, Grid))
    kinds = {type(value) for value in param.values}
    if kinds <= {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    if kinds == {bool}:
        return pa.bool_()
    return pa.string()


def _column_value(value: Any, arrow_type: pa.DataType) -> Any:
    if value is None:
        return None
    if arrow_type == pa.string():
        return str(value)
    if arrow_type == pa.float64():
        return float(value)
    return value


@dataclass
class TrialStanding:
    """Where a trial stands among the others: the epoch it stands for (its best by the first
    objective), its point there, whether it keeps the constraints, and its Pareto rank."""

    best: tuple[float, int] | None  # (first objective's best value, its epoch)
    point: dict[str, float] | None  # every objective's value at that epoch
    feasible: bool
    violated: str | None
    row: dict[str, Any]  # the epoch it stands for, as logged ({} without one)
    rank: int | None = None


def standings(records: list[TrialRecord], spec: SweepDefinition) -> list[TrialStanding]:
    """Each record's standing, in order."""
    found = []
    for record in records:
        best = _best_in(record.history, spec.metric, spec.mode)
        row = next(
            (entry for entry in record.history if best and int(entry["epoch"]) == best[1]), {}
        )
        values: dict[str, Any] = {metric: row.get(metric) for metric in spec.metrics}
        point = (
            {metric: float(value) for metric, value in values.items()}
            if best is not None and all(is_finite_number(value) for value in values.values())
            else None
        )
        if record.status == INFEASIBLE:
            feasible, violated = False, record.error
        elif best is None:
            feasible, violated = True, None
        else:
            feasible, violated = feasibility(spec.constraints, row)
        found.append(TrialStanding(best, point, feasible, violated, row))
    ranked = [
        (index, standing.point)
        for index, (record, standing) in enumerate(zip(records, found, strict=True))
        if standing.point is not None and standing.feasible and record.status != "diverged"
    ]
    ranks = pareto_ranks(
        [tuple(point[metric] for metric in spec.metrics) for _, point in ranked],
        spec.modes,
    )
    for (index, _), rank in zip(ranked, ranks, strict=True):
        found[index].rank = rank
    return found


def write_outputs(
    records: list[TrialRecord],
    spec: SweepDefinition,
    sweep_dir: Path,
    test_metrics: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write the tables; returns the content of best.json. ``test_metrics`` evaluates a
    checkpoint on the held-out test split (best.json's and each of pareto.json's ``test``)."""
    plan = spec.trial_plan()
    metric, mode = spec.metric, spec.mode
    others = spec.metrics[1:]
    logged = list(spec.logged_metrics) or discovered_metrics(records)
    standing = standings(records, spec)
    rows = []
    # The best trial's (first objective's value, record, epoch, standing).
    best_overall: tuple[float, TrialRecord, int, TrialStanding] | None = None
    for record, stands in zip(records, standing, strict=True):
        best = stands.best
        checkpoint = _best_checkpoint(record, metric, mode)
        final = record.history[-1] if record.history else {}
        if (
            best is not None
            and stands.feasible
            and record.status != "diverged"
            and (
                best_overall is None
                or (best[0] > best_overall[0] if mode == "max" else best[0] < best_overall[0])
                # A tie on the first objective goes to the trial the other objectives favour.
                or (best[0] == best_overall[0] and _ahead(stands.rank, best_overall[3].rank))
            )
        ):
            best_overall = (best[0], record, best[1], stands)
        at_best = stands.row
        rows.append(
            {
                schema.TRIAL_ID.name: record.trial_id,
                schema.STATUS.name: record.status,
                **{schema.CONFIG.named(key=key): record.config.get(key) for key in spec.space},
                schema.FINAL.named(metric=metric): _number(final.get(metric)),
                schema.BEST.named(metric=metric): best[0] if best else None,
                schema.BEST_EPOCH.name: best[1] if best else None,
                **{
                    schema.FINAL_OTHER.named(objective=other): _number(final.get(other))
                    for other in others
                },
                **{
                    schema.AT_BEST.named(objective=other): _number(at_best.get(other))
                    for other in others
                },
                schema.FEASIBLE.name: stands.feasible,
                schema.VIOLATED.name: stands.violated,
                schema.PARETO_RANK.name: stands.rank,
                schema.EPOCHS.name: int(final.get("epoch", 0)),
                schema.WALL_TIME_S.name: _number(final.get("time_total_s")),
                schema.CHECKPOINT.name: checkpoint[0] if checkpoint else None,
                schema.CHECKPOINT_EPOCH.name: checkpoint[1] if checkpoint else None,
                schema.CHECKPOINT_VALUE.named(metric=metric): checkpoint[2] if checkpoint else None,
                schema.NODE_ID.name: final.get("node_id"),
                schema.ERROR.name: record.error,
                schema.TRIAL_DIR.name: record.trial_dir,
                schema.CONFIG_JSON.name: plan.model.arguments_json(record.config),
            }
        )

    searched = {schema.CONFIG.named(key=key): param for key, param in spec.space.items()}
    fields = [
        pa.field(name, _arrow_type(searched[name]) if name in searched else ARROW[column.type])
        for name, column in schema.trials_columns(list(spec.space), metric, others)
    ]
    table_schema = pa.schema(fields)
    for row in rows:
        for field in table_schema:
            row[field.name] = _column_value(row.get(field.name), field.type)
    _write_parquet(pa.Table.from_pylist(rows, schema=table_schema), sweep_dir / TRIALS_FILE)

    metric_rows = []
    for record in records:
        for entry in record.history:
            metric_rows.append(
                {
                    schema.TRIAL_ID.name: record.trial_id,
                    schema.EPOCH.name: int(entry["epoch"]),
                    # NaN and infinities are kept: they are what a diverged trial logged.
                    **{
                        name: float(entry[name]) if is_number(entry.get(name)) else None
                        for name in logged
                    },
                    schema.TIME_TOTAL_S.name: _number(entry.get("time_total_s")),
                    schema.DIVERGED.name: bool(entry.get("diverged", False)),
                    schema.EPOCH_NODE_ID.name: entry.get("node_id"),
                }
            )
    metric_schema = pa.schema(
        [pa.field(name, ARROW[column.type]) for name, column in schema.metrics_columns(logged)]
    )
    _write_parquet(
        pa.Table.from_pylist(metric_rows, schema=metric_schema), sweep_dir / METRICS_FILE
    )

    evaluated: dict[str, dict[str, Any]] = {}

    def tested(path: str) -> dict[str, Any] | None:
        if test_metrics is None:
            return None
        if path not in evaluated:
            evaluated[path] = test_metrics(path)
        return evaluated[path]

    best_json: dict[str, Any] = {"sweep": spec.name, "metric": metric, "mode": mode}
    if best_overall is None:
        best_json.update(
            dict.fromkeys(
                (
                    "trial_id",
                    "value",
                    "epoch",
                    "values",
                    "config",
                    "model",
                    "data",
                    "checkpoint",
                    "checkpoint_epoch",
                    "checkpoint_value",
                    "test",
                )
            )
        )
    else:
        value, record, epoch, best_standing = best_overall
        model, data = plan.model.model_and_data(record.config)
        checkpoint = _best_checkpoint(record, metric, mode)
        at_epoch = best_standing.row
        best_json.update(
            {
                "trial_id": record.trial_id,
                "value": value,
                "epoch": epoch,
                "values": {name: _number(at_epoch.get(name)) for name in spec.metrics},
                "config": record.config,
                # The keys the sweep set (fixed or searched), ready to paste into a sweep file.
                "model": model,
                "data": data,
                "checkpoint": checkpoint[0] if checkpoint else None,
                "checkpoint_epoch": checkpoint[1] if checkpoint else None,
                "checkpoint_value": checkpoint[2] if checkpoint else None,
                "test": tested(checkpoint[0]) if checkpoint else None,
            }
        )
    write_atomically(sweep_dir / BEST_FILE, (json.dumps(best_json, indent=2) + "\n").encode())
    _write_pareto(records, standing, spec, sweep_dir, tested)
    return best_json


def _write_pareto(
    records: list[TrialRecord],
    standing: list[TrialStanding],
    spec: SweepDefinition,
    sweep_dir: Path,
    tested: Callable[[str], dict[str, Any] | None],
) -> None:
    front = [
        (record, stands, stands.best)
        for record, stands in zip(records, standing, strict=True)
        if stands.rank == 0 and stands.best is not None and stands.point is not None
    ]
    front.sort(key=lambda entry: entry[2][0], reverse=spec.mode == "max")
    trials = []
    for record, stands, best in front:
        checkpoint = _best_checkpoint(record, spec.metric, spec.mode)
        trials.append(
            {
                "trial_id": record.trial_id,
                "epoch": best[1],
                "values": stands.point,
                "config": record.config,
                "checkpoint": checkpoint[0] if checkpoint else None,
                "test": tested(checkpoint[0]) if checkpoint else None,
            }
        )
    content = {
        "sweep": spec.name,
        "metrics": list(spec.metrics),
        "modes": list(spec.modes),
        "constraints": [constraint.text for constraint in spec.constraints],
        "trials": trials,
    }
    write_atomically(sweep_dir / PARETO_FILE, (json.dumps(content, indent=2) + "\n").encode())


def _ahead(rank: int | None, other: int | None) -> bool:
    return rank is not None and (other is None or rank < other)


def _number(value: Any) -> float | None:
    return float(value) if is_finite_number(value) else None


def discovered_metrics(records: list[TrialRecord]) -> list[str]:
    """Every metric a user's module logged, in the order first seen."""
    found: dict[str, None] = {}
    for record in records:
        for entry in record.history:
            for name in logged_values(entry):
                found.setdefault(name, None)
    return list(found)


def _write_parquet(table: pa.Table, path: Path) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    write_atomically(path, sink.getvalue().to_pybytes())
