"""What every data set's splits share: arrays loaded once per process, seeded (stratified)
splits, and normalisation fitted on the training split only.

The arrays come from a *source*: anything with ``load_arrays(config, seed)`` giving all the
samples as a float array shaped (samples, *config.info().sample_shape) and their labels (class
indices, or float targets for regression): a module of lightning_modules.data.sources, or the
data module that names one. Nothing here imports Lightning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lightning_modules.configs.data import DataConfig
from lightning_modules.data.splitting import holdout_split, kfold_part

EVAL_BATCH = 1024


@dataclass(frozen=True)
class Splits:
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def split_indices(
    labels: np.ndarray, config: DataConfig, seed: int, stratify: bool, fold: int = 0
) -> tuple[np.ndarray, ...]:
    """(train, validation, test) row indices. The test rows are taken first and are the same for
    every fold; k-fold validation then splits the remaining rows into ``config.folds`` parts and
    validates fold ``fold`` on part ``fold``, training on the others."""
    everything = np.arange(len(labels))
    strata = labels if stratify else None
    if config.validation == "kfold":
        rest, test = everything, everything[:0]
        if config.test_fraction > 0:
            rest, test = holdout_split(everything, config.test_fraction, seed, strata)
        part_strata = None if strata is None else strata[rest]
        train, val = kfold_part(len(rest), config.folds, fold, seed, part_strata)
        return rest[train], rest[val], test
    held_out = config.val_fraction + config.test_fraction
    train, rest = holdout_split(everything, held_out, seed, strata)
    if config.test_fraction == 0:
        return train, rest, rest[:0]
    rest_strata = None if strata is None else strata[rest]
    val, test = holdout_split(rest, config.test_fraction / held_out, seed, rest_strata)
    return train, val, test


def _rows(x: np.ndarray) -> np.ndarray:
    """One row of features per sample (an explicit width, so that empty splits reshape too)."""
    return x.reshape(len(x), int(np.prod(x.shape[1:])))


def normalizer(train: np.ndarray, config: DataConfig):
    """A function normalising arrays with statistics of the training rows (per feature)."""
    flat = _rows(train)
    if config.normalize == "zscore":
        mean, std = flat.mean(axis=0), flat.std(axis=0)
        std[std == 0] = 1.0  # constant features stay at zero instead of becoming NaN
        return lambda x: ((_rows(x) - mean) / std).reshape(x.shape)
    if config.normalize == "minmax":
        low, high = flat.min(axis=0), flat.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        a, b = config.minmax_low, config.minmax_high
        return lambda x: (a + (_rows(x) - low) / span * (b - a)).reshape(x.shape)
    return lambda x: x


_ARRAYS: dict[tuple[Any, str, int], tuple[np.ndarray, np.ndarray]] = {}
_ARRAYS_KEPT = 4
_SPLITS: dict[tuple[Any, str, int, int], Splits] = {}
_SPLITS_KEPT = 24  # room for every fold of a few data configurations


def _remember(cache: dict, key: Any, kept: int, make: Any) -> Any:
    if key not in cache:
        if len(cache) >= kept:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


def cached_splits(source: Any, config: DataConfig, seed: int, fold: int = 0) -> Splits:
    """The splits of one data set (and fold), built once per process from ``source``'s arrays,
    which are loaded once for all folds. Keyed by the config's JSON, which also covers configs
    holding lists, such as a table's feature columns."""
    data_key = (source, config.model_dump_json(), seed)
    arrays: tuple[np.ndarray, np.ndarray] = _remember(
        _ARRAYS, data_key, _ARRAYS_KEPT, lambda: source.load_arrays(config, seed)
    )
    return _remember(
        _SPLITS, (*data_key, fold), _SPLITS_KEPT, lambda: _build_splits(*arrays, config, seed, fold)
    )


def _build_splits(
    features: np.ndarray, labels: np.ndarray, config: DataConfig, seed: int, fold: int
) -> Splits:
    classification = config.info().num_classes is not None
    train, val, test = split_indices(labels, config, seed, stratify=classification, fold=fold)
    normalize = normalizer(features[train], config)

    def tensors(index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.as_tensor(np.ascontiguousarray(normalize(features[index])), dtype=torch.float32)
        y = torch.as_tensor(labels[index], dtype=torch.long if classification else torch.float32)
        return x, y

    return Splits(*tensors(train), *tensors(val), *tensors(test))
