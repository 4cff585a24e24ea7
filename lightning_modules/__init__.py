"""LightningModules with configurable architectures (``models/``, each training a plain-torch
network of ``networks/`` as ``training/`` trains it, without Lightning), and the data modules
they train on (``data/``, each reading a source of ``data/sources/``).

Each model family and data set has a typed configuration in ``lightning_modules.configs`` (no
torch import, so sweep files validate quickly) and an implementation module that does import
torch. ``lightning_modules.registry`` maps the names a sweep file may use to both.
"""

__all__ = [
    "blocks",
    "checkpoint",
    "configs",
    "data",
    "evaluation",
    "models",
    "networks",
    "registry",
    "training",
]
