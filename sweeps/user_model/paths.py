"""Searched keys of a user's model: dotted paths into the LightningCLI-style config.

    model.init_args.lr      the model's constructor argument lr
    model.lr                the same key (LightningCLI accepts both styles)
    data.batch_size         the data module's batch_size
    trainer.gradient_clip_val
    optimizer.init_args.lr  with an optimizer given in the config (LightningCLI's optimizer:)
    model.init_args.encoder.init_args.depth   inside a nested class_path argument
    model.dict_kwargs.hidden    a keyword argument of a constructor taking ``**kwargs``

Imports neither torch nor Lightning.
"""

from __future__ import annotations

import copy
from typing import Any

# Sections whose value is a class: ``class_path`` and ``init_args``.
CLASS_SECTIONS = ("model", "data", "optimizer", "lr_scheduler")
SECTIONS = (*CLASS_SECTIONS, "trainer")
INIT_ARGS = "init_args"
DICT_KWARGS = "dict_kwargs"  # LightningCLI's key for what a constructor takes as **kwargs


def key_path(key: str) -> tuple[str, ...] | None:
    """Where ``key`` points in the config (init_args made explicit), or None when it names no
    section of it."""
    parts = tuple(key.split("."))
    if len(parts) < 2 or parts[0] not in SECTIONS or any(not part for part in parts):
        return None
    if parts[0] in CLASS_SECTIONS and parts[1] not in (INIT_ARGS, DICT_KWARGS):
        parts = (parts[0], INIT_ARGS, *parts[1:])
    if parts[0] in CLASS_SECTIONS and len(parts) < 3:
        return None
    return parts


def get_path(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(".".join(path))
        node = node[part]
    return node


def with_values(config: dict[str, Any], values: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """A copy of ``config`` with each path set to its value (missing mappings created)."""
    result = copy.deepcopy(config)
    for path, value in values.items():
        node = result
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return result


def without_paths(config: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """A copy of ``config`` without the keys at ``paths`` (those it has)."""
    result = copy.deepcopy(config)
    for path in paths:
        node: Any = result  # whatever the config holds on the way down
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return result
