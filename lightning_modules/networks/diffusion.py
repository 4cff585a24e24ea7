"""The diffusion network (``family: diffusion``): a small DDPM noise predictor (residual
convolution blocks told the diffusion step through a sinusoidal embedding), its noise schedule
and its denoising loss."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from lightning_modules.blocks.activations import make_activation
from lightning_modules.blocks.normalization import make_norm
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.diffusion import DiffusionConfig

# Validation and test draw their steps and noise from this seed every epoch, so losses compare.
EVALUATION_SEED = 1234


def noise_schedule(config: DiffusionConfig) -> torch.Tensor:
    """The per-step noise variances beta_1..beta_T."""
    steps = config.diffusion_steps
    if config.noise_schedule == "linear":
        return torch.linspace(config.beta_start, config.beta_end, steps)
    # Cosine schedule (Nichol & Dhariwal): alpha-bar follows a squared cosine.
    s = 0.008
    t = torch.linspace(0, steps, steps + 1) / steps
    alpha_bar = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(1e-5, 0.999)


def step_embedding(steps: torch.Tensor, dim: int) -> torch.Tensor:
    half = max(1, dim // 2)
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(half, device=steps.device) / half)
    angles = steps.float().unsqueeze(1) * frequencies.unsqueeze(0)
    return torch.cat([angles.sin(), angles.cos()], dim=1)[:, :dim]


class ResidualBlock(nn.Module):
    def __init__(self, config: DiffusionConfig):
        super().__init__()
        c = config.channels
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm1 = make_norm(config.norm, c, "conv2d")
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = make_norm(config.norm, c, "conv2d")
        self.step = nn.Linear(4 * c, c)
        self.activation = make_activation(config)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        h = self.activation(self.norm1(self.conv1(x)))
        h = h + self.step(embedding)[:, :, None, None]
        h = self.norm2(self.conv2(h))
        return self.activation(x + h)


class NoisePredictor(nn.Module):
    def __init__(self, config: DiffusionConfig, image_channels: int):
        super().__init__()
        c = config.channels
        self.embedding_dim = c
        self.step_mlp = nn.Sequential(
            nn.Linear(c, 4 * c), make_activation(config), nn.Linear(4 * c, 4 * c)
        )
        self.inlet = nn.Conv2d(image_channels, c, 3, padding=1)
        self.blocks = nn.ModuleList(ResidualBlock(config) for _ in range(config.blocks))
        self.outlet = nn.Conv2d(c, image_channels, 3, padding=1)

    def forward(self, x: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        embedding = self.step_mlp(step_embedding(steps, self.embedding_dim))
        h = self.inlet(x)
        for block in self.blocks:
            h = block(h, embedding)
        return self.outlet(h)


def build(config: DiffusionConfig, data: DataInfo, outputs: int) -> nn.Module:
    """The noise predictor for images shaped like ``data``'s (``outputs`` is unused: it predicts
    noise of the image's own shape)."""
    return NoisePredictor(config, data.sample_shape[0])


def denoising_loss(
    network: nn.Module,
    alpha_bar: torch.Tensor,
    images: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The mean squared error of the predicted noise at a random step of each image."""
    steps = torch.randint(0, len(alpha_bar), (len(images),), generator=generator).to(images.device)
    noise = torch.randn(images.shape, generator=generator).to(images.device)
    keep = alpha_bar[steps].view(-1, *([1] * (images.dim() - 1)))
    noisy = keep.sqrt() * images + (1 - keep).sqrt() * noise
    return F.mse_loss(network(noisy, steps), noise)
