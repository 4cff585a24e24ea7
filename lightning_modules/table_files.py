"""Reading a user's table (Parquet, Feather/Arrow IPC or CSV) with pyarrow, from a local path or
a pyarrow filesystem URI (s3://, gs://, file://), and the bundled example tables.

Torch-free: the sweep loader calls ``describe_table`` to check the named columns and to learn
the number of features and classes before anything starts.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLES = ("breast_cancer", "wine", "diabetes")


class TableError(ValueError):
    """A table that cannot be used as named: missing file or column, non-numeric features."""


@dataclass(frozen=True)
class TableDescription:
    features: tuple[str, ...]
    label: str
    classes: tuple[Any, ...] | None  # sorted distinct labels; None for a regression target
    rows: int


def _open(path: str):
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow.fs as pafs

    try:
        if "://" in path:
            filesystem, inner = pafs.FileSystem.from_uri(path)
        else:
            filesystem, inner = pafs.LocalFileSystem(), str(Path(path).expanduser().resolve())
        info = filesystem.get_file_info(inner)
    except Exception as error:  # pyarrow raises several types for unknown schemes and bad URIs
        raise TableError(f"cannot open {path}: {error}") from None
    if info.type.name == "NotFound":
        raise TableError(f"no such file: {path}")
    return filesystem, inner


def _read(path: str, columns: list[str] | None = None):
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow.csv as pcsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    filesystem, inner = _open(path)
    suffix = Path(inner).suffix.lower()
    try:
        with filesystem.open_input_file(inner) as stream:
            if suffix == ".csv":
                table = pcsv.read_csv(stream)
                return table.select(columns) if columns else table
            if suffix in (".feather", ".arrow", ".ipc"):
                return feather.read_table(stream, columns=columns)
            return pq.read_table(stream, columns=columns)
    except KeyError as error:
        raise TableError(f"{path}: {error}") from None
    except Exception as error:
        if isinstance(error, TableError):
            raise
        raise TableError(
            f"{path}: not a readable table ({type(error).__name__}: {error})"
        ) from None


@functools.lru_cache(maxsize=32)
def _describe(
    path: str, features: tuple[str, ...], label: str, task: str, stamp: Any
) -> TableDescription:
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow as pa
    import pyarrow.compute as pc

    schema_table = _read(path, columns=None) if Path(path).suffix.lower() == ".csv" else None
    schema = schema_table.schema if schema_table is not None else _schema(path)
    missing = [name for name in (*features, label) if name not in schema.names]
    if missing:
        raise TableError(
            f"{path} has no column {', '.join(repr(m) for m in missing)}; it has: {', '.join(schema.names)}"
        )
    for name in features:
        kind = schema.field(name).type
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            raise TableError(f"{path}: feature column {name!r} is {kind}, not numeric")
    labels = _read(path, columns=[label]).column(label)
    if labels.null_count:
        raise TableError(f"{path}: label column {label!r} has {labels.null_count} missing values")
    if task == "regression":
        if not (pa.types.is_integer(labels.type) or pa.types.is_floating(labels.type)):
            raise TableError(
                f"{path}: a regression label must be numeric; {label!r} is {labels.type}"
            )
        return TableDescription(features, label, None, len(labels))
    classes = tuple(sorted(pc.unique(labels).to_pylist()))
    if len(classes) < 2:
        raise TableError(
            f"{path}: label column {label!r} has {len(classes)} distinct value; classification needs 2 or more"
        )
    return TableDescription(features, label, classes, len(labels))


def _schema(path: str):
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    filesystem, inner = _open(path)
    with filesystem.open_input_file(inner) as stream:
        if Path(inner).suffix.lower() in (".feather", ".arrow", ".ipc"):
            return feather.read_table(stream).schema
        return pq.read_schema(stream)


def describe_table(path: str, features: tuple[str, ...], label: str, task: str) -> TableDescription:
    stamp = os.stat(path).st_mtime_ns if "://" not in path and os.path.exists(path) else None
    return _describe(path, tuple(features), label, task, stamp)


def read_arrays(path: str, description: TableDescription):
    """Features as float32 (rows, features) and labels as class indices or float targets."""
    # Imported here: scikit-learn and numpy load only where data is made, not with this module.
    import numpy as np

    table = _read(path, columns=[*description.features, description.label])
    features = np.column_stack(
        [table.column(name).to_numpy(zero_copy_only=False) for name in description.features]
    )
    if np.isnan(features.astype("float64")).any():
        raise TableError(f"{path}: feature columns have missing values")
    labels = table.column(description.label).to_pylist()
    if description.classes is None:
        return features.astype("float32"), np.asarray(labels, dtype="float32")
    index = {value: i for i, value in enumerate(description.classes)}
    return features.astype("float32"), np.asarray([index[value] for value in labels], dtype="int64")


def example_columns(example: str) -> tuple[tuple[str, ...], str, str]:
    """(feature columns, label column, task) of a bundled example table, without building it."""
    frame = _example_frame(example)
    return (
        tuple(c for c in frame.column_names if c != "target"),
        "target",
        "regression" if example == "diabetes" else "classification",
    )


@functools.cache
def _example_frame(example: str):
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow as pa
    from sklearn import datasets

    loader = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }[example]
    bunch = loader()
    names = [str(name).replace(" ", "_") for name in bunch.feature_names]
    columns = {name: bunch.data[:, i] for i, name in enumerate(names)}
    columns["target"] = bunch.target
    return pa.table(columns)


def describe_example(example: str) -> TableDescription:
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow.compute as pc

    frame = _example_frame(example)
    features, label, task = example_columns(example)
    classes = (
        None if task == "regression" else tuple(sorted(pc.unique(frame.column(label)).to_pylist()))
    )
    return TableDescription(features, label, classes, frame.num_rows)


def ensure_example_table(path: str, example: str) -> None:
    """Write a bundled example table (scikit-learn's own data, no download) to ``path`` if it is
    not there yet; written to a temporary file and renamed, so concurrent trials never see half."""
    # Imported here: pyarrow loads only where tables or storage are read, not with this module.
    import pyarrow.parquet as pq

    target = Path(path).expanduser().resolve()
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        pq.write_table(_example_frame(example), temporary)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
