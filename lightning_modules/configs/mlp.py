"""Meta-parameters of the MLP classifier (``family: mlp``)."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.network import NetworkConfig
from typed_config.rules import Rule, knob_needs


def _widths_match_depth(
    values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    widths = values["widths"]
    if widths is not None and "depth" in given and len(widths) != values["depth"]:
        return f"widths lists {len(widths)} layers but depth is {values['depth']}; give one of them"
    return None


class MLPConfig(NetworkConfig):
    """``depth`` hidden layers, each a linear layer, normalisation, activation and dropout, then a
    linear layer to the outputs. Widths: ``width`` for every layer (``width_schedule: constant``),
    ``width`` shrinking by ``width_factor`` per layer (``shrinking``), or an explicit list
    ``widths`` (which sets the depth)."""

    depth: int = Field(2, ge=0, le=32, description="hidden layers (0: a linear model)")
    width: int = Field(128, ge=1, le=8192, description="units of the first (or every) hidden layer")
    width_schedule: Literal["constant", "shrinking"] = Field(
        "constant", description="widths of the hidden layers"
    )
    width_factor: float = Field(
        0.5, gt=0.0, lt=1.0, description="shrinking: each layer's share of the previous"
    )
    widths: list[Annotated[int, Field(ge=1, le=8192)]] | None = Field(
        None, min_length=1, max_length=32, description="units per hidden layer"
    )
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each hidden layer")

    mutable: ClassVar[frozenset[str]] = frozenset({"dropout"})

    family_rules: ClassVar[list[Rule]] = [
        knob_needs("width_factor", "width_schedule", ("shrinking",)),
        Rule(("widths", "depth"), _widths_match_depth),
    ]

    def layer_widths(self) -> list[int]:
        if self.widths is not None:
            return list(self.widths)
        if self.width_schedule == "shrinking":
            return [max(1, round(self.width * self.width_factor**i)) for i in range(self.depth)]
        return [self.width] * self.depth
