"""The same model as a tunable blueprint (Keras Tuner style): the sweep runs build(hp) to find the
space, then once per trial with the trial's values."""

from __future__ import annotations

from my_project.data import Digits
from my_project.models import Classifier


def build(hp):
    layers = hp.Int("layers", 1, 3)
    model = Classifier(
        layers=layers,
        hidden=hp.Int("hidden", 32, 256, step=32),
        dropout=hp.Float("dropout", 0.0, 0.5, step=0.1),
        lr=hp.Float("lr", 1e-4, 1e-2, sampling="log"),
        # Warm-up is searched only where it is switched on.
        warmup_steps=hp.Int("warmup_steps", 10, 100, step=10) if hp.Boolean("warmup") else 0,
    )
    return model, Digits(batch_size=hp.Choice("batch_size", [32, 64, 128]))
