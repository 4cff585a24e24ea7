"""The digits data set: scikit-learn's bundled 8x8 handwritten digits (no download), as flat
vectors, 1x8x8 images or sequences of 8 rows.

The samples are read from the file scikit-learn ships them in, found without importing
scikit-learn (which costs a trial process more than a second); where that file is not where
scikit-learn has always kept it, ``sklearn.datasets.load_digits`` reads them instead."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from lightning_modules.configs.data import DigitsConfig


def load_arrays(config: DigitsConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    features, labels = bundled_digits()
    return features.astype("float32").reshape(len(features), *config.info().sample_shape), labels


def bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """Every sample's 64 pixels and its label, as ``load_digits(return_X_y=True)`` gives them."""
    file = _bundled_file()
    if file is None:
        from sklearn.datasets import load_digits

        return load_digits(return_X_y=True)
    table = np.loadtxt(file, delimiter=",")
    return table[:, :-1], table[:, -1].astype(int)


def _bundled_file() -> Path | None:
    spec = importlib.util.find_spec("sklearn")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    file = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    return file if file.is_file() else None
