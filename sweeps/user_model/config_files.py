"""The user's LightningCLI configs (``lightning_config:``) and the sweep file's own sections,
merged into one config in LightningCLI's shape.

    seed_everything: 42
    trainer: {max_epochs: 20, precision: bf16-mixed, callbacks: [...]}
    model: {class_path: my_project.models.Classifier, init_args: {hidden: 128}}
    data: {class_path: my_project.data.Images, init_args: {batch_size: 64}}
    optimizer: {class_path: torch.optim.AdamW, init_args: {lr: 1.0e-3}}   # optional
    lr_scheduler: null
    ckpt_path: null        # fit's own arguments: null, since every trial starts afresh
    weights_only: null

That is what ``LightningCLI ... fit --print_config`` writes, and such a file is read as it is.
A fixed-class config (``LightningCLI(Classifier, Images)``: ``model: {hidden: 128}``) is the same
with the classes named in the sweep file. Files are merged in order, then the sweep file's keys
on top; mappings merge key by key, lists and other values are replaced, and a section naming
another class starts its arguments afresh. Imports neither torch nor Lightning.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sweeps.errors import SweepError, show
from sweeps.sweep_file.yaml_loading import read_yaml_file
from sweeps.user_model.paths import CLASS_SECTIONS, DICT_KWARGS, INIT_ARGS

LIGHTNING_KEYS = ("seed_everything", "trainer", "model", "data", "optimizer", "lr_scheduler")
FIT_KEYS = ("ckpt_path", "weights_only")  # fit's own arguments: a sweep starts every trial afresh
CLASS_KEYS = ("class_path", INIT_ARGS, DICT_KWARGS)


def read_lightning_configs(paths: Any) -> list[tuple[str, dict[str, Any]]]:
    """Each file ``lightning_config:`` lists (relative paths from the working directory, as
    ``--config`` takes them) with its content, normalised; merge them in this order."""
    if isinstance(paths, str):
        paths = [paths]
    if (
        not isinstance(paths, list)
        or not paths
        or not all(isinstance(path, str) and path for path in paths)
    ):
        raise SweepError(
            f"got {show(paths)}; give a LightningCLI config file or a list of them",
            path="lightning_config",
        )
    read: list[tuple[str, dict[str, Any]]] = []
    for index, name in enumerate(paths):
        file = Path(name).expanduser().absolute()
        where = f"lightning_config[{index}]"
        if not file.is_file():
            raise SweepError(
                f"{file} does not exist (relative paths start from the working directory)",
                path=where,
            )
        try:
            content = read_yaml_file(file)
        except SweepError as error:
            raise SweepError(f"{file} does not parse: {error.message}", path=where) from None
        if content is None:
            content = {}
        if not isinstance(content, dict):
            raise SweepError(
                f"{file} holds a {type(content).__name__}; a LightningCLI config is a mapping",
                path=where,
            )
        unknown = [key for key in content if key not in LIGHTNING_KEYS + FIT_KEYS]
        if unknown:
            raise SweepError(
                f"{file}: unknown key {show(unknown[0])}; a LightningCLI fit config has: "
                f"{', '.join(LIGHTNING_KEYS + FIT_KEYS)}",
                path=where,
            )
        read.append((str(file), normalized(content, str(file))))
    return read


def normalized(config: dict[str, Any], where: str) -> dict[str, Any]:
    """Class sections as ``{class_path, init_args}`` (a fixed-class section becomes its
    init_args); other sections as they are."""
    result = {}
    for key, value in config.items():
        if key in CLASS_SECTIONS and value is not None:
            value = class_section(value, f"{where}: {key}" if where else key)
        result[key] = copy.deepcopy(value)
    return result


def class_section(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SweepError(
            f"got {show(value)}; a class section is a mapping (class_path and init_args, or the "
            "arguments themselves)",
            path=where,
        )
    if "class_path" not in value:
        return {INIT_ARGS: dict(value)}
    unknown = [key for key in value if key not in CLASS_KEYS]
    if unknown:
        raise SweepError(
            f"unknown key {show(unknown[0])} beside class_path; allowed: {', '.join(CLASS_KEYS)}",
            path=f"{where}.{unknown[0]}",
        )
    init_args = value.get(INIT_ARGS) or {}
    if not isinstance(init_args, dict):
        raise SweepError(
            f"got {show(init_args)}; init_args is a mapping of argument names to values",
            path=f"{where}.{INIT_ARGS}",
        )
    section = {"class_path": value["class_path"], INIT_ARGS: dict(init_args)}
    if value.get(DICT_KWARGS):
        section[DICT_KWARGS] = value[DICT_KWARGS]
    return section


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base`` (see the module's docstring)."""
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        current = result.get(key)
        if key in CLASS_SECTIONS and isinstance(current, dict) and isinstance(value, dict):
            other_class = (
                "class_path" in value
                and "class_path" in current
                and value["class_path"] != current["class_path"]
            )
            result[key] = copy.deepcopy(value) if other_class else _merge_mappings(current, value)
        elif isinstance(current, dict) and isinstance(value, dict):
            result[key] = _merge_mappings(current, value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_mappings(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = _merge_mappings(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result
