"""Evaluating a checkpoint on the held-out test split of the data it was trained on.

Sweep checkpoints carry the model's hyperparameters and the data set's name and arguments
(seed and fold included), so the same split is rebuilt and the test rows are ones the trial never
saw. A k-fold trial's checkpoint holds one model per fold; its test metrics are the mean over
those models (each normalising the test rows with its own training statistics), just as its
validation metrics were.

The test pass runs the family's network in plain torch (lightning_modules.networks) on the test
rows of the data set's source (lightning_modules.data.sources), scored as the family's
LightningModule scores its test epoch (lightning_modules.blocks.losses; the diffusion family's
denoising loss with the evaluation draws). Nothing here imports Lightning: the process that
evaluates the best checkpoint at the end of a sweep imports torch alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning_modules.checkpoint import checkpoint_file, checkpoint_files, read_checkpoint
from lightning_modules.configs.data_info import DataInfo
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
    family, network, config, data = _network(path, stored)
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
    return _test_pass(family, network, config, data, splits.test_x, splits.test_y)


def _network(path: Path, stored: dict[str, Any]) -> tuple[ModelFamily, Any, Any, DataInfo]:
    """The checkpoint's family, its network with the trained weights (in eval mode), its config
    and what it knows of its data."""
    family = MODEL_FAMILIES.get(stored.get("family"))  # type: ignore[arg-type]
    if family is None:
        raise ValueError(f"{checkpoint_file(path)}: unknown model family {stored.get('family')!r}")
    # Imported here: losses loads torch, which only the processes that evaluate need.
    from lightning_modules.blocks.losses import output_size

    hyper_parameters = stored["hyper_parameters"]
    config = family.config.from_stored(hyper_parameters["config"])
    data = DataInfo.from_stored(hyper_parameters["data"])
    network = family.network_builder()(config, data, output_size(config, data.num_classes))
    # The LightningModule holds its network as ``network``: its weights are the network's.
    prefix = "network."
    network.load_state_dict(
        {
            name.removeprefix(prefix): value
            for name, value in stored["state_dict"].items()
            if name.startswith(prefix)
        }
    )
    return family, network.eval(), config, data


def _test_pass(
    family: ModelFamily, network: Any, config: Any, data: DataInfo, test_x: Any, test_y: Any
) -> dict[str, float]:
    """One pass over the test rows in the batches of the data modules' test loaders, summed as
    the family's module sums its test epoch."""
    import torch

    from lightning_modules.blocks.losses import compute_loss, score_name, score_sum
    from lightning_modules.data.arrays import EVAL_BATCH
    from lightning_modules.data.batches import TensorBatches

    if family.generative:
        from lightning_modules.networks.diffusion import (
            EVALUATION_SEED,
            denoising_loss,
            noise_schedule,
        )

        alpha_bar = torch.cumprod(1 - noise_schedule(config), dim=0)
        draws = torch.Generator().manual_seed(EVALUATION_SEED)
    batches = TensorBatches(test_x, test_y, max(config.batch_size, EVAL_BATCH), shuffle=False)
    losses, counts, score = [], [], 0.0
    with torch.no_grad():
        for inputs, targets in batches:
            if family.generative:
                losses.append(denoising_loss(network, alpha_bar, inputs, draws))
            else:
                outputs = network(inputs)
                losses.append(compute_loss(config, outputs, targets, data.num_classes))
                score += float(score_sum(config, data.num_classes, outputs, targets))
            counts.append(len(inputs))
        loss_sum = float((torch.stack(losses) * torch.tensor(counts)).sum())
    count = sum(counts)
    metrics = {"test_loss": loss_sum / count}
    if not family.generative:
        metrics[f"test_{score_name(data.num_classes)}"] = score / count
    return metrics
