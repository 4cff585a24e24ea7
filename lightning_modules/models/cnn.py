"""The convolutional network (``family: cnn``) as a LightningModule: the network of
lightning_modules.networks.cnn, trained and scored as every supervised family is."""

from __future__ import annotations

from torch import nn

from lightning_modules.configs.cnn import CNNConfig
from lightning_modules.models.supervised import SupervisedModule
from lightning_modules.networks import cnn


class CNNClassifier(SupervisedModule):
    family = "cnn"
    config_class = CNNConfig

    def build_network(self) -> nn.Module:
        return cnn.build(self.config, self.data_info, self.outputs)
