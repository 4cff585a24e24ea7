"""The recurrent network (``family: rnn``) as a LightningModule: the network of
lightning_modules.networks.rnn, trained and scored as every supervised family is."""

from __future__ import annotations

from torch import nn

from lightning_modules.configs.rnn import RNNConfig
from lightning_modules.models.supervised import SupervisedModule
from lightning_modules.networks import rnn


class RNNClassifier(SupervisedModule):
    family = "rnn"
    config_class = RNNConfig

    def build_network(self) -> nn.Module:
        return rnn.build(self.config, self.data_info, self.outputs)
