"""Meta-parameters of the recurrent classifier (``family: rnn``): LSTM or GRU over a sequence."""

from typing import ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.network import NetworkConfig
from typed_config.rules import Rule


class RNNConfig(NetworkConfig):
    """A stack of ``layers`` recurrent layers (``cell``: lstm or gru) of ``hidden_size`` units,
    optionally bidirectional; the last step's output (both directions) goes through dropout to a
    linear head. Vectors are read as sequences of one feature per step, images row by row."""

    cell: Literal["lstm", "gru"] = Field("lstm", description="recurrent cell")
    layers: int = Field(1, ge=1, le=8, description="stacked recurrent layers")
    hidden_size: int = Field(64, ge=1, le=4096, description="units per layer and direction")
    bidirectional: bool = Field(False, description="read the sequence both ways")
    dropout: float = Field(
        0.0, ge=0.0, lt=1.0, description="between recurrent layers and before the head"
    )

    mutable: ClassVar[frozenset[str]] = frozenset({"dropout"})

    family_rules: ClassVar[list[Rule]] = []
