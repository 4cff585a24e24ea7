"""The digits data set: scikit-learn's bundled 8x8 handwritten digits (no download), as flat
vectors, 1x8x8 images or sequences of 8 rows."""

from __future__ import annotations

import numpy as np

from lightning_modules.configs.data import DigitsConfig


def load_arrays(config: DigitsConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # Imported here: scikit-learn and numpy load only where data is made, not with this module.
    from sklearn.datasets import load_digits

    features, labels = load_digits(return_X_y=True)
    return features.astype("float32").reshape(len(features), *config.info().sample_shape), labels
