"""The MLP (``family: mlp``) as a LightningModule: the network of
lightning_modules.networks.mlp, trained and scored as every supervised family is."""

from __future__ import annotations

from torch import nn

from lightning_modules.configs.mlp import MLPConfig
from lightning_modules.models.supervised import SupervisedModule
from lightning_modules.networks import mlp


class MLPClassifier(SupervisedModule):
    family = "mlp"
    config_class = MLPConfig

    def build_network(self) -> nn.Module:
        return mlp.build(self.config, self.data_info, self.outputs)
