"""The output tables as data: every column of ``trials.parquet`` and ``metrics.parquet`` with its
type and meaning, and every trial status with its meaning.

The writer (sweeps.driver.output_tables) builds its Arrow schemas from these lists and names each
value by them, the readers (the analysis, the report, the warm start, the trackers) name their
columns through them, and the tables of docs/outputs.md are generated from them
(``python -m sweeps.results.schema --write``; a test compares). A column whose name holds a
``{field}`` is one column per key or metric: ``config/{key}`` per searched key, ``best_{metric}``
for the sweep's (first) metric, ``final_{objective}`` per other objective, ``{logged}`` per
logged metric.

No pyarrow here: the types are the names Arrow prints (``string``, ``int64``, ``double``,
``bool``), and a trial's process imports this package.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

AS_SEARCHED = "as searched"


@dataclass(frozen=True)
class Column:
    name: str  # with a field ({key}, {metric}, {objective}, {logged}) for a family of columns
    type: str  # "string", "int64", "double", "bool", or AS_SEARCHED
    meaning: str

    def named(self, **fields: str) -> str:
        return self.name.format(**fields)

    @property
    def shown(self) -> str:
        """The name as the docs write it: ``config/<key>``."""
        return self.name.replace("{", "<").replace("}", ">")


# trials.parquet ----------------------------------------------------------------------------

TRIAL_ID = Column("trial_id", "string", "the trial's id (also its folder's name)")
STATUS = Column("status", "string", "how the trial ended: one of the statuses below")
CONFIG = Column(
    "config/{key}",
    AS_SEARCHED,
    "one column per searched key: int64 for int/logint and for choices of integers, double for "
    "float/logfloat and for choices of numbers, bool for choices of booleans, string for any "
    "other choice (a list value written as text); null where a conditional key did not apply",
)
FINAL = Column(
    "final_{metric}", "double", "the metric at the trial's last epoch (null when not finite)"
)
BEST = Column("best_{metric}", "double", "its best value over the epochs")
BEST_EPOCH = Column(
    "best_epoch", "int64", "the epoch of that best value: the epoch the trial stands for"
)
FINAL_OTHER = Column(
    "final_{objective}",
    "double",
    "each other objective at the last epoch (with several objectives)",
)
AT_BEST = Column(
    "at_best_{objective}",
    "double",
    "each other objective at `best_epoch` (with several objectives)",
)
FEASIBLE = Column(
    "feasible",
    "bool",
    "false when the trial breaks a constraint (at `best_epoch`, or before training)",
)
VIOLATED = Column(
    "violated",
    "string",
    "the constraint it breaks, with its value (`model/params = 250000 breaks model/params <= "
    "200000`), else null",
)
PARETO_RANK = Column(
    "pareto_rank",
    "int64",
    "0 on the objectives' Pareto front, 1 when only trials of rank 0 beat it, ...; null for an "
    "infeasible or diverged trial or one without every objective",
)
EPOCHS = Column("epochs", "int64", "epochs trained")
WALL_TIME_S = Column(
    "wall_time_s",
    "double",
    "the trial's training time (Tune's `time_total_s` at its last epoch)",
)
CHECKPOINT = Column(
    "checkpoint",
    "string",
    "the trial's best kept checkpoint (a path, or a URI for bucket storage)",
)
CHECKPOINT_EPOCH = Column("checkpoint_epoch", "int64", "that checkpoint's epoch")
CHECKPOINT_VALUE = Column("checkpoint_{metric}", "double", "that checkpoint's metric")
NODE_ID = Column("node_id", "string", "the Ray node of its last epoch")
ERROR = Column(
    "error",
    "string",
    "why an errored, timed-out, out-of-memory, infeasible or missing trial ended (one line), "
    "else null",
)
TRIAL_DIR = Column("trial_dir", "string", "the trial's folder")
CONFIG_JSON = Column("config_json", "string", "every model and data argument of the trial, as JSON")

TRIALS_COLUMNS = (
    TRIAL_ID,
    STATUS,
    CONFIG,
    FINAL,
    BEST,
    BEST_EPOCH,
    FINAL_OTHER,
    AT_BEST,
    FEASIBLE,
    VIOLATED,
    PARETO_RANK,
    EPOCHS,
    WALL_TIME_S,
    CHECKPOINT,
    CHECKPOINT_EPOCH,
    CHECKPOINT_VALUE,
    NODE_ID,
    ERROR,
    TRIAL_DIR,
    CONFIG_JSON,
)

# metrics.parquet ---------------------------------------------------------------------------

EPOCH = Column("epoch", "int64", "epochs completed, from 1")
LOGGED = Column(
    "{logged}",
    "double",
    "every logged metric: e.g. `train_loss`, `val_accuracy` (`<metric>_fold_std` with k-fold), and "
    "the built-in `model/params`, `time/epoch_s`, `memory/peak_mib`, `latency/predict_ms`; NaN or "
    "infinite where the trial diverged",
)
TIME_TOTAL_S = Column("time_total_s", "double", "the trial's training time up to this epoch")
DIVERGED = Column("diverged", "bool", "the loss was NaN or infinite")
EPOCH_NODE_ID = Column("node_id", "string", "the Ray node it ran on")

METRICS_COLUMNS = (TRIAL_ID, EPOCH, LOGGED, TIME_TOTAL_S, DIVERGED, EPOCH_NODE_ID)


def trials_columns(
    keys: Sequence[str], metric: str, others: Sequence[str]
) -> list[tuple[str, Column]]:
    """trials.parquet's columns in order, each name with its column: the searched ``keys``, the
    first objective ``metric`` and the ``others``."""
    found: list[tuple[str, Column]] = []
    for column in TRIALS_COLUMNS:
        if "{key}" in column.name:
            found += [(column.named(key=key), column) for key in keys]
        elif "{objective}" in column.name:
            found += [(column.named(objective=other), column) for other in others]
        elif "{metric}" in column.name:
            found.append((column.named(metric=metric), column))
        else:
            found.append((column.name, column))
    return found


def metrics_columns(logged: Sequence[str]) -> list[tuple[str, Column]]:
    """metrics.parquet's columns in order, one per ``logged`` metric among them."""
    found: list[tuple[str, Column]] = []
    for column in METRICS_COLUMNS:
        if column is LOGGED:
            found += [(name, column) for name in logged]
        else:
            found.append((column.name, column))
    return found


