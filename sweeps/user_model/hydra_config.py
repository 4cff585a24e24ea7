"""Hydra projects, as they are: the sweep file names the project's Hydra config, and Hydra itself
composes it (defaults lists, config groups, interpolations, overrides) and instantiates its
``model`` and ``data`` (``_target_``, ``_partial_``, nested objects).

    hydra: {config_path: configs, config_name: train, overrides: [experiment=small]}
    space:
      model.optimizer.lr: interval(0.0001, 0.1)      # Hydra's sweeper syntax, as in the
      data.batch_size: choice(32, 64, 128)           # project's own hparams_search config
      model.net.hidden: {int: [32, 256], step: 32}   # or the sweep file's own syntax

Searched keys are dotted paths into the composed config; each trial's values are Hydra overrides
(``model.optimizer.lr=0.003``) composed over the sweep's own. The config's ``trainer`` group is
the trial's Trainer settings (the sweep owns the same ones as under LightningCLI), its
``callbacks`` and ``logger`` groups the user's callbacks and loggers. ``${hydra:runtime.*}``
resolves to the trial's folder (output_dir) and the project (cwd), and ``PROJECT_ROOT``, which the
popular template's ``paths`` config reads, is the project's folder unless set.

This module composes and checks (load time and trial time alike); sweeps.user_model.hydra_build
builds a trial's Trainer run from what it composes.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweeps.errors import SweepError, did_you_mean, first_line, show

SWEEPER_FUNCTIONS = ("interval(", "int(", "choice(", "range(", "tag(")
HYDRA_KEYS = ("config_path", "config_name", "overrides")


@dataclass(frozen=True)
class HydraSource:
    """Where the project's config is and how the sweep composes it (plain values: shipped to
    every trial, stored in every checkpoint)."""

    config_path: str  # relative to the project's folder (``working_dir``), or absolute
    config_name: str
    overrides: tuple[str, ...] = field(default_factory=tuple)

    def to_stored(self) -> dict[str, Any]:
        return {
            "config_path": self.config_path,
            "config_name": self.config_name,
            "overrides": list(self.overrides),
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> HydraSource:
        return cls(stored["config_path"], stored["config_name"], tuple(stored["overrides"]))


def load_hydra_source(raw: Any) -> HydraSource:
    """The ``hydra:`` key, checked: its keys and the config's folder and file."""
    if not isinstance(raw, dict):
        raise SweepError(
            f"got {show(raw)}; write hydra: {{config_path: configs, config_name: train}}",
            path="hydra",
        )
    for key in raw:
        if key not in HYDRA_KEYS:
            raise SweepError(
                f"unknown key{did_you_mean(str(key), HYDRA_KEYS)} (allowed here: "
                f"{', '.join(HYDRA_KEYS)})",
                path=f"hydra.{key}",
            )
    for key in ("config_path", "config_name"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise SweepError(
                "required key is missing" if key not in raw else f"got {show(raw[key])}; give text",
                path=f"hydra.{key}",
            )
    overrides = raw.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise SweepError(
            f"got {show(overrides)}; give a list of Hydra overrides, e.g. [experiment=small]",
            path="hydra.overrides",
        )
    folder = Path(raw["config_path"]).expanduser()
    if not folder.is_dir():
        raise SweepError(
            f"{raw['config_path']}: no such folder (from {os.getcwd()}); run the launcher from "
            "your project's folder",
            path="hydra.config_path",
        )
    name = raw["config_name"].removesuffix(".yaml")
    if not (folder / f"{name}.yaml").is_file():
        found = sorted(p.stem for p in folder.glob("*.yaml"))
        raise SweepError(
            f"{folder / (name + '.yaml')}: no such file{did_you_mean(name, found)} "
            f"(configs there: {', '.join(found) or 'none'})",
            path="hydra.config_name",
        )
    return HydraSource(raw["config_path"], name, tuple(overrides))


def config_folder(source: HydraSource, working_dir: str) -> Path:
    """The config's folder in this process: in the project where the sweep was loaded, else in
    the copy of the project this node runs (shipped to a cluster's nodes, on sys.path)."""
    relative = Path(source.config_path).expanduser()
    if relative.is_absolute():
        candidates = [relative]
        if working_dir and str(relative).startswith(working_dir.rstrip(os.sep) + os.sep):
            relative = relative.relative_to(working_dir)
    else:
        candidates = [Path(working_dir or os.getcwd()) / relative]
    candidates += [Path(entry) / relative for entry in sys.path if entry]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    raise FileNotFoundError(f"the Hydra config folder {source.config_path} is not on this node")


@contextlib.contextmanager
def composed(
    source: HydraSource,
    overrides: list[str],
    working_dir: str,
    output_dir: str | None = None,
) -> Iterator[Any]:
    """The composed config (with Hydra's own settings, so ``${hydra:...}`` resolves) while
    Hydra is set up for it: instantiate inside."""
    # Imported here: Hydra loads only for a Hydra project.
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    project = working_dir or os.getcwd()
    folder = config_folder(source, working_dir)
    with contextlib.ExitStack() as stack:
        if "PROJECT_ROOT" not in os.environ:
            # Where the template's entry point puts it; here only while the config is in use.
            os.environ["PROJECT_ROOT"] = project
            stack.callback(os.environ.pop, "PROJECT_ROOT", None)
        output = output_dir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="sweep-hydra-")
        )
        with initialize_config_dir(
            config_dir=str(folder), version_base="1.3", job_name=source.config_name
        ):
            config = compose(
                source.config_name,
                overrides=[*source.overrides, *overrides],
                return_hydra_config=True,
            )
            with open_dict(config):
                config.hydra.runtime.output_dir = output
                config.hydra.runtime.cwd = project
            HydraConfig.instance().set_config(config)
            try:
                yield config
            finally:
                HydraConfig.instance().cfg = None


