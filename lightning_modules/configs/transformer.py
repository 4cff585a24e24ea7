"""Meta-parameters of the Transformer encoder classifier (``family: transformer``)."""

from typing import Any, ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.blocks import Norm
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.network import NetworkConfig
from typed_config.rules import Rule


def _heads_divide_model_dim(
    values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    if values["d_model"] % values["heads"]:
        return f"heads {values['heads']} does not divide d_model {values['d_model']}"
    return None


def _sequence_fits(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
    if data is None:
        return None
    length = sequence_length(data)
    patch = values["patch_size"]
    if patch > length:
        return f"patch_size {patch} is longer than the data's sequences of {length} steps"
    tokens = -(-length // patch)
    if tokens > values["max_length"]:
        made = (
            f"{length} steps"
            if patch == 1
            else f"{length} steps in patches of {patch}, {tokens} tokens"
        )
        return f"the data's sequences have {made}, more than max_length {values['max_length']}"
    return None


def _no_batch_norm(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
    if values["norm"] == "batch":
        return "norm 'batch' does not apply to the transformer: use layer (pre-norm) or none"
    return None


def sequence_length(data: DataInfo) -> int:
    if data.kind == "image":
        return data.sample_shape[1]  # rows as steps
    return data.sample_shape[0]


class TransformerConfig(NetworkConfig):
    """Each token (``patch_size`` consecutive steps, the last patch zero-padded) is projected to
    ``d_model``, a positional encoding (sinusoidal or learned, up to ``max_length`` tokens) is added, ``layers`` pre-norm encoder layers follow
    (``heads`` attention heads with ``attention_dropout``, a feed-forward of ``ff_dim`` units with
    the block's activation, ``dropout`` on both residual branches), then mean pooling over tokens
    and a linear head."""

    layers: int = Field(2, ge=1, le=24, description="encoder layers")
    heads: int = Field(4, ge=1, le=64, description="attention heads; must divide d_model")
    d_model: int = Field(64, ge=1, le=4096, description="model (embedding) dimension")
    ff_dim: int = Field(128, ge=1, le=16384, description="feed-forward units")
    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="on embeddings and residual branches")
    attention_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="on attention weights")
    positional: Literal["sinusoidal", "learned"] = Field(
        "sinusoidal", description="positional encoding"
    )
    patch_size: int = Field(
        1, ge=1, le=4096, description="consecutive steps per token (1: one token per step)"
    )
    max_length: int = Field(512, ge=1, le=100_000, description="most tokens; at least the data's")
    norm: Norm = Field(
        "layer", description="layer: pre-norm encoder layers; none: no normalisation"
    )

    mutable: ClassVar[frozenset[str]] = frozenset({"dropout", "attention_dropout"})

    family_rules: ClassVar[list[Rule]] = [
        Rule(("heads", "d_model"), _heads_divide_model_dim),
        Rule(("max_length", "patch_size"), _sequence_fits),
        Rule(("norm",), _no_batch_norm),
    ]
