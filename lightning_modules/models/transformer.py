"""The Transformer encoder (``family: transformer``) as a LightningModule: the network of
lightning_modules.networks.transformer, trained and scored as every supervised family is."""

from __future__ import annotations

from torch import nn

from lightning_modules.configs.transformer import TransformerConfig
from lightning_modules.models.supervised import SupervisedModule
from lightning_modules.networks import transformer


class TransformerClassifier(SupervisedModule):
    family = "transformer"
    config_class = TransformerConfig

    def build_network(self) -> nn.Module:
        return transformer.build(self.config, self.data_info, self.outputs)
