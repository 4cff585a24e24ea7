"""Evaluating a checkpoint on the held-out test split of the data it was trained on.

Sweep checkpoints carry the model's hyperparameters and the data set's name and arguments
(seed and fold included), so the same split is rebuilt and the test rows are ones the trial never
saw. A k-fold trial's checkpoint holds one model per fold; its test metrics are the mean over
those models (each normalising the test rows with its own training statistics), just as its
validation metrics were.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from lightning_modules.checkpoint import (
    checkpoint_file,
    checkpoint_files,
    load_model,
    read_checkpoint,
)
from lightning_modules.registry import DATASETS


def evaluate_checkpoint(path: str | Path) -> dict[str, float]:
    """Test metrics (``test_loss`` and ``test_accuracy`` or ``test_mae``) of a checkpoint: of its
    one model, or the mean over its fold models."""
    per_model = [_evaluate_model(file) for file in checkpoint_files(path)]
    return {
        name: sum(metrics[name] for metrics in per_model) / len(per_model) for name in per_model[0]
    }


def _evaluate_model(path: Path) -> dict[str, float]:

    stored = read_checkpoint(path)
    dataset: dict[str, Any] | None = stored.get("dataset")
    if not dataset or dataset.get("name") not in DATASETS:
        raise ValueError(
            f"{checkpoint_file(path)}: the checkpoint does not name the data it was trained on"
        )
    entry = DATASETS[dataset["name"]]
    data_config = entry.config.from_stored(dataset["config"])
    model = load_model(path)
    fold = dataset.get("fold", 0)
    if not isinstance(fold, int) or not 0 <= fold < data_config.fold_count():
        raise ValueError(
            f"{checkpoint_file(path)}: names fold {fold!r} of data with {data_config.fold_count()} fold(s)"
        )
    datamodule = entry.datamodule_class()(
        data_config, batch_size=model.config.batch_size, fold=fold
    )
    datamodule.setup()
    if len(datamodule.splits.test_x) == 0:
        raise ValueError(
            f"{checkpoint_file(path)}: its data has no test split (test_fraction is 0)"
        )
    return _test_pass(model, datamodule)


def _test_pass(model: Any, datamodule: Any) -> dict[str, float]:
    """One pass over the test split with the module's own test hooks, driven through Lightning
    Fabric (a Trainer would take longer to set up than this pass takes)."""
    # Imported here: torch loads only in the processes that train or evaluate.
    import torch
    from lightning_fabric import Fabric

    from lightning_modules.logged_metrics import LoggedMetrics

    for name in ("pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="lightning_fabric")
    logged = LoggedMetrics()
    Fabric(accelerator="cpu", devices=1, loggers=[logged]).setup(model)
    model.eval()
    with torch.no_grad():
        model.on_test_epoch_start()
        for index, batch in enumerate(datamodule.test_dataloader()):
            model.test_step(batch, index)
        model.on_test_epoch_end()
    return dict(logged.metrics)
