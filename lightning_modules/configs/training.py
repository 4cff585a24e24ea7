"""Meta-parameters of training shared by every family: optimizer, learning-rate schedule, loss,
regularisation, batch size and early stopping."""

from typing import Any, ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.data_info import DataInfo
from typed_config.base import ArgsModel
from typed_config.rules import Rule, knob_needs

Optimizer = Literal["sgd", "rmsprop", "adam", "adamw"]
Schedule = Literal["none", "step", "cosine", "warmup_cosine", "plateau"]
Loss = Literal["cross_entropy", "bce", "mse"]
GradClip = Literal["none", "norm", "value"]


def _nesterov_needs_momentum(
    values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    if values["nesterov"] and values["momentum"] <= 0:
        return "nesterov needs momentum > 0"
    return None


def _loss_fits_task(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
    if data is None:
        return None
    loss = values["loss"]
    if data.task == "regression" and loss != "mse":
        return f"loss {loss!r} needs class labels; this data is a regression target: use mse"
    if loss == "bce" and data.num_classes != 2:
        return f"loss 'bce' is for two classes; this data has {data.num_classes}: use cross_entropy"
    return None


class TrainingConfig(ArgsModel):
    optimizer: Optimizer = Field(
        "adam", description="sgd (with momentum, nesterov), rmsprop, adam, adamw"
    )
    lr: float = Field(1e-3, gt=0.0, le=10.0, description="learning rate")
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="sgd and rmsprop")
    nesterov: bool = Field(False, description="sgd with momentum")
    beta1: float = Field(0.9, ge=0.0, lt=1.0, description="adam and adamw")
    beta2: float = Field(0.999, ge=0.0, lt=1.0, description="adam and adamw")
    eps: float = Field(1e-8, gt=0.0, le=1.0, description="adam, adamw and rmsprop")
    alpha: float = Field(0.99, gt=0.0, lt=1.0, description="rmsprop smoothing")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty (decoupled for adamw)")
    l1: float = Field(
        0.0, ge=0.0, le=1.0, description="L1 penalty on the weights, added to the loss"
    )
    grad_clip: GradClip = Field(
        "none", description="clip each step's gradients by their total norm or by value"
    )
    grad_clip_value: float = Field(1.0, gt=0.0, le=1e6, description="the norm or value bound")
    schedule: Schedule = Field("none", description="learning-rate schedule, stepped every epoch")
    step_size: int = Field(10, ge=1, le=100_000, description="epochs between step decays")
    gamma: float = Field(0.1, gt=0.0, le=1.0, description="step decay factor")
    warmup_epochs: int = Field(2, ge=1, le=100_000, description="linear warm-up before cosine")
    plateau_patience: int = Field(3, ge=0, le=100_000, description="epochs without improvement")
    plateau_factor: float = Field(
        0.1, gt=0.0, lt=1.0, description="plateau: factor applied to the rate"
    )
    loss: Loss = Field("cross_entropy", description="bce: two classes only; regression data: mse")
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0, description="cross_entropy only")
    batch_size: int = Field(64, ge=1, le=65536, description="training batch size")
    early_stopping_patience: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="stop a trial after this many epochs without improvement",
    )

    mutable: ClassVar[frozenset[str]] = frozenset(
        {
            "lr",
            "momentum",
            "nesterov",
            "beta1",
            "beta2",
            "eps",
            "alpha",
            "weight_decay",
            "l1",
            "grad_clip_value",
            "label_smoothing",
            "batch_size",
        }
    )

    training_rules: ClassVar[list[Rule]] = [
        knob_needs("momentum", "optimizer", ("sgd", "rmsprop")),
        knob_needs("nesterov", "optimizer", ("sgd",)),
        Rule(("nesterov", "momentum"), _nesterov_needs_momentum),
        knob_needs("beta1", "optimizer", ("adam", "adamw")),
        knob_needs("beta2", "optimizer", ("adam", "adamw")),
        knob_needs("eps", "optimizer", ("adam", "adamw", "rmsprop")),
        knob_needs("alpha", "optimizer", ("rmsprop",)),
        knob_needs("grad_clip_value", "grad_clip", ("norm", "value")),
        knob_needs("step_size", "schedule", ("step",)),
        knob_needs("gamma", "schedule", ("step",)),
        knob_needs("warmup_epochs", "schedule", ("warmup_cosine",)),
        knob_needs("plateau_patience", "schedule", ("plateau",)),
        knob_needs("plateau_factor", "schedule", ("plateau",)),
        knob_needs("label_smoothing", "loss", ("cross_entropy",)),
        Rule(("loss",), _loss_fits_task),
    ]
