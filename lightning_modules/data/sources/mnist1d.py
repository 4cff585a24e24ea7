"""The MNIST-1D data set: 10 classes of 40-step signals, generated on this machine by the
``mnist1d`` package's own generator (``make_dataset``); its download path is never used."""

from __future__ import annotations

import numpy as np

from lightning_modules.configs.data import MNIST1DConfig


def load_arrays(config: MNIST1DConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # Imported here: the MNIST-1D generator loads only to make that data set.
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = config.num_samples
    args.seed = seed
    state = np.random.get_state()  # make_dataset seeds NumPy's global generator
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)
    features = np.concatenate([data["x"], data["x_test"]]).astype("float32")
    labels = np.concatenate([data["y"], data["y_test"]]).astype("int64")
    return features.reshape(len(features), 40, 1), labels
