"""Typed, torch-free configurations of the model families and data sets.

Every field is a meta-parameter a sweep may fix (under ``model:`` / ``data:``) or search (under
``space:``). Unknown fields and out-of-range values are rejected when the sweep file is loaded.
"""

from lightning_modules.configs.base import ArgsModel
from lightning_modules.configs.digits import DigitsConfig
from lightning_modules.configs.mlp import MLPConfig

__all__ = ["ArgsModel", "DigitsConfig", "MLPConfig"]
