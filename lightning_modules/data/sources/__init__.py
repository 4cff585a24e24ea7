"""Where each shipped data set's samples come from, one module per data set, each with a
``load_arrays(config, seed)`` giving every sample and its label as NumPy arrays. Nothing here
imports Lightning, so a checkpoint's test split can be rebuilt by a process that imports torch
alone (lightning_modules.evaluation)."""

__all__ = ["digits", "mnist1d", "synthetic", "table"]
