"""A seeded synthetic data set (``dataset: synthetic``) for tests and quick experiments:
Gaussian blobs around one random centre per class, or a noisy linear regression target."""

from __future__ import annotations

import numpy as np

from lightning_modules.configs.data import SyntheticConfig


def load_arrays(config: SyntheticConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = config.info().sample_shape
    if config.task == "classification":
        centres = rng.normal(size=(config.classes, *shape))
        labels = rng.integers(0, config.classes, size=config.samples)
        features = centres[labels] + config.noise * rng.normal(size=(config.samples, *shape))
        return features.astype("float32"), labels.astype("int64")
    features = rng.normal(size=(config.samples, *shape))
    weights = rng.normal(size=int(np.prod(shape)))
    targets = features.reshape(config.samples, -1) @ weights / np.sqrt(len(weights))
    targets += config.noise * rng.normal(size=config.samples)
    return features.astype("float32"), targets.astype("float32")
