"""Property-based tests of the sweep loader: whatever a sweep file, ``--set`` or ``--name`` holds
(mutated shipped sweeps, junk text and bytes, alias bombs, Python tags, duplicate keys), loading
it gives a valid sweep or one clean line that names the file, quickly, and starts nothing.

Hypothesis runs derandomized and keeps no example database, so every run tries the same inputs.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
import textwrap
import unicodedata
from datetime import timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sweeps.definition import SweepDefinition, load_sweep
from sweeps.errors import MAX_REPORTED, SweepError
from sweeps.sweep_file.yaml_loading import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_FILE_BYTES
from tests.conftest import ROOT, SHIPPED_SWEEPS, launcher_env, run_launcher

DEFAULT = ROOT / "sweeps" / "digits_asha.yaml"
CONDITIONAL = ROOT / "sweeps" / "digits_conditional.yaml"
BASES = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in SHIPPED_SWEEPS}


def properties(examples: int, *, slow_examples: bool = False) -> settings:
    """Reproducible settings: the same inputs on every run, no database in the repository."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=10),  # a few ms each; far above that is a near-hang
        derandomize=True,
        database=None,
        # Each example validates a whole sweep (and some hold 2,000-element lists): slower than
        # hypothesis expects of a unit test, by design.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
        if slow_examples
        else [],
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loader_properties")


def load_cleanly(path: Path, **options: Any) -> SweepDefinition | SweepError:
    """Load ``path``: a valid sweep, or a SweepError of at most MAX_REPORTED mistakes, each one
    line naming the file (with the key's line and column where the file has it) or the
    ``--set``/``--name`` option at fault, none twice. Any other exception fails the test."""
    try:
        spec = load_sweep(path, **options)
    except SweepError as error:
        lines = [str(one) for one in error.errors]
        assert 1 <= len(lines) <= MAX_REPORTED and len(set(lines)) == len(lines), lines
        assert str(error).splitlines() == lines
        for message in lines:
            assert message.splitlines() == [message], f"not one line: {message!r}"
            assert re.match(
                rf"({re.escape(str(path))}(:\d+:\d+)?: |{re.escape(str(path))} \(after --set |--set|--name: )",
                message,
            ), message
            assert len(message) < 2000, f"{len(message)} characters"
        return error
    assert_safe_folder_name(spec.name)
    assert spec.trial_count >= 1 and spec.metric in spec.logged_metrics
    return spec


def write(workdir: Path, content: str | bytes, name: str = "sweep.yaml") -> Path:
    path = workdir / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def assert_safe_folder_name(name: str) -> None:
    assert isinstance(name, str) and name not in ("", ".", "..") and ".." not in name
    assert not any(unicodedata.category(char).startswith(("C", "Z")) for char in name), repr(name)
    for flavour in (PurePosixPath, PureWindowsPath):
        assert flavour(name).parts == (name,) and not flavour(name).is_absolute(), repr(name)
    assert len(name.encode("utf-8")) <= 255


# Junk: values of every wrong type and size --------------------------------------------------

