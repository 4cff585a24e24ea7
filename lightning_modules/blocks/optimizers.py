"""Optimizers by name: sgd (with momentum and Nesterov), rmsprop, adam, adamw.

SGD, Adam and AdamW use torch's fused implementation (one kernel over all parameters, on CPUs
and GPUs alike) and RMSprop, which has none, the multi-tensor (``foreach``) one: the same update
as torch's default per-tensor loop, which for a small model on a CPU costs as much as its
forward pass (Adam: 125 us per step against 42 us fused, for a 3-layer MLP of width 128)."""

from collections.abc import Iterable

import torch

from lightning_modules.configs.training import TrainingConfig


def make_optimizer(
    config: TrainingConfig, parameters: Iterable[torch.nn.Parameter]
) -> torch.optim.Optimizer:
    name = config.optimizer
    if name == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=config.weight_decay,
            fused=True,
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(
            parameters,
            lr=config.lr,
            alpha=config.alpha,
            eps=config.eps,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            foreach=True,
        )
    if name == "adam":
        return torch.optim.Adam(
            parameters,
            lr=config.lr,
            betas=(config.beta1, config.beta2),
            eps=config.eps,
            weight_decay=config.weight_decay,
            fused=True,
        )
    if name == "adamw":
        return torch.optim.AdamW(
            parameters,
            lr=config.lr,
            betas=(config.beta1, config.beta2),
            eps=config.eps,
            weight_decay=config.weight_decay,
            fused=True,
        )
    raise ValueError(f"unknown optimizer {name!r}")


def apply_settings(
    optimizer: torch.optim.Optimizer,
    schedulers: list,
    config: TrainingConfig,
    previous: TrainingConfig,
) -> None:
    """Put ``config``'s optimizer settings in force on an optimizer whose state was restored from a
    checkpoint trained under ``previous`` (a PBT exploit, or a resumed trial).

    Restoring a checkpoint restores the optimizer's hyperparameters with its moments, which would
    silently undo a mutation. The learning rate keeps the schedule's progress: it becomes
    ``config.lr`` times the factor the schedule had reached (exactly ``config.lr`` without a
    schedule); the other knobs are set as they are.
    """
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * config.lr / previous.lr
        if "initial_lr" in group:
            group["initial_lr"] = config.lr
        group["weight_decay"] = config.weight_decay
        if "momentum" in group:
            group["momentum"] = config.momentum
        if "nesterov" in group:
            group["nesterov"] = config.nesterov
        if "betas" in group:
            group["betas"] = (config.beta1, config.beta2)
        if "eps" in group:
            group["eps"] = config.eps
        if "alpha" in group:
            group["alpha"] = config.alpha
    for scheduler in schedulers:
        if hasattr(scheduler, "base_lrs"):
            scheduler.base_lrs = [config.lr for _ in scheduler.base_lrs]
        if hasattr(scheduler, "_last_lr"):
            scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]
