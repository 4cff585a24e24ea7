"""Meta-parameters of the convolutional classifier (``family: cnn``): 1-D convolutions over
sequences and vectors, 2-D over images, chosen by the data."""

from typing import Any, ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.network import NetworkConfig
from typed_config.rules import Rule, knob_needs


def spatial_sizes(values: dict[str, Any], size: int) -> list[int]:
    """The spatial size after each conv layer (padding keeps it, stride divides it) and pooling."""
    sizes = []
    for _ in range(values["conv_layers"]):
        size = (size + values["stride"] - 1) // values["stride"]
        if values["pool"] != "none":
            size //= values["pool_size"]
        sizes.append(size)
    return sizes


def _input_side(data: DataInfo) -> int:
    if data.kind == "image":
        return min(data.sample_shape[1:])
    return data.sample_shape[0]  # a sequence's length, or a vector's features as a 1-D signal


def _fits_the_input(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
    if data is None:
        return None
    side = _input_side(data)
    if values["kernel_size"] > side:
        return f"kernel_size {values['kernel_size']} is larger than the input ({side})"
    before = side
    for layer, after in enumerate(spatial_sizes(values, side), start=1):
        if after < 1:
            return (
                f"conv layer {layer} gets an input of size {before}, which stride {values['stride']} "
                f"and pooling {values['pool']}/{values['pool_size']} reduce to nothing: use fewer conv_layers"
            )
        before = after
    return None


class CNNConfig(NetworkConfig):
    """``conv_layers`` blocks of convolution ("same" padding, then ``stride``), normalisation,
    activation and optional pooling; channels start at ``channels`` and grow by
    ``channel_multiplier`` per block; then global average pooling, dropout and a linear head."""

    conv_layers: int = Field(2, ge=1, le=16, description="convolution blocks")
    channels: int = Field(16, ge=1, le=1024, description="feature maps of the first conv layer")
    channel_multiplier: float = Field(
        2.0, ge=1.0, le=4.0, description="growth of feature maps per layer"
    )
    kernel_size: int = Field(3, ge=1, le=64, description="no larger than the input")
    stride: int = Field(1, ge=1, le=8, description="of every convolution")
    pool: Literal["none", "max", "avg"] = Field("max", description="pooling after each block")
    pool_size: int = Field(2, ge=2, le=8, description="pooling window and stride")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="before the linear head")

    mutable: ClassVar[frozenset[str]] = frozenset({"dropout"})

    family_rules: ClassVar[list[Rule]] = [
        knob_needs("pool_size", "pool", ("max", "avg")),
        Rule(("kernel_size", "conv_layers", "stride", "pool", "pool_size"), _fits_the_input),
    ]

    def layer_channels(self) -> list[int]:
        return [
            max(1, round(self.channels * self.channel_multiplier**i))
            for i in range(self.conv_layers)
        ]
