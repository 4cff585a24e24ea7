"""Safe YAML loading for sweep files.

Safe means: no Python objects are ever constructed (SafeLoader), a key given twice in one mapping
is an error instead of the last one silently winning, and ``1e-4`` is read as a number as in
YAML 1.2 (PyYAML follows YAML 1.1, where it would be the string "1e-4", a classic trap for
learning rates). Bounded means: whatever the file holds, loading it takes time and memory in
proportion to its size (at most 1 MB), and what it returns is a finite tree of plain values, so
the checks that walk it (and the error messages that show parts of it) finish quickly:

* anchors and aliases work, but the aliases of one file may repeat at most ``MAX_ALIAS_VALUES``
  values in all ("billion laughs": ten aliases of ten aliases of ... expand exponentially), and an
  alias inside its own anchor (a structure that contains itself) is refused;
* collections nest at most ``MAX_DEPTH`` levels deep;
* an integer is written with at most ``MAX_NUMBER_CHARS`` characters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sweeps.errors import SweepError, first_line, show

_FLOAT_PATTERN = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)

# Sweep files are small; anything far larger is a mistake or an attack.
MAX_FILE_BYTES = 1_000_000
# Values (scalars, lists and mappings) that the aliases of one file may repeat, in all. Reusing an
# anchored list of choices a few times stays far below; an alias bomb does not.
MAX_ALIAS_VALUES = 10_000
# A sweep file nests about five levels deep; the checks that walk values recurse on them.
MAX_DEPTH = 50
# Python refuses to convert integers of more than 4300 decimal digits to or from text (and
# ``0x...`` reads any length), so a longer one would fail later in an error message.
MAX_NUMBER_CHARS = 100

_MERGE_TAG = "tag:yaml.org,2002:merge"
_SHORT_TAG_PREFIX = "tag:yaml.org,2002:"


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


class _SweepLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats, duplicate-key detection and the bounds above."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._alias_values = 0
        # id(node) -> how many values the node stands for, aliases expanded. Set when the node is
        # complete, so an alias to a node still missing here is an alias inside its own anchor.
        self._sizes: dict[int, int] = {}
        # id(mapping node) -> ids of the key nodes written in it (not brought in by a merge key).
        self._written_keys: dict[int, frozenset[int]] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined alias is reported by the composer itself
                size = self._sizes.get(id(target))
                if size is None:
                    raise SweepError(
                        f"{_where(event.start_mark)}alias *{event.anchor} is used inside its own "
                        "anchor; a sweep file cannot hold a structure that contains itself"
                    )
                self._alias_values += size
                if self._alias_values > MAX_ALIAS_VALUES:
                    raise SweepError(
                        f"{_where(event.start_mark)}aliases repeat more than {MAX_ALIAS_VALUES} "
                        "values in all; write the values out instead"
                    )
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise SweepError(
                f"{_where(self.peek_event().start_mark)}nested more than {MAX_DEPTH} levels deep"
            )
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            self._sizes[id(node)] = 1 + sum(
                self._sizes[id(key)] + self._sizes[id(value)] for key, value in node.value
            )
            self._written_keys[id(node)] = frozenset(
                id(key) for key, _ in node.value if key.tag != _MERGE_TAG
            )
        else:
            self._sizes[id(node)] = 1
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, LookupError, AttributeError, TypeError, ArithmeticError) as error:
            # PyYAML's own constructors raise plain Python errors for some malformed values:
            # !!int abc, an empty !!float, !!bool maybe, !!timestamp x, a date such as 2001-13-45.
            tag = node.tag.replace(_SHORT_TAG_PREFIX, "!!")
            value = show(node.value) if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            # Only a ValueError says why in words; an IndexError or AttributeError names PyYAML's internals.
            why = (
                f": {first_line(error)}" if isinstance(error, (ValueError, ArithmeticError)) else ""
            )
            raise SweepError(
                f"{_where(node.start_mark)}cannot read {value} as {tag}{why}"
            ) from None


_SweepLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SweepLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_PATTERN, list("-+0123456789."))


def _construct_mapping(loader: _SweepLoader, node: Any, deep: bool = False) -> dict:
    if not isinstance(node, yaml.MappingNode):
        raise SweepError(f"{_where(node.start_mark)}expected a mapping, but found a {node.id}")
    written = loader._written_keys.get(id(node), frozenset())
    loader.flatten_mapping(
        node
    )  # merged keys (<<: *defaults) come first, so written keys override them
    mapping: dict[Any, Any] = {}
    seen: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise SweepError(
                f"line {key_node.start_mark.line + 1}: a mapping key must be a plain value"
            ) from None
        if id(key_node) in written:
            if key in seen:
                raise SweepError(
                    f"line {key_node.start_mark.line + 1}: key {key!r} is given twice in the same mapping"
                )
            seen.add(key)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _construct_int(loader: _SweepLoader, node: Any) -> int:
    text = loader.construct_scalar(node)
    if len(text) > MAX_NUMBER_CHARS:
        raise SweepError(
            f"{_where(node.start_mark)}an integer of {len(text)} characters; "
            f"at most {MAX_NUMBER_CHARS} are allowed"
        )
    return loader.construct_yaml_int(node)


_SweepLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_SweepLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text; any syntax problem becomes a one-line SweepError naming ``where``."""
    try:
        return yaml.load(text, Loader=_SweepLoader)  # noqa: S506 - _SweepLoader is a SafeLoader
    except SweepError as error:
        raise error.located(where) from None
    except yaml.YAMLError as error:
        line = _where(getattr(error, "problem_mark", None))
        problem = getattr(error, "problem", None) or first_line(error)
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
        raise SweepError(
            f"file is {size} bytes; a sweep file may be at most {MAX_FILE_BYTES}", where=where
        )
    try:
        # At most one byte past the limit: a device or a file still growing never ends.
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise SweepError(
                f"file is over {MAX_FILE_BYTES} bytes; a sweep file may be at most {MAX_FILE_BYTES}",
                where=where,
            )
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SweepError(f"not UTF-8 text (byte {error.start})", where=where) from None
    except OSError as error:
        raise SweepError(f"cannot read: {error.strerror}", where=where) from None
    return parse_yaml(text, where)


def key_positions(text: str) -> dict[str, tuple[int, int]]:
    """Line and column (from 1) of every mapping key of a YAML text that ``parse_yaml`` accepted,
    by dotted key path (``space.lr.logfloat``; list items as ``widths[0]``)."""
    positions: dict[str, tuple[int, int]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                    child = f"{path}.{key.value}" if path else str(key.value)
                    positions.setdefault(
                        child, (key.start_mark.line + 1, key.start_mark.column + 1)
                    )
                    walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                positions.setdefault(child, (item.start_mark.line + 1, item.start_mark.column + 1))
                walk(item, child)

    try:
        walk(yaml.compose(text, Loader=_SweepLoader), "")  # noqa: S506 - _SweepLoader is a SafeLoader
    except (yaml.YAMLError, SweepError, RecursionError):
        return {}
    return positions
