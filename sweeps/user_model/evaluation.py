"""Evaluating a checkpoint of the user's own module: the config it records (``sweep_model``)
rebuilds the module and its data module, the weights are loaded, and the data module's
``test_dataloader`` runs through the module's ``test_step`` under Lightning's Trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sweeps.trial.trainer_loop import lightning, scalars
from sweeps.user_model.build import MODEL_FIELD, build_parts


def evaluate_user_checkpoint(file: Path, stored: dict[str, Any]) -> dict[str, float]:
    """The metrics the module logs in its test epoch. ValueError when it cannot be tested."""
    record = stored[MODEL_FIELD]
    flavour = record["flavour"]
    pl = lightning(flavour)
    model, datamodule, _ = build_parts(
        flavour,
        record["config"],
        record.get("builder"),
        record.get("hp") or {},
        int(record.get("seed", 0)),
    )
    name = record.get("model_name", type(model).__name__)
    if not pl.utilities.model_helpers.is_overridden("test_step", model):
        raise ValueError(f"{file}: {name} has no test_step, so there is nothing to test it with")
    source = datamodule if datamodule is not None else model
    if not pl.utilities.model_helpers.is_overridden("test_dataloader", source):
        raise ValueError(f"{file}: {type(source).__name__} has no test_dataloader")
    model.load_state_dict(stored["state_dict"])
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    results = trainer.test(model, datamodule=datamodule, verbose=False)
    metrics: dict[str, float] = {}
    for result in results:
        metrics.update(scalars(result)[0])
    return metrics
