"""The diffusion model (``family: diffusion``) as a LightningModule: the denoiser of
lightning_modules.training.denoising (a small DDPM, logged as ``train_loss`` / ``val_loss``,
with ``sample`` for new images) under the supervised families' LightningModule."""

from __future__ import annotations

from lightning_modules.configs.diffusion import DiffusionConfig
from lightning_modules.models.supervised import SupervisedModule
from lightning_modules.training.denoising import DenoisingTask


class DiffusionModel(DenoisingTask, SupervisedModule):
    family = "diffusion"
    config_class = DiffusionConfig
