"""Building blocks selected by name in a sweep file, one kind per module: activations,
normalisation layers, initialisation, optimizers, learning-rate schedules, losses and
regularisation. They read typed configs (``lightning_modules.configs``), never Tune dicts."""

__all__ = [
    "activations",
    "initialization",
    "losses",
    "normalization",
    "optimizers",
    "regularization",
    "schedules",
]
