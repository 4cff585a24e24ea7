"""The names a sweep file may use for model families and data sets, and where their code lives.

Implementation modules are imported lazily (they import torch); the configurations are not, so
validating a sweep never loads torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from lightning_modules.configs import (
    CNNConfig,
    DataConfig,
    DataInfo,
    DiffusionConfig,
    DigitsConfig,
    MLPConfig,
    MNIST1DConfig,
    NetworkConfig,
    RNNConfig,
    SyntheticConfig,
    TableConfig,
    TransformerConfig,
)

CLASSIFICATION_METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
REGRESSION_METRICS = ("train_loss", "train_mae", "val_loss", "val_mae")
DENOISING_METRICS = ("train_loss", "val_loss")


@dataclass(frozen=True)
class ModelFamily:
    name: str
    config: type[NetworkConfig]
    implementation: str  # "package.module:ClassName" of the LightningModule
    network: str  # "package.module:build" of its network in plain torch (no Lightning)
    generative: bool = False  # logs a denoising loss, not predictions of the labels

    def module_class(self) -> Any:
        return _load(self.implementation)

    def training_class(self) -> Any:
        """The family's training in plain torch (lightning_modules.training), which its
        LightningModule is under Lightning's base: what the sweep's lean loop trains."""
        if self.generative:
            return _load("lightning_modules.training.denoising:DenoisingTask")
        return _load("lightning_modules.training.supervised:SupervisedTask")

    def network_builder(self) -> Any:
        """``build(config, data, outputs)``: the network the LightningModule trains."""
        return _load(self.network)

    def metrics(self, data: DataInfo) -> tuple[str, ...]:
        """What the module logs every epoch on this data (what Tune receives)."""
        if self.generative:
            return DENOISING_METRICS
        return CLASSIFICATION_METRICS if data.task == "classification" else REGRESSION_METRICS


@dataclass(frozen=True)
class Dataset:
    name: str
    config: type[DataConfig]
    implementation: str  # "package.module:ClassName" of the LightningDataModule
    source: str  # the module whose load_arrays(config, seed) gives its samples (no Lightning)

    def datamodule_class(self) -> Any:
        return _load(self.implementation)

    def arrays_source(self) -> Any:
        return importlib.import_module(self.source)


MODEL_FAMILIES: dict[str, ModelFamily] = {
    "mlp": ModelFamily(
        "mlp",
        MLPConfig,
        "lightning_modules.models.mlp:MLPClassifier",
        "lightning_modules.networks.mlp:build",
    ),
    "cnn": ModelFamily(
        "cnn",
        CNNConfig,
        "lightning_modules.models.cnn:CNNClassifier",
        "lightning_modules.networks.cnn:build",
    ),
    "rnn": ModelFamily(
        "rnn",
        RNNConfig,
        "lightning_modules.models.rnn:RNNClassifier",
        "lightning_modules.networks.rnn:build",
    ),
    "transformer": ModelFamily(
        "transformer",
        TransformerConfig,
        "lightning_modules.models.transformer:TransformerClassifier",
        "lightning_modules.networks.transformer:build",
    ),
    "diffusion": ModelFamily(
        "diffusion",
        DiffusionConfig,
        "lightning_modules.models.diffusion:DiffusionModel",
        "lightning_modules.networks.diffusion:build",
        generative=True,
    ),
}

DATASETS: dict[str, Dataset] = {
    "digits": Dataset(
        "digits",
        DigitsConfig,
        "lightning_modules.data.digits:DigitsDataModule",
        "lightning_modules.data.sources.digits",
    ),
    "mnist1d": Dataset(
        "mnist1d",
        MNIST1DConfig,
        "lightning_modules.data.mnist1d:MNIST1DDataModule",
        "lightning_modules.data.sources.mnist1d",
    ),
    "synthetic": Dataset(
        "synthetic",
        SyntheticConfig,
        "lightning_modules.data.synthetic:SyntheticDataModule",
        "lightning_modules.data.sources.synthetic",
    ),
    "table": Dataset(
        "table",
        TableConfig,
        "lightning_modules.data.table:TableDataModule",
        "lightning_modules.data.sources.table",
    ),
}


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
