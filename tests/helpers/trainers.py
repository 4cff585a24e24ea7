"""A tiny, fast Lightning Trainer for tests."""

import logging
import warnings

import pytorch_lightning as pl


def quick_trainer(max_epochs: int = 2, **overrides) -> pl.Trainer:
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="pytorch_lightning")
    options = dict(
        max_epochs=max_epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        accelerator="cpu",
    )
    options.update(overrides)
    return pl.Trainer(**options)
