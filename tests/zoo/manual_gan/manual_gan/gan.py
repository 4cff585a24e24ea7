"""The LightningModule: both networks, their two optimizers, and the alternating updates done by
hand (``automatic_optimization = False``).

Each backward pass reaches only one network's parameters (the other's are toggled off), so under
DDP the strategy has to look for unused parameters: ``strategy="ddp_find_unused_parameters_true"``.
"""

from __future__ import annotations

import lightning.pytorch as L
import torch
import torch.nn.functional as F

from manual_gan.networks import Discriminator, Generator


def rbf_mmd(x: torch.Tensor, y: torch.Tensor, bandwidths=(0.1, 0.3, 1.0, 3.0)) -> torch.Tensor:
    """Squared maximum mean discrepancy between two samples under a sum of Gaussian kernels:
    near zero when the samples come from the same distribution."""
    points = torch.cat([x, y])
    distances = torch.cdist(points, points).pow(2)
    kernel = sum(torch.exp(-distances / (2 * width**2)) for width in bandwidths)
    n = len(x)
    return kernel[:n, :n].mean() + kernel[n:, n:].mean() - 2 * kernel[:n, n:].mean()


class GAN(L.LightningModule):
    """Args:
    latent_dim: size of the generator's noise input
    hidden: units per hidden layer of both networks
    lr: learning rate of both Adam optimizers
    b1: Adam's first-moment decay (0.5 is the usual choice for GANs)
    b2: Adam's second-moment decay
    """

    def __init__(
        self,
        latent_dim: int = 4,
        hidden: int = 64,
        lr: float = 1e-3,
        b1: float = 0.5,
        b2: float = 0.999,
    ):
        super().__init__()
        self.save_hyperparameters()
        # Two optimizers stepped in turn: Lightning leaves the loop to training_step.
        self.automatic_optimization = False
        self.generator = Generator(latent_dim=latent_dim, hidden=hidden)
        self.discriminator = Discriminator(hidden=hidden)

    def forward(self, z):
        return self.generator(z)

    @staticmethod
    def adversarial_loss(logits, real: bool):
        target = torch.ones_like(logits) if real else torch.zeros_like(logits)
        return F.binary_cross_entropy_with_logits(logits, target)

    def training_step(self, batch, batch_idx):
        (real,) = batch
        optimizer_g, optimizer_d = self.optimizers()
        z = torch.randn(real.size(0), self.hparams.latent_dim).type_as(real)

        # Generator: make the discriminator take its samples for real ones. Toggling leaves only
        # the generator's parameters requiring gradients for this backward pass.
        self.toggle_optimizer(optimizer_g)
        fake = self(z)
        g_loss = self.adversarial_loss(self.discriminator(fake), real=True)
        self.manual_backward(g_loss)
        optimizer_g.step()
        optimizer_g.zero_grad()
        self.untoggle_optimizer(optimizer_g)

        # Discriminator: tell the real points from the generated ones (detached, so that this
        # step does not reach back into the generator).
        self.toggle_optimizer(optimizer_d)
        fake = fake.detach()
        real_loss = self.adversarial_loss(self.discriminator(real), real=True)
        fake_loss = self.adversarial_loss(self.discriminator(fake), real=False)
        d_loss = (real_loss + fake_loss) / 2
        self.manual_backward(d_loss)
        optimizer_d.step()
        optimizer_d.zero_grad()
        self.untoggle_optimizer(optimizer_d)

        self.log("g_loss", g_loss, prog_bar=True, on_step=True, on_epoch=True)
        self.log("d_loss", d_loss, prog_bar=True, on_step=True, on_epoch=True)
        # How far the generated points are from the data: the number to watch, as the two
        # losses say little about quality on their own.
        self.log("mmd", rbf_mmd(real, fake), on_step=False, on_epoch=True, sync_dist=True)

    def configure_optimizers(self):
        betas = (self.hparams.b1, self.hparams.b2)
        optimizer_g = torch.optim.Adam(self.generator.parameters(), lr=self.hparams.lr, betas=betas)
        optimizer_d = torch.optim.Adam(
            self.discriminator.parameters(), lr=self.hparams.lr, betas=betas
        )
        return [optimizer_g, optimizer_d]
