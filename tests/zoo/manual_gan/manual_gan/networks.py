"""The two players: a generator from latent noise to points, and a discriminator from points to
a logit saying how real a point looks."""

from __future__ import annotations

from torch import nn


class Generator(nn.Module):
    def __init__(self, latent_dim: int = 4, hidden: int = 64, out_dim: int = 2):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, z):
        return self.model(z)


class Discriminator(nn.Module):
    def __init__(self, in_dim: int = 2, hidden: int = 64):
        super().__init__()
        # No sigmoid at the end: the loss takes logits, which is the numerically stable form.
        self.model = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.model(x)
