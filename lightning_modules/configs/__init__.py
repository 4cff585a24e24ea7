"""Typed, torch-free configurations of the model families and data sets.

Every field is a meta-parameter a sweep may fix (under ``model:`` / ``data:``) or search (under
``space:``). Unknown fields, out-of-range values and impossible combinations are rejected when
the sweep file is loaded.
"""

from lightning_modules.configs.blocks import BlockConfig
from lightning_modules.configs.cnn import CNNConfig
from lightning_modules.configs.data import (
    DataConfig,
    DigitsConfig,
    MNIST1DConfig,
    SyntheticConfig,
    TableConfig,
)
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.diffusion import DiffusionConfig
from lightning_modules.configs.mlp import MLPConfig
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.configs.rnn import RNNConfig
from lightning_modules.configs.training import TrainingConfig
from lightning_modules.configs.transformer import TransformerConfig

__all__ = [
    "BlockConfig",
    "CNNConfig",
    "DataConfig",
    "DataInfo",
    "DiffusionConfig",
    "DigitsConfig",
    "MLPConfig",
    "MNIST1DConfig",
    "NetworkConfig",
    "RNNConfig",
    "SyntheticConfig",
    "TableConfig",
    "TrainingConfig",
    "TransformerConfig",
]
