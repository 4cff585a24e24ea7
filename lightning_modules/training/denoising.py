"""What the diffusion family trains, in plain torch: a small DDPM (lightning_modules.networks.diffusion)
that learns to predict the noise added to an image, logged as ``train_loss`` / ``val_loss`` (the
denoising loss), and samples new images by running the noising process backwards. Everything
else (optimizer, schedule, clipping, restores) is the supervised families' (``SupervisedTask``)."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.configs.diffusion import DiffusionConfig
from lightning_modules.networks import diffusion
from lightning_modules.networks.diffusion import noise_schedule
from lightning_modules.training.supervised import SupervisedTask


class DenoisingTask(SupervisedTask):
    family = "diffusion"
    config: DiffusionConfig  # the registry's config class of the family
    # The noise schedule, registered as buffers by build_network.
    betas: torch.Tensor
    alpha_bar: torch.Tensor
    # forward (SupervisedTask's) takes the noisy images and their steps (see latency_inputs).

    def build_network(self) -> nn.Module:
        betas = noise_schedule(self.config)
        self.register_buffer("betas", betas, persistent=False)
        self.register_buffer("alpha_bar", torch.cumprod(1 - betas, dim=0), persistent=False)
        return diffusion.build(self.config, self.data_info, self.outputs)

    def latency_inputs(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """One denoising step of each image (the step a sampler takes diffusion_steps times)."""
        images = batch[0]
        return images, torch.zeros(len(images), dtype=torch.long, device=images.device)

    def denoising_loss(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The mean squared error of the predicted noise at a random step of each image."""
        return diffusion.denoising_loss(self.network, self.alpha_bar, images, generator)

    def _step(self, batch, stage: str) -> torch.Tensor:
        images, _ = batch
        loss = self.denoising_loss(images, None if stage == "train" else self._evaluation_draws)
        self._accumulate(stage, loss, images[:, :0], images.new_zeros(len(images)))
        return loss

    def _score(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return outputs.new_zeros(())  # a denoiser has no accuracy: only its loss is logged

    def _start_evaluation(self) -> None:
        self._evaluation_draws = torch.Generator().manual_seed(diffusion.EVALUATION_SEED)

    def on_validation_epoch_start(self) -> None:
        self._start_evaluation()

    def on_test_epoch_start(self) -> None:
        self._start_evaluation()

    def _log_epoch(self, stage: str) -> None:
        totals = self._epoch_totals(stage)
        if totals is not None:
            loss_sum, _, count = totals.tolist()
            self.record_metrics({f"{stage}_loss": loss_sum / count})

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
