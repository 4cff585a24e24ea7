"""Typed configuration models, strict and closed, with cross-key rules: the base of the sweep
definition's options (searchers, schedulers, code shipping) and of the model families' and data
sets' configurations. It depends on nothing of the project."""