def compose_checked(source: HydraSource, working_dir: str) -> dict[str, Any]:
    """The composed config as plain values (interpolations resolved, Hydra's own settings left
    out), or one line saying why Hydra could not compose it."""
    from omegaconf import OmegaConf

    try:
        with composed(source, [], working_dir) as config:
            # Hydra's own settings hold values of a run (hydra.job.num) that a composed config
            # outside a run lacks: every other key is resolved.
            plain = {
                key: OmegaConf.to_container(config[key], resolve=True)
                if OmegaConf.is_config(config[key])
                else config[key]
                for key in config
                if key != "hydra"
            }
    except SweepError:
        raise
    except Exception as error:  # Hydra's and OmegaConf's errors, each one line
        raise SweepError(
            f"Hydra cannot compose {source.config_name} from {source.config_path} with overrides "
            f"{list(source.overrides)}: {first_line(error)}",
            path="hydra",
        ) from None
    return plain


def leaf_paths(config: Any, prefix: str = "") -> list[str]:
    """Every dotted path to a value in ``config`` (mappings walked, lists and values leaves)."""
    if not isinstance(config, dict):
        return [prefix] if prefix else []
    paths = [prefix] if prefix else []
    for key, value in config.items():
        paths += leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return paths


_ABSENT = object()


def value_at(config: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of the composed config, or ``_ABSENT``."""
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def check_searched_key(config: dict[str, Any], key: str, path: str) -> None:
    """A searched key must name a value of the composed config."""
    if value_at(config, key) is _ABSENT:
        raise SweepError(
            f"{key} is not in the composed config{did_you_mean(key, leaf_paths(config))}",
            path=path,
        )


def sweeper_entry(text: str, path: str) -> dict[str, Any]:
    """Hydra's sweeper syntax (the hparams_search ``params:`` of a project) as the sweep file's
    own: ``interval(a, b)`` float, ``int(interval(a, b))`` int, ``tag(log, ...)`` on a log scale,
    ``choice(a, b, ...)``, ``range(start, stop[, step])`` (stop excluded, as Hydra has it)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep

    try:
        value = OverridesParser.create().parse_override(f"key={text}").value()
    except Exception as error:  # Hydra's parse errors
        raise SweepError(
            f"{text!r} is not Hydra's sweeper syntax ({first_line(error)}); write interval(a, b), "
            "int(interval(a, b)), tag(log, interval(a, b)), choice(a, b, ...) or "
            "range(start, stop, step)",
            path=path,
        ) from None
    tags = set(getattr(value, "tags", None) or ())
    unknown = tags - {"log"}
    if unknown:
        raise SweepError(
            f"{text}: tag {sorted(unknown)[0]!r} is not known; tag(log, ...) is", path=path
        )
    log = "log" in tags
    if isinstance(value, IntervalSweep):
        whole = isinstance(value.start, int) and isinstance(value.end, int)
        kind = ("logint" if log else "int") if whole else ("logfloat" if log else "float")
        return {kind: [value.start, value.end]}
    if log:
        raise SweepError(f"{text}: tag(log, ...) goes with an interval", path=path)
    if isinstance(value, ChoiceSweep):
        return {"choice": list(value.list)}
    if isinstance(value, RangeSweep):
        return {"choice": _range_values(value, text, path)}
    raise SweepError(
        f"{text!r} is one value, not a range to search: write choice({text}) or leave it out",
        path=path,
    )


def _range_values(value: Any, text: str, path: str) -> list[Any]:
    start, stop, step = value.start, value.stop, value.step
    if step == 0 or (stop - start) / step <= 0:
        raise SweepError(f"{text}: the range holds no value", path=path)
    count = math.ceil((stop - start) / step - 1e-9)
    values = [start + index * step for index in range(count)]
    if all(isinstance(v, int) for v in (start, stop, step)):
        return [int(v) for v in values]
    return [round(v, 12) for v in values]


def is_sweeper_syntax(body: Any) -> bool:
    return isinstance(body, str) and body.strip().startswith(SWEEPER_FUNCTIONS)


def override(key: str, value: Any) -> str:
    """``key=value`` in Hydra's override grammar."""
    return f"{key}={_override_value(value)}"


def _override_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_override_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_override_value(v)}" for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"
