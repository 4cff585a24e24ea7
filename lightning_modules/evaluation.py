"""Evaluating a checkpoint on the held-out test split of the data it was trained on.

Sweep checkpoints carry the model's hyperparameters and the data set's name and arguments
(seed and fold included), so the same split is rebuilt and the test rows are ones the trial never
saw. A k-fold trial's checkpoint holds one model per fold; its test metrics are the mean over
those models (each normalising the test rows with its own training statistics), just as its
validation metrics were.

The test pass is the family's own test epoch: its training in plain torch
(lightning_modules.training, which its LightningModule is under Lightning's base) rebuilt with the
checkpoint's weights runs ``test_step`` over the test rows of the data set's source
(lightning_modules.data.sources) and logs what its ``on_test_epoch_end`` logs, so a test metric
is scored in one place whether Lightning's Trainer or this module runs the epoch. Nothing here
imports Lightning: the process that evaluates the best checkpoint at the end of a sweep imports
torch alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning_modules.checkpoint import checkpoint_file, checkpoint_files, read_checkpoint
from lightning_modules.registry import DATASETS, MODEL_FAMILIES, ModelFamily


def evaluate_checkpoint(path: str | Path) -> dict[str, float]:
    """Test metrics (``test_loss`` and ``test_accuracy`` or ``test_mae``) of a checkpoint: of its
    one model, or the mean over its fold models."""
    per_model = [_evaluate_model(file) for file in checkpoint_files(path)]
    return {
        name: sum(metrics[name] for metrics in per_model) / len(per_model) for name in per_model[0]
    }


def _evaluate_model(path: Path) -> dict[str, float]:
    # Imported here: arrays loads torch, which only the processes that evaluate need.
    from lightning_modules.data.arrays import cached_splits

    stored = read_checkpoint(path)
    dataset: dict[str, Any] | None = stored.get("dataset")
    if not dataset or dataset.get("name") not in DATASETS:
        raise ValueError(
            f"{checkpoint_file(path)}: the checkpoint does not name the data it was trained on"
        )
    entry = DATASETS[dataset["name"]]
    data_config = entry.config.from_stored(dataset["config"])
    task = _task(path, stored)
    fold = dataset.get("fold", 0)
    if not isinstance(fold, int) or not 0 <= fold < data_config.fold_count():
        raise ValueError(
            f"{checkpoint_file(path)}: names fold {fold!r} of data with {data_config.fold_count()} fold(s)"
        )
    seed = data_config.seed if data_config.seed is not None else 0  # as the data module seeds it
    splits = cached_splits(entry.arrays_source(), data_config, seed, fold)
    if len(splits.test_x) == 0:
        raise ValueError(
            f"{checkpoint_file(path)}: its data has no test split (test_fraction is 0)"
        )
    return test_epoch(task, splits.test_x, splits.test_y)


def _task(path: Path, stored: dict[str, Any]) -> Any:
    """The checkpoint's model as its family's training in plain torch, with the trained weights
    (the LightningModule's state is the training's: it is that class under Lightning's base)."""
    family: ModelFamily | None = MODEL_FAMILIES.get(stored.get("family"))  # type: ignore[arg-type]
    if family is None:
        raise ValueError(f"{checkpoint_file(path)}: unknown model family {stored.get('family')!r}")
    hyper_parameters = stored["hyper_parameters"]
    task = family.training_class()(
        hyper_parameters["config"], hyper_parameters["data"], family=family.name
    )
    task.load_state_dict(stored["state_dict"])
    return task.eval()


def test_epoch(task: Any, test_x: Any, test_y: Any) -> dict[str, float]:
    """The test metrics ``task`` logs over these rows, batched as the data modules' test loaders
    batch them: its own ``test_step`` and ``on_test_epoch_end``, as Lightning's Trainer calls them."""
    import torch

    from lightning_modules.data.arrays import EVAL_BATCH
    from lightning_modules.data.batches import TensorBatches

    batches = TensorBatches(test_x, test_y, max(task.config.batch_size, EVAL_BATCH), shuffle=False)
    task.logged_metrics.clear()
    task.on_test_epoch_start()
    with torch.no_grad():
        for index, batch in enumerate(batches):
            task.test_step(batch, index)
    task.on_test_epoch_end()
    return {name: value for name, value in task.logged_metrics.items() if name.startswith("test_")}