EXTREME_NUMBERS = [
    0,
    1,
    -1,
    2**31,
    2**32,
    2**63,
    10**30,
    -(10**30),
    10**99,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    5e-324,
    -0.0,
    1e-300,
]
ODD_STRINGS = [
    "",
    " ",
    "x" * 5000,
    "\x00",
    "\x07\x1b[31m",
    "a\nb",
    "\r",
    "\u2028",
    "\x85",
    "\t",
    "é",
    "1e-4",
    "null",
    "~",
    "yes",
    "no",
    ".inf",
    "2001-12-14",
    "../..",
    "/etc/passwd",
    "a/b",
    "C:\\x",
]
# Values of the shapes a sweep file uses, so that mutations also reach the checks behind the
# first ones (conditions, per-layer lists, rules across keys, searchers and schedulers).
PLAUSIBLE = [
    {"int": [1, 3]},
    {"int": [0, 4294967295]},
    {"logint": [16, 512]},
    {"float": [0.0, 0.5]},
    {"logfloat": [1e-4, 1e-1]},
    {"choice": [1, 2]},
    {"choice": ["relu", "tanh"]},
    {"grid": [32, 64]},
    {"choice": [[1, 2], [3]]},
    {"per_layer": {"choice": [8, 16]}, "length": "depth"},
    {"per_layer": {"int": [1, 4]}, "length": 3},
    {"float": [0.1, 0.2], "when": {"depth": 2}},
    {"choice": [1], "when": {"optimizer": ["sgd"]}},
    {"name": "tpe"},
    {"name": "grid"},
    {"name": "bohb"},
    {"name": "asha", "grace_period": 1},
    {"name": "pbt"},
    {"name": "pb2"},
    {"name": "hyperband"},
    {"points": [{"lr": 0.01}]},
    {"family": "cnn"},
    {"dataset": "synthetic", "kind": "sequence"},
    {"dataset": "table", "path": "missing.csv", "features": ["a"], "label": "b"},
    "depth",
    "lr",
    "data.val_fraction",
    "val_loss",
    "val_accuracy",
    "min",
    "max",
    "auto",
    "kfold",
    "sgd",
    "adam",
    "mlp",
    "cnn",
    "transformer",
    "gru",
    "digits",
    "mnist1d",
    "synthetic",
    "image",
    "sequence",
]
KEYS = [
    "name",
    "model",
    "data",
    "space",
    "metric",
    "mode",
    "searcher",
    "scheduler",
    "trials",
    "resources",
    "stop",
    "checkpoint",
    "failure",
    "seed",
    "warm_start",
    "when",
    "per_layer",
    "length",
    "choice",
    "grid",
    "int",
    "float",
    "family",
    "dataset",
    "points",
    "depth",
    "widths",
    "lr",
    "data.folds",
    "validation",
    "<<",
    "",
    "__class__",
    "x" * 200,
    "a\nb",
    "a.b",
    "space.lr",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.sampled_from(EXTREME_NUMBERS),
    st.text(max_size=20),
    st.sampled_from(ODD_STRINGS),
)
keys = st.one_of(
    st.sampled_from(KEYS),
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(),
)
junk = st.recursive(
    st.one_of(scalars, st.sampled_from(PLAUSIBLE)),
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(keys, children, max_size=6)
    ),
    max_leaves=25,
)
# Long lists of short values (PyYAML reads some 100,000 values a second; lists past the 10,000
# values a choice may hold are tested once each, below).
huge_lists = st.builds(
    lambda value, size: [value] * size,
    st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=3)),
    st.sampled_from([200, 2_000]),
)
values = st.one_of(*[junk] * 9, huge_lists)  # one value in ten or so is a huge list


