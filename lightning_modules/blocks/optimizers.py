"""Optimizers by name: sgd (with momentum and Nesterov), rmsprop, adam, adamw."""

from collections.abc import Iterable

import torch

from lightning_modules.configs.training import TrainingConfig


def make_optimizer(config: TrainingConfig, parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    name = config.optimizer
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov,
                               weight_decay=config.weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=config.lr, alpha=config.alpha, eps=config.eps,
                                   momentum=config.momentum, weight_decay=config.weight_decay)
    if name == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps,
                                weight_decay=config.weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps,
                                 weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")
