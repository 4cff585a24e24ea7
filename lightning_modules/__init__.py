"""LightningModules with configurable architectures, and the data modules they train on.

Each model family and data set has a typed configuration in ``lightning_modules.configs`` (no
torch import, so sweep files validate quickly) and an implementation module that does import
torch. ``lightning_modules.registry`` maps the names a sweep file may use to both.
"""

__all__ = [
    "arrays",
    "augmentation",
    "batches",
    "blocks",
    "checkpoint",
    "cnn",
    "configs",
    "diffusion",
    "digits",
    "evaluation",
    "layouts",
    "logged_metrics",
    "mlp",
    "mnist1d",
    "registry",
    "rnn",
    "supervised",
    "synthetic",
    "table",
    "tables",
    "transformer",
]
