"""Meta-parameters shared by every network family: activation, normalisation, initialisation."""

from typing import ClassVar, Literal

from pydantic import Field

from typed_config.base import ArgsModel
from typed_config.rules import Rule, knob_needs

Activation = Literal["relu", "leaky_relu", "relu_n", "tanh", "sigmoid", "gelu"]
Norm = Literal["none", "batch", "layer"]
Init = Literal[
    "default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "zeros"
]


class BlockConfig(ArgsModel):
    activation: Activation = Field("relu", description="after each hidden layer")
    leaky_alpha: float = Field(0.01, gt=0.0, lt=1.0, description="negative slope of leaky_relu")
    relu_n: float = Field(6.0, gt=0.0, le=1000.0, description="upper clip of relu_n (ReLU6 for 6)")
    norm: Norm = Field("none", description="normalisation after each hidden layer")
    init: Init = Field("default", description="weight initialisation (biases start at zero)")

    block_rules: ClassVar[list[Rule]] = [
        knob_needs("leaky_alpha", "activation", ("leaky_relu",)),
        knob_needs("relu_n", "activation", ("relu_n",)),
    ]
