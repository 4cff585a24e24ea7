"""The diffusion model (``family: diffusion``): a small DDPM that learns to predict the noise
added to an image, logged as ``train_loss`` / ``val_loss`` (the denoising loss), and samples new
images by running the noising process backwards."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from lightning_modules.blocks.activations import make_activation
from lightning_modules.blocks.normalization import make_norm
from lightning_modules.configs.diffusion import DiffusionConfig
from lightning_modules.models.supervised import SupervisedModule

VALIDATION_SEED = 1234


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


class DiffusionModel(SupervisedModule):
    family = "diffusion"
    config_class = DiffusionConfig

    def build_network(self) -> nn.Module:
        betas = noise_schedule(self.config)
        self.register_buffer("betas", betas, persistent=False)
        self.register_buffer("alpha_bar", torch.cumprod(1 - betas, dim=0), persistent=False)
        return NoisePredictor(self.config, self.data_info.sample_shape[0])

    def forward(self, noisy: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        return self.network(noisy, steps)

    def denoising_loss(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The mean squared error of the predicted noise at a random step of each image."""
        steps = torch.randint(
            0, self.config.diffusion_steps, (len(images),), generator=generator
        ).to(images.device)
        noise = torch.randn(images.shape, generator=generator).to(images.device)
        keep = self.alpha_bar[steps].view(-1, *([1] * (images.dim() - 1)))
        noisy = keep.sqrt() * images + (1 - keep).sqrt() * noise
        return F.mse_loss(self(noisy, steps), noise)

    def _step(self, batch, stage: str) -> torch.Tensor:
        images, _ = batch
        loss = self.denoising_loss(images, None if stage == "train" else self._evaluation_draws)
        self._accumulate(stage, loss, images[:, :0], images.new_zeros(len(images)))
        return loss

    def _score(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return outputs.new_zeros(())  # a denoiser has no accuracy: only its loss is logged

    def _start_evaluation(self) -> None:
        # Validation and test draw the same steps and noise every epoch, so losses compare.
        self._evaluation_draws = torch.Generator().manual_seed(VALIDATION_SEED)

    def on_validation_epoch_start(self) -> None:
        self._start_evaluation()

    def on_test_epoch_start(self) -> None:
        self._start_evaluation()

    def _log_epoch(self, stage: str) -> None:
        totals = self._epoch_totals(stage)
        if totals is not None:
            loss_sum, _, count = totals.tolist()
            self.log(f"{stage}_loss", loss_sum / count)

    @torch.no_grad()
    def sample(self, count: int, temperature: float | None = None, seed: int = 0) -> torch.Tensor:
        """``count`` new images by ancestral sampling; ``temperature`` (default: the config's)
        scales the noise injected at every step (0: deterministic)."""
        temperature = self.config.sampling_temperature if temperature is None else temperature
        generator = torch.Generator().manual_seed(seed)
        shape = (count, *self.data_info.sample_shape)
        x = (torch.randn(shape, generator=generator) * temperature).to(self.betas.device)
        alphas = 1 - self.betas
        for t in reversed(range(self.config.diffusion_steps)):
            steps = torch.full((count,), t, device=x.device, dtype=torch.long)
            predicted = self(x, steps)
            x = (x - self.betas[t] / (1 - self.alpha_bar[t]).sqrt() * predicted) / alphas[t].sqrt()
            if t > 0:
                sigma = self.betas[t].sqrt()
                x = x + temperature * sigma * torch.randn(shape, generator=generator).to(x.device)
        return x
