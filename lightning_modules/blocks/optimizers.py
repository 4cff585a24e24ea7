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
