"""Safe YAML loading for sweep files.

Safe means: no Python objects are ever constructed (SafeLoader), a key given twice in one mapping
is an error instead of the last one silently winning, and ``1e-4`` is read as a number as in
YAML 1.2 (PyYAML follows YAML 1.1, where it would be the string "1e-4", a classic trap for
learning rates).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sweeps.errors import SweepError

_FLOAT_PATTERN = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)

# Sweep files are small; anything far larger is a mistake or an attack (alias bombs expand huge).
MAX_FILE_BYTES = 1_000_000


class _SweepLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats and duplicate-key detection."""


_SweepLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SweepLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_PATTERN, list("-+0123456789."))


def _construct_mapping(loader: _SweepLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise SweepError(
                f"line {key_node.start_mark.line + 1}: a mapping key must be a plain value"
            ) from None
        if key in mapping:
            raise SweepError(
                f"line {key_node.start_mark.line + 1}: key {key!r} is given twice in the same mapping"
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_SweepLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text; any syntax problem becomes a one-line SweepError naming ``where``."""
    try:
        return yaml.load(text, Loader=_SweepLoader)  # noqa: S506 - _SweepLoader is a SafeLoader
    except SweepError as error:
        raise error.located(where) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SweepError(f"{line}invalid YAML: {problem}", where=where) from None
    except RecursionError:
        raise SweepError("invalid YAML: nested too deeply", where=where) from None


def read_yaml_file(path: Path) -> Any:
    """Read and parse a sweep file, with one-line errors for unreadable or oversized files."""
    where = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SweepError("no such file", where=where) from None
    except OSError as error:
        raise SweepError(f"cannot read: {error.strerror}", where=where) from None
    if path.is_dir():
        raise SweepError("is a directory, not a sweep file", where=where)
    if size > MAX_FILE_BYTES:
        raise SweepError(f"file is {size} bytes; a sweep file may be at most {MAX_FILE_BYTES}", where=where)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise SweepError(f"not UTF-8 text (byte {error.start})", where=where) from None
    except OSError as error:
        raise SweepError(f"cannot read: {error.strerror}", where=where) from None
    return parse_yaml(text, where)
