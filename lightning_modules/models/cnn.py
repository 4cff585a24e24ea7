"""The convolutional network (``family: cnn``) as a LightningModule: the network of
lightning_modules.networks.cnn, trained and scored as every supervised family is
(lightning_modules.training.supervised)."""

from __future__ import annotations

from lightning_modules.configs.cnn import CNNConfig
from lightning_modules.models.supervised import SupervisedModule


class CNNClassifier(SupervisedModule):
    family = "cnn"
    config_class = CNNConfig
