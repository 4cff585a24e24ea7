"""Evaluating a checkpoint of the user's own module: the config it records (``sweep_model``)
rebuilds the module and its data module, and the data module's ``test_dataloader`` runs through
the module's ``test_step`` under Lightning's Trainer, as ``trainer.test(ckpt_path=...)`` runs it
(the module's own ``on_load_checkpoint`` included).

The checkpoint is read without running code from it (lightning_modules.checkpoint): objects among
its hyperparameters are not loaded, which the module rebuilt from its config does not need. What
runs is the user's own classes, imported by the class paths the config names, from the project
the evaluation runs in.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lightning_modules.checkpoint import read_checkpoint
from sweeps.user_model.build import MODEL_FIELD, build_parts
from sweeps.user_model.hydra_build import hydra_parts
from sweeps.user_model.hydra_config import HydraSource
from sweeps.user_model.trainer_run import lightning, scalars
from sweeps.user_model.user_loggers import without_loggers


@functools.cache
def safe_checkpoint_io(flavour: str) -> type:
    """Lightning's checkpoint reader and writer, reading with lightning_modules.checkpoint."""
    # The flavour's class, known at run time only: to a type checker, a base of any type.
    io_base: Any = importlib.import_module(f"{flavour}.plugins.io").TorchCheckpointIO

    class SafeCheckpointIO(io_base):
        def load_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return read_checkpoint(path)

    return SafeCheckpointIO


def evaluate_user_checkpoint(file: Path, stored: dict[str, Any]) -> dict[str, float]:
    """The metrics the module logs in its test epoch. ValueError when it cannot be tested."""
    with _quietly():
        return _evaluate(file, stored)


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """The evaluation runs in the launcher's process: Lightning's notices (devices, tips, the
    checkpoint restored) and warnings about the user's module, which its trials already showed,
    stay off the launcher's console."""
    # Lightning's notices come from several packages' loggers (the Trainer's, Fabric's, the
    # umbrella package's), some with console handlers of their own: none says more than a
    # warning while the launcher evaluates.
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def _evaluate(file: Path, stored: dict[str, Any]) -> dict[str, float]:
    record = stored[MODEL_FIELD]
    flavour = record["flavour"]
    pl = lightning(flavour)
    if record.get("hydra"):
        model, datamodule, *_ = hydra_parts(
            flavour,
            HydraSource.from_stored(record["hydra"]),
            list(record["config"]["overrides"]),
            int(record.get("seed", 0)),
            record.get("working_dir") or "",
            with_trainer=False,
        )
    else:
        model, datamodule, _ = build_parts(
            flavour,
            without_loggers(record["config"]),
            record.get("builder"),
            record.get("hp") or {},
            int(record.get("seed", 0)),
            record.get("working_dir") or "",
        )
    name = record.get("model_name", type(model).__name__)
    if not pl.utilities.model_helpers.is_overridden("test_step", model):
        raise ValueError(f"{file}: {name} has no test_step, so there is nothing to test it with")
    source = datamodule if datamodule is not None else model
    if not pl.utilities.model_helpers.is_overridden("test_dataloader", source):
        raise ValueError(f"{file}: {type(source).__name__} has no test_dataloader")
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        plugins=[safe_checkpoint_io(flavour)()],
    )
    results = trainer.test(model, datamodule=datamodule, ckpt_path=str(file), verbose=False)
    metrics: dict[str, float] = {}
    for result in results:
        metrics.update(scalars(result)[0])
    return metrics
