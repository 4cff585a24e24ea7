"""Meta-parameters of the MLP classifier (``family: mlp``)."""

from typing import Literal

from pydantic import Field

from lightning_modules.configs.base import ArgsModel

Activation = Literal["relu", "leaky_relu", "tanh", "sigmoid", "gelu"]
Optimizer = Literal["adam", "sgd"]


class MLPConfig(ArgsModel):
    """A stack of ``depth`` hidden layers of ``width`` units, each followed by the activation and
    dropout, then a linear layer to the classes. Optimizer settings live here too because the
    LightningModule owns ``configure_optimizers``."""

    depth: int = Field(2, ge=0, le=32, description="hidden layers (0: a linear model)")
    width: int = Field(128, ge=1, le=8192, description="units per hidden layer")
    activation: Activation = "relu"
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each hidden layer")
    optimizer: Optimizer = "adam"
    lr: float = Field(1e-3, gt=0.0, le=10.0, description="learning rate")
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="SGD momentum (ignored by adam)")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty")
    batch_size: int = Field(64, ge=1, le=65536)

