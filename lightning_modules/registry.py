"""The names a sweep file may use for model families and data sets, and where their code lives.

Implementation modules are imported lazily (they import torch); the configurations are not, so
validating a sweep never loads torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from lightning_modules.configs import ArgsModel, DigitsConfig, MLPConfig


@dataclass(frozen=True)
class ModelFamily:
    name: str
    config: type[ArgsModel]
    implementation: str  # "package.module:ClassName" of the LightningModule
    metrics: tuple[str, ...]  # what the module logs every epoch, as reported to Tune

    def module_class(self) -> Any:
        return _load(self.implementation)


@dataclass(frozen=True)
class Dataset:
    name: str
    config: type[ArgsModel]
    implementation: str  # "package.module:ClassName" of the LightningDataModule

    def datamodule_class(self) -> Any:
        return _load(self.implementation)


_CLASSIFIER_METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")

MODEL_FAMILIES: dict[str, ModelFamily] = {
    "mlp": ModelFamily("mlp", MLPConfig, "lightning_modules.mlp:MLPClassifier", _CLASSIFIER_METRICS),
}

DATASETS: dict[str, Dataset] = {
    "digits": Dataset("digits", DigitsConfig, "lightning_modules.digits:DigitsDataModule"),
}


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
