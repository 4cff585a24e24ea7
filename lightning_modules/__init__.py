"""LightningModules with configurable architectures, and the data modules they train on.

Each model family and data set has a typed configuration in ``lightning_modules.configs`` (no
torch import, so sweep files validate quickly) and an implementation module that does import
torch. ``lightning_modules.registry`` maps the names a sweep file may use to both.
"""
