"""The recurrent network (``family: rnn``) as a LightningModule: the network of
lightning_modules.networks.rnn, trained and scored as every supervised family is
(lightning_modules.training.supervised)."""

from __future__ import annotations

from lightning_modules.configs.rnn import RNNConfig
from lightning_modules.models.supervised import SupervisedModule


class RNNClassifier(SupervisedModule):
    family = "rnn"
    config_class = RNNConfig