def _places(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in ``tree``: the places a mutation can act on."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, child in items:
            found.append((node, key))
            stack.append(child)
    return found


def _containers(tree: Any) -> list[Any]:
    return [tree] + [
        container[key]
        for container, key in _places(tree)
        if isinstance(container[key], (dict, list))
    ]


@st.composite
def mutated_sweeps(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped sweep with one to four random mutations: a key deleted, an unknown key (or list
    element) added at any depth, or any value replaced with junk. Drawn values are copied: the
    plausible ones are shared, and later mutations change what they are put into."""
    tree = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "add", "replace", "replace"]))
        places = _places(tree)
        if kind == "add" or not places:
            container = draw(st.sampled_from(_containers(tree)))
            if isinstance(container, dict):
                container[draw(keys)] = copy.deepcopy(draw(values))
            else:
                container.insert(draw(st.integers(0, len(container))), copy.deepcopy(draw(values)))
            continue
        container, key = draw(st.sampled_from(places))
        if kind == "delete":
            del container[key]
        else:
            container[key] = copy.deepcopy(draw(values))
    return tree


def dump(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=120)


# Mutations of the shipped sweeps ---------------------------------------------------------


@pytest.mark.timeout(120)
@properties(300, slow_examples=True)
@given(tree=mutated_sweeps())
def test_mutated_shipped_sweeps_load_or_fail_in_one_line(workdir, tree):
    load_cleanly(write(workdir, dump(tree)))


def test_mutations_reach_valid_sweeps_and_errors_alike(workdir):
    """The mutation strategy is worth its time only if it yields both outcomes."""
    outcomes = set()

    @properties(60, slow_examples=True)
    @given(tree=mutated_sweeps())
    def collect(tree):
        outcome = load_cleanly(write(workdir, dump(tree)))
        outcomes.add(SweepError if isinstance(outcome, SweepError) else type(outcome))

    collect()
    assert outcomes == {SweepDefinition, SweepError}


# Arbitrary text and bytes ----------------------------------------------------------------

FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    ": ",
    "- ",
    "\n",
    "  ",
    "\t",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "*undefined",
    "!!python/object:os.system ",
    "!!python/object/apply:os.system ",
    "!!python/name:os.system ",
    "!!binary ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!map ",
    "!!seq ",
    "!!str ",
    "!!set ",
    "!!omap ",
    "!!pairs ",
    "!local ",
    "!<tag:x> ",
    "<<: ",
    "<<: *a",
    "---\n",
    "...\n",
    "? ",
    "# c",
    "'",
    '"',
    "|\n",
    ">-\n",
    "%YAML 1.1\n",
    "%TAG ! tag:yaml.org,2002:python/\n",
    "\\",
    "\\x",
    "x",
    "1",
    "-1",
    "1e-4",
    "1e999",
    ".nan",
    "-.inf",
    "0x1F",
    "0o17",
    "0b101",
    "1:20",
    "2001-13-45",
    "2001-12-14 21:59:43.10 -5",
    "~",
    "null",
    "true",
    "yes",
    "name",
    "model",
    "space",
    "family: mlp",
    "dataset: digits",
    "\ufeff",
    "\x00",
    "\x07",
    "\x85",
    "\u2028",
    "\ufffe",
    "é",
    "9" * 200,
]
yamlish = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


@pytest.mark.timeout(60)
@properties(300)
@given(content=st.one_of(st.binary(max_size=2000), st.text(max_size=2000), yamlish))
def test_junk_files_give_one_line_errors(workdir, content):
    assert isinstance(load_cleanly(write(workdir, content)), SweepError)


@pytest.mark.timeout(60)
@properties(300)
@given(data=st.data())
def test_shipped_sweeps_with_junk_spliced_in_load_or_fail_in_one_line(workdir, data):
    text = (ROOT / "sweeps" / data.draw(st.sampled_from(sorted(BASES)))).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        text = text[:at] + data.draw(yamlish) + text[at + cut :]
    load_cleanly(write(workdir, text))


def nested(opening: str, closing: str, depth: int, inner: str = "1") -> str:
    return opening * depth + inner + closing * depth


DEEP = {
    "flow lists": nested("[", "]", 10_000),
    "flow mappings": nested("{a: ", "}", 10_000),
    "unclosed": "[" * 100_000,
    "block lists": "- " * 5_000 + "1",
    "block mappings": "".join(f"{' ' * i}k:\n" for i in range(1_000)),
    "nested in a valid sweep": DEFAULT.read_text(encoding="utf-8")
    + "seed: "
    + nested("[", "]", 2_000)
    + "\n",
    "just too deep": "name: " + nested("[", "]", MAX_DEPTH),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("content", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_gives_one_line_error_naming_the_place(workdir, content):
    error = load_cleanly(write(workdir, content))
    assert isinstance(error, SweepError) and f"nested more than {MAX_DEPTH} levels deep" in str(
        error
    )
    assert ": line " in str(error)


def test_nesting_of_an_ordinary_depth_loads(workdir):
    shallow = "\n".join(
        line
        for line in DEFAULT.read_text(encoding="utf-8").splitlines()
        if not line.startswith("seed")
    )
    path = write(workdir, shallow + "\nseed: " + nested("[", "]", MAX_DEPTH - 2, "0") + "\n")
    assert "seed: got [[[[" in str(load_cleanly(path))  # read in full; refused only as a seed


def test_oversized_file_is_refused_before_reading(workdir):
    path = write(workdir, "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert "a sweep file may be at most" in str(load_cleanly(path))


@pytest.mark.timeout(20)
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_refused_after_reading_past_the_limit():
    assert "is over 1000000 bytes" in str(load_cleanly(Path("/dev/zero")))


# Alias bombs and recursive aliases -------------------------------------------------------


def bomb(fanout: int, levels: int) -> str:
    """A flow list holding anchors a0..aN, each of ``fanout`` aliases of the one before: the
    last stands for fanout**levels values although the text is a few hundred bytes."""
    items = [f"&a0 [{', '.join(['lol'] * fanout)}]"]
    items += [f"&a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels + 1)]
    return "[" + ", ".join(items) + "]"


def sweep_text(**replaced: str) -> str:
    """A small valid sweep whose values at the given keys are replaced by YAML text."""
    lines = {
        "name": "small",
        "model": "{family: mlp}",
        "data": "{dataset: digits}",
        "metric": "val_loss",
        "mode": "min",
        "searcher": "{name: tpe}",
        "space": "{lr: {logfloat: [1.0e-4, 1.0e-1]}}",
    }
    lines.update(replaced)
    return "".join(f"{key}: {value}\n" for key, value in lines.items())


BOMB = bomb(10, 9)
BOMB_PLACES = {
    "seed": sweep_text(seed=BOMB),
    "name": sweep_text(name=BOMB),
    "mode": sweep_text(mode=BOMB),
    "model argument": sweep_text(model="{family: mlp, widths: " + BOMB + "}"),
    "model section": sweep_text(model=BOMB),
    "space": sweep_text(space=BOMB),
    "choice list": sweep_text(space="{lr: {choice: " + BOMB + "}}"),
    "when": sweep_text(
        space="{depth: {int: [1, 3]}, lr: {float: [0.1, 0.2], when: {depth: " + BOMB + "}}}"
    ),
    "trials": sweep_text(trials="{num_samples: " + BOMB + "}"),
    "warm start": sweep_text(warm_start="{points: " + BOMB + "}"),
    "unknown key": sweep_text(extra=BOMB),
    "mapping keys": "base: &k {"
    + ", ".join(f"k{i}: {i}" for i in range(100))
    + "}\n"
    + "bomb: ["
    + ", ".join(["*k"] * 200)
    + "]\n",
    "merge keys": "a0: &a0 {"
    + ", ".join(f"k{i}: 1" for i in range(50))
    + "}\n"
    + "".join(
        f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 10)}], x{i}: 1}}\n" for i in range(1, 8)
    ),
}
RECURSIVE = {
    "list": "&a [*a]",
    "mapping": "&a {x: *a}",
    "merge": "&a {<<: *a}",
    "choice list": sweep_text(space="{lr: {choice: &a [1, *a]}}"),
    "model argument": sweep_text(model="{family: mlp, widths: &a [*a]}"),
    "seed": sweep_text(seed="&a [[*a]]"),
    "warm start point": sweep_text(warm_start="{points: &a [{lr: *a}]}"),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", BOMB_PLACES.values(), ids=BOMB_PLACES.keys())
def test_alias_bomb_fails_fast_with_one_line(workdir, text):
    assert len(text.encode()) < MAX_FILE_BYTES
    error = load_cleanly(write(workdir, text))
    assert isinstance(
        error, SweepError
    ) and f"aliases repeat more than {MAX_ALIAS_VALUES} values" in str(error)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", RECURSIVE.values(), ids=RECURSIVE.keys())
def test_recursive_alias_fails_with_one_line(workdir, text):
    error = load_cleanly(write(workdir, text))
    assert isinstance(error, SweepError) and "alias *a is used inside its own anchor" in str(error)


@pytest.mark.timeout(60)
@properties(150)
@given(
    fanout=st.integers(2, 40),
    levels=st.integers(1, 12),
    place=st.sampled_from(["seed", "name", "model", "space", "warm_start", "trials"]),
)
def test_any_alias_bomb_loads_or_fails_fast(workdir, fanout, levels, place):
    text = sweep_text(**{place: bomb(fanout, levels)})
    result = load_cleanly(write(workdir, text))
    size, repeated = 1 + fanout, 0  # values in the last anchor, and repeated by aliases so far
    for _ in range(levels):
        repeated, size = repeated + fanout * size, 1 + fanout * size
    if repeated > MAX_ALIAS_VALUES:
        assert f"aliases repeat more than {MAX_ALIAS_VALUES} values" in str(result)


@pytest.mark.timeout(20)
def test_alias_bomb_in_an_override_fails_fast():
    error = load_cleanly(DEFAULT, overrides=[f"seed={BOMB}"])
    assert str(error).startswith("--set seed: ") and "aliases repeat" in str(error)


def test_small_anchors_aliases_and_merge_keys_still_work(workdir):
    text = textwrap.dedent("""\
        name: anchored
        model: {family: mlp, depth: 2}
        data: &data {dataset: digits, val_fraction: 0.25}
        space:
          width: {choice: &widths [32, 64, 128]}
          activation: {choice: [relu, tanh]}
          batch_size: {choice: *widths}
        metric: val_loss
        mode: min
        searcher: &searcher {name: random}
        trials: {<<: {num_samples: 4, max_concurrent: 1}, num_samples: 6}
        """)
    spec = load_cleanly(write(workdir, text))
    assert isinstance(spec, SweepDefinition), spec
    assert spec.space["width"].values == spec.space["batch_size"].values == (32, 64, 128)
    assert spec.model.data_args["val_fraction"] == 0.25
    assert (spec.trials.num_samples, spec.trials.max_concurrent) == (
        6,
        1,
    )  # written key overrides merged


def test_merge_keys_do_not_hide_a_key_written_twice(workdir):
    text = sweep_text(trials="{<<: {num_samples: 4}, num_samples: 6, num_samples: 7}")
    assert "line 8: key 'num_samples' is given twice in the same mapping" in str(
        load_cleanly(write(workdir, text))
    )


# Python tags never construct objects -----------------------------------------------------

PYTHON_TAGS = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/new:os.system ["touch {marker}"]',
    "!!python/object:os.system {{}}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    '!<tag:yaml.org,2002:python/object/apply:os.system> ["touch {marker}"]',
    '!python/object/apply:os.system ["touch {marker}"]',
]


@pytest.mark.timeout(60)
@properties(150)
@given(
    tag=st.sampled_from(PYTHON_TAGS),
    place=st.sampled_from(["seed", "model", "space", "extra", "name"]),
    nested=st.booleans(),
)
def test_python_tags_never_construct_objects(workdir, tag, place, nested):
    marker = workdir / "marker"
    value = tag.format(marker=marker)
    text = sweep_text(**{place: f"[{value} ]" if nested else value})  # ']' could end a tag
    error = load_cleanly(write(workdir, text))
    assert isinstance(error, SweepError)
    line = 1 + list(sweep_text(**{place: "X"}).splitlines()).index(f"{place}: X")
    assert f"line {line}, column " in str(error)
    assert not marker.exists()


def test_tag_directive_cannot_reach_python_constructors(workdir):
    marker = workdir / "directive_marker"
    text = f'%TAG !p! tag:yaml.org,2002:python/object/apply:\n---\nseed: !p!os.system ["touch {marker}"]\n'
    error = load_cleanly(write(workdir, text))
    assert "could not determine a constructor" in str(error) and "line 3" in str(error)
    assert not marker.exists()


# Duplicate keys at any depth -------------------------------------------------------------


def flow(value: Any) -> str:
    """JSON (a subset of YAML) for one value on one line."""
    return json.dumps(value)


@pytest.mark.timeout(60)
@properties(150)
@given(data=st.data())
def test_duplicate_key_at_any_depth_is_named_with_its_line(workdir, data):
    tree = BASES[data.draw(st.sampled_from(sorted(BASES)))]
    mappings = [(top, path) for top in tree for path in _mapping_paths(tree[top], (top,))]
    top, path = data.draw(st.sampled_from([(None, ())] + mappings))
    lines = [f"{flow(key)}: {flow(value)}" for key, value in tree.items()]
    if top is None:  # a top-level key written again on a line of its own; the later one is named
        key = data.draw(st.sampled_from(sorted(tree)))
        at = data.draw(st.integers(0, len(lines)))
        lines.insert(at, f"{key}: {flow(data.draw(scalars))}")
        first = list(tree).index(key)
        line = first + 2 if at <= first else at + 1
    else:  # a key written twice inside a flow mapping on the top-level key's line
        target = _at(tree, path)
        key = data.draw(st.sampled_from(sorted(target)))
        line = 1 + list(tree).index(top)
        lines[line - 1] = f"{flow(top)}: {_flow_with_duplicate(tree[top], path[1:], key)}"
    error = load_cleanly(write(workdir, "\n".join(lines) + "\n"))
    assert f"line {line}: key {key!r} is given twice in the same mapping" in str(error)


def _mapping_paths(value: Any, path: tuple) -> list[tuple]:
    found = [path] if isinstance(value, dict) and value else []
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        found += _mapping_paths(child, (*path, key))
    return found


def _at(tree: Any, path: tuple) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _flow_with_duplicate(value: Any, path: tuple, key: str) -> str:
    """``value`` as flow YAML with ``key`` written a second time in the mapping at ``path``."""
    if not path:
        items = [f"{flow(k)}: {flow(v)}" for k, v in value.items()]
        return "{" + ", ".join([*items, f"{key}: {flow(value[key])}"]) + "}"
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        items = [
            f"{flow(k)}: {_flow_with_duplicate(v, rest, key) if k == head else flow(v)}"
            for k, v in value.items()
        ]
        return "{" + ", ".join(items) + "}"
    return (
        "["
        + ", ".join(
            _flow_with_duplicate(v, rest, key) if i == head else flow(v)
            for i, v in enumerate(value)
        )
        + "]"
    )


# Non-UTF-8 bytes -------------------------------------------------------------------------

BAD_BYTES = [
    b"\xff",
    b"\xfe",
    b"\x80",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xc0\xaf",
    b"\xe2\x82",
]


@pytest.mark.timeout(60)
@properties(150)
@given(data=st.data())
def test_non_utf8_bytes_are_refused_naming_the_byte(workdir, data):
    content = (ROOT / "sweeps" / data.draw(st.sampled_from(sorted(BASES)))).read_bytes()
    at = data.draw(st.integers(0, len(content)))
    while at < len(content) and 0x80 <= content[at] < 0xC0:
        at -= 1  # back to a character boundary, so the bad bytes are the first error
    bad = data.draw(st.sampled_from(BAD_BYTES))
    error = load_cleanly(write(workdir, content[:at] + bad + content[at:]))
    assert f"not UTF-8 text (byte {at})" in str(error)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1", "cp1252"])
def test_other_encodings_are_refused(workdir, encoding):
    text = DEFAULT.read_text(encoding="utf-8") + "# é ü\n"
    assert "not UTF-8 text" in str(load_cleanly(write(workdir, text.encode(encoding))))


# --set overrides -------------------------------------------------------------------------

SET_KEYS = [
    "seed",
    "name",
    "mode",
    "metric",
    "trials.num_samples",
    "trials",
    "space",
    "space.lr",
    "space.depth",
    "space.data.val_fraction",
    "space.lr.choice",
    "model",
    "model.depth",
    "model.lr",
    "data.dataset",
    "data.validation",
    "searcher.name",
    "scheduler.name",
    "scheduler.grace_period",
    "stop.max_epochs",
    "resources.gpu",
    "checkpoint.every",
    "warm_start.points",
    "name.sub",
    "bogus",
    "",
    ".",
    "space.",
    "..",
    "space..x",
    "model.x.y.z",
]
override_values = st.one_of(
    yamlish,
    st.text(max_size=40),
    st.sampled_from(FRAGMENTS),
    junk.map(lambda value: yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()),
)
overrides = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda key, value: f"{key}={value}",
        st.one_of(st.sampled_from(SET_KEYS), st.text(max_size=15)),
        override_values,
    ),
)


@pytest.mark.timeout(60)
@properties(300)
@given(
    path=st.sampled_from([DEFAULT, CONDITIONAL]), items=st.lists(overrides, min_size=1, max_size=3)
)
@example(path=DEFAULT, items=["seed=&a [*a]"])
@example(path=DEFAULT, items=["seed=0x" + "f" * 5000])
@example(path=DEFAULT, items=["space.lr={choice: [1, 1]}"])
@example(path=DEFAULT, items=["a\nb=1"])
def test_random_overrides_load_or_fail_in_one_line(path, items):
    load_cleanly(path, overrides=items)


# --name ----------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@properties(300)
@given(
    name=st.one_of(
        st.text(max_size=120),
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,105}\n?", fullmatch=True),
    )
)
@example(name="abc\n")  # '$' in a regular expression also matches before a final newline
@example(name="..")
@example(name=".")
@example(name="a..b")
@example(name="/etc")
@example(name="a/b")
@example(name="a\\b")
@example(name="C:x")
@example(name="")
@example(name=" a")
@example(name="a" * 101)
@example(name="ok-name.1")
def test_name_option_gives_a_safe_folder_name_or_one_line_error(name):
    result = load_cleanly(DEFAULT, name=name)
    if isinstance(result, SweepDefinition):
        assert result.name == name
    else:
        assert str(result).startswith("--name: name: got ")


def test_name_with_a_final_newline_is_refused():
    assert isinstance(load_cleanly(DEFAULT, name="abc\n"), SweepError)


# Inputs that once ended in a traceback or a hang ----------------------------------------

REGRESSIONS = {  # a line added to (or replacing its key in) sweep_text(), and what the error must say
    "bad date": (
        "seed: 2001-13-45",
        "line 8, column 7: cannot read '2001-13-45' as !!timestamp: month must be",
    ),
    "bad timestamp": (
        "seed: !!timestamp xyz",
        "line 8, column 7: cannot read 'xyz' as !!timestamp",
    ),
    "bad int": ("seed: !!int abc", "line 8, column 7: cannot read 'abc' as !!int"),
    "bad float": ("seed: !!float abc", "line 8, column 7: cannot read 'abc' as !!float"),
    "bad bool": ("seed: !!bool maybe", "line 8, column 7: cannot read 'maybe' as !!bool"),
    "empty int": ("seed: !!int", "line 8, column 7: cannot read '' as !!int"),
    "empty float": ("seed: !!float", "line 8, column 7: cannot read '' as !!float"),
    "map of a scalar": (
        "seed: !!map abc",
        "line 8, column 7: expected a mapping, but found a scalar",
    ),
    "long integer": ("seed: " + "9" * 5000, "line 8, column 7: an integer of 5000 characters"),
    "long hex integer": (
        "seed: 0x" + "f" * 5000,
        "line 8, column 7: an integer of 5002 characters",
    ),
    "huge int bound": (
        "space: {lr: {int: [0x" + "f" * 200 + ", 1]}}",
        "an integer of 202 characters",
    ),
    "newline in a key": ('"a\\nb": 1', "a\\nb: unknown key"),
    "line separator in a key": (
        'space: {"a\\u2028b": {int: [1, 2]}}',
        "space.a\\u2028b: the mlp model has no argument",
    ),
    "huge condition parent": (
        "space: {data.seed: {int: [0, 4294967295]}, depth: {int: [1, 2], when: {data.seed: 4294967296}}}",
        "space.depth.when.data.seed: 4294967296 is never a value of data.seed (0, 1, 2",
    ),
    "huge per-layer length": (
        "space: {data.seed: {int: [0, 4294967295]}, widths: {per_layer: {choice: [8]}, length: data.seed}}",
        "space.widths.length: data.seed ranges over 0..4294967295",
    ),
    "many data combinations": (
        "space: {data.val_fraction: {choice: ["
        + ", ".join(f"0.0{i + 100}" for i in range(300))
        + "]},"
        " data.test_fraction: {choice: [" + ", ".join(f"0.1{i + 100}" for i in range(300)) + "]}}",
        "space: the searched data keys (val_fraction, test_fraction) combine into 90000",
    ),
    "table path is a folder": (
        "data: {dataset: table, path: /, features: [a], label: b}",
        ": data: ",
    ),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("line, expected", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regressions_give_one_line_errors(workdir, line, expected):
    key, _, value = line.partition(": ")
    error = load_cleanly(write(workdir, sweep_text(**{key: value})))
    assert isinstance(error, SweepError) and expected in str(error), str(error)


LONG_LISTS = {
    "choice past the limit": (
        "space",
        "{lr: {choice: [" + ", ".join(["0.1"] * 10_001) + "]}}",
        "space.lr.choice: has 10001 values; at most 10000 are allowed",
    ),
    "choice of distinct values past the limit": (
        "space",
        "{batch_size: {choice: [" + ", ".join(str(i) for i in range(1, 10_002)) + "]}}",
        "has 10001 values",
    ),
    "long seed": ("seed", "[" + ", ".join(["0"] * 100_000) + "]", "seed: got [0, 0, 0"),
    "long name": ("name", "x" * 500_000, "name: got 'xxxx"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("key, value, expected", LONG_LISTS.values(), ids=LONG_LISTS.keys())
def test_long_values_give_one_line_errors(workdir, key, value, expected):
    error = load_cleanly(write(workdir, sweep_text(**{key: value})))
    assert isinstance(error, SweepError) and expected in str(error), str(error)


@pytest.mark.timeout(60)
def test_choice_of_ten_thousand_values_loads(workdir):
    text = sweep_text(
        space="{batch_size: {choice: [" + ", ".join(str(i) for i in range(1, 10_001)) + "]}}"
    )
    spec = load_cleanly(write(workdir, text))
    assert isinstance(spec, SweepDefinition) and len(spec.space["batch_size"].values) == 10_000


@pytest.mark.timeout(20)
def test_condition_on_a_huge_integer_range_loads_quickly(workdir):
    text = sweep_text(
        space="{data.seed: {int: [0, 4294967295]}, lr: {float: [0.1, 0.2], when: {data.seed: 7}}}"
    )
    spec = load_cleanly(write(workdir, text))
    assert isinstance(spec, SweepDefinition) and spec.conditions.when["lr"][0].values == (7,)


# Nothing starts: no Ray, no torch, no files ---------------------------------------------

JUNK_FILES = {
    "bomb.yaml": BOMB_PLACES["mode"],
    "recursive.yaml": RECURSIVE["seed"],
    "python.yaml": sweep_text(seed='!!python/object/apply:os.system ["true"]'),
    "latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
    "deep.yaml": DEEP["flow lists"],
    "binary.yaml": bytes(range(256)),
}


def test_loading_never_initializes_ray():
    if (
        "ray" in sys.modules
    ):  # imported by another test of this process, perhaps; never started here
        import ray

        assert not ray.is_initialized()


@pytest.mark.timeout(120)
def test_junk_files_import_neither_ray_nor_torch(tmp_path):
    paths = [str(write(tmp_path, content, name)) for name, content in JUNK_FILES.items()]
    script = textwrap.dedent(f"""\
        import sys
        from launchers.cli import main
        for path in {paths!r}:
            code = main([path, "--dry-run"], prog="check", description="check", cluster=False)
            assert code == 2, (path, code)
        code = main([{str(DEFAULT)!r}, "--dry-run"], prog="check", description="check", cluster=False)
        assert code == 0, code
        assert "ray" not in sys.modules and "torch" not in sys.modules, "imported"
        """)
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
        env=launcher_env(),
    )
    assert run.returncode == 0, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(JUNK_FILES) == len(run.stderr.splitlines()), run.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "name", ["bomb.yaml", "recursive.yaml", "python.yaml", "latin1.yaml", "binary.yaml"]
)
def test_launcher_refuses_junk_in_one_line_and_creates_nothing(tmp_path, name):
    path = write(tmp_path, JUNK_FILES[name], name)
    storage = tmp_path / "storage"
    storage.mkdir()
    run = run_launcher("local", str(path), "--storage", str(storage), timeout=100)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout == ""
    assert (
        run.stderr.endswith("\n")
        and run.stderr.count("\n") == 1
        and run.stderr.startswith(f"error: {path}: ")
    )
    assert list(storage.iterdir()) == []
    assert sorted(os.listdir(tmp_path)) == sorted([name, "storage"])
