"""The MLP (``family: mlp``) as a LightningModule: the network of
lightning_modules.networks.mlp, trained and scored as every supervised family is
(lightning_modules.training.supervised)."""

from __future__ import annotations

from lightning_modules.configs.mlp import MLPConfig
from lightning_modules.models.supervised import SupervisedModule


class MLPClassifier(SupervisedModule):
    family = "mlp"
    config_class = MLPConfig