def config_key(column: str) -> str | None:
    """The searched key a trials.parquet column holds (``config/lr`` -> ``lr``), else None."""
    prefix = CONFIG.name.split("{", 1)[0]
    return column[len(prefix) :] if column.startswith(prefix) else None


# Trial statuses ---------------------------------------------------------------------------

# One per status of sweeps.results.trial_status.STATUSES, in that order (a test checks).
STATUS_MEANINGS = {
    "running": "training now (a sweep in progress)",
    "pending": "waiting for resources (a sweep in progress)",
    "completed": "reached max_epochs",
    "stopped": "stopped by the scheduler, a stop rule, early stopping or the time budget",
    "diverged": "its loss became NaN or infinite; it stopped at once and is never the best trial",
    "timed_out": "ran or hung longer than `stop.trial_timeout_s`",
    "out_of_memory": "an allocation failed (CPU or GPU memory); not retried",
    "metric_missing": "its model never logs the sweep's metric; the sweep stopped",
    "infeasible": "its configuration breaks a constraint known before training: it never trained",
    "errored": "failed after its retries",
    "missing": "its folder was deleted: its results are lost",
    "not_started": "the sweep ended before it started",
}


# The tables in the docs --------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"
BLOCKS = {
    "trials": "<!-- trials.parquet columns: generated by python -m sweeps.results.schema -->",
    "metrics": "<!-- metrics.parquet columns: generated by python -m sweeps.results.schema -->",
    "statuses": "<!-- trial statuses: generated by python -m sweeps.results.schema -->",
}
END = "<!-- end of generated table -->"


def _column_table(columns: tuple[Column, ...]) -> list[str]:
    rows = ["| column | type | meaning |", "| --- | --- | --- |"]
    return rows + [f"| `{c.shown}` | {c.type} | {c.meaning} |" for c in columns]


def markdown_tables() -> dict[str, str]:
    """Each generated block of docs/outputs.md, markers included."""
    bodies = {
        "trials": _column_table(TRIALS_COLUMNS),
        "metrics": _column_table(METRICS_COLUMNS),
        "statuses": ["| status | meaning |", "| --- | --- |"]
        + [f"| `{status}` | {meaning} |" for status, meaning in STATUS_MEANINGS.items()],
    }
    return {name: "\n".join([BLOCKS[name], "", *bodies[name], "", END]) for name in BLOCKS}


def documented(text: str) -> dict[str, str | None]:
    """The document's copies of the blocks, markers included (None where one is missing)."""
    found: dict[str, str | None] = {}
    for name, begin in BLOCKS.items():
        if begin in text and END in text[text.index(begin) :]:
            start = text.index(begin)
            found[name] = text[start : text.index(END, start) + len(END)]
        else:
            found[name] = None
    return found


def main(argv: list[str]) -> int:
    tables = markdown_tables()
    if argv != ["--write"]:
        print("\n\n".join(tables.values()))
        return 0
    text = DOCS.read_text()
    for name, current in documented(text).items():
        if current is None:
            print(f"{DOCS.name}: no {BLOCKS[name]} ... {END} block to update", file=sys.stderr)
            return 1
        text = text.replace(current, tables[name])
    DOCS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
