"""Meta-parameters of the small diffusion model (``family: diffusion``): a DDPM on images."""

from typing import Any, ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.network import NetworkConfig
from typed_config.rules import Rule, knob_needs


def _no_classifier_loss(
    values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    if "loss" in given:
        return (
            "diffusion learns by denoising (mean squared error on the noise); loss does not apply"
        )
    return None


def _betas_rise(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
    if values["beta_start"] >= values["beta_end"]:
        return f"beta_start {values['beta_start']:g} must be below beta_end {values['beta_end']:g}"
    return None


class DiffusionConfig(NetworkConfig):
    """A denoising diffusion model (DDPM) on images: ``blocks`` residual convolution blocks of
    ``channels`` feature maps, told the diffusion step through a sinusoidal embedding, predict
    the noise added at a random one of ``diffusion_steps`` steps (``noise_schedule`` linear from
    ``beta_start`` to ``beta_end``, or cosine). Its metric is the validation denoising loss;
    ``sampling_temperature`` scales the noise when generating."""

    channels: int = Field(32, ge=1, le=512, description="feature maps of every block")
    blocks: int = Field(2, ge=1, le=12, description="residual convolution blocks")
    diffusion_steps: int = Field(100, ge=2, le=4000, description="noising steps T")
    noise_schedule: Literal["linear", "cosine"] = Field(
        "linear", description="how the noise grows over the steps"
    )
    beta_start: float = Field(
        1e-4, gt=0.0, lt=1.0, description="linear: noise variance at the first step"
    )
    beta_end: float = Field(
        0.02, gt=0.0, lt=1.0, description="linear: noise variance at the last step"
    )
    sampling_temperature: float = Field(
        1.0, ge=0.0, le=2.0, description="scale of the noise when sampling"
    )

    data_kinds: ClassVar[tuple[str, ...]] = ("image",)
    mutable: ClassVar[frozenset[str]] = frozenset({"sampling_temperature"})

    family_rules: ClassVar[list[Rule]] = [
        Rule(("loss",), _no_classifier_loss),
        knob_needs("beta_start", "noise_schedule", ("linear",)),
        knob_needs("beta_end", "noise_schedule", ("linear",)),
        Rule(("beta_start", "beta_end"), _betas_rise),
    ]
