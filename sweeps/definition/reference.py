"""The sweep-file reference for model and data keys, generated from the config classes so that
it cannot fall behind them. ``python -m sweeps.definition.reference`` prints it as Markdown (docs/sweep-file.md
carries a copy, which a test compares with this output); ``--write`` updates that copy."""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lightning_modules.configs import BlockConfig, DataConfig, TrainingConfig
from lightning_modules.registry import DATASETS, MODEL_FAMILIES

BEGIN = "<!-- reference:begin -->"
END = "<!-- reference:end -->"


def type_name(annotation: Any) -> str:
    """How a sweep file spells a type: ``a \\| b`` for choices, ``list of str``, ``int or null``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:  # list items with bounds: list[Annotated[int, Field(ge=1)]]
        constraints = [part for item in args[1:] for part in getattr(item, "metadata", [item])]
        return allowed(args[0], constraints)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(part) for part in args)
    if origin in (list, tuple):
        return f"list of {type_name(args[0])}" if args else "list"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def allowed(annotation: Any, metadata: list[Any]) -> str:
    text = type_name(annotation)
    bounds = []
    for item in metadata:
        for attribute, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attribute, None)
            if value is not None:
                bounds.append(
                    f"{sign} {value:g}" if isinstance(value, (int, float)) else f"{sign} {value}"
                )
    return f"{text} ({', '.join(bounds)})" if bounds else text


def table(config: type[BaseModel], keys: list[str]) -> list[str]:
    lines = ["| key | allowed | default | meaning |", "| --- | --- | --- | --- |"]
    for name in keys:
        field = config.model_fields[name]
        default = field.get_default(call_default_factory=True)
        shown = (
            "null"
            if default is None
            else str(default).lower()
            if isinstance(default, bool)
            else default
        )
        lines.append(
            f"| `{name}` | {allowed(field.annotation, field.metadata)} | `{shown}` | {field.description or ''} |"
        )
    return lines


def own_keys(config: type[BaseModel], *bases: type[BaseModel]) -> list[str]:
    inherited = {name for base in bases for name in base.model_fields}
    return [name for name in config.model_fields if name not in inherited]


def reference() -> str:
    lines = [BEGIN, "", "#### Every model family: training", ""]
    lines += table(TrainingConfig, list(TrainingConfig.model_fields))
    lines += ["", "#### Every model family: building blocks", ""]
    lines += table(BlockConfig, list(BlockConfig.model_fields))
    for name, family in MODEL_FAMILIES.items():
        lines += [
            "",
            f"#### `family: {name}`",
            "",
            (family.config.__doc__ or "").strip().replace("\n    ", " "),
            "",
        ]
        lines += table(family.config, own_keys(family.config, TrainingConfig, BlockConfig))
    lines += ["", "#### Every data set", ""]
    lines += table(DataConfig, list(DataConfig.model_fields))
    for name, dataset in DATASETS.items():
        lines += [
            "",
            f"#### `dataset: {name}`",
            "",
            (dataset.config.__doc__ or "").strip().replace("\n    ", " "),
        ]
        keys = own_keys(dataset.config, DataConfig)
        if keys:
            lines += [""] + table(dataset.config, keys)
    lines += ["", END]
    return "\n".join(lines)


def write_into(readme: Path) -> None:
    text = readme.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    readme.write_text(text[:start] + reference() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_into(Path(__file__).resolve().parents[2] / "docs" / "sweep-file.md")
    else:
        print(reference())
