"""The Transformer encoder (``family: transformer``) as a LightningModule: the network of
lightning_modules.networks.transformer, trained and scored as every supervised family is
(lightning_modules.training.supervised)."""

from __future__ import annotations

from lightning_modules.configs.transformer import TransformerConfig
from lightning_modules.models.supervised import SupervisedModule


class TransformerClassifier(SupervisedModule):
    family = "transformer"
    config_class = TransformerConfig
