"""Regularisation that is not a layer: the L1 penalty on the weights (dropout is a layer; L2 is
the optimizer's weight decay; gradient clipping is applied by the LightningModule)."""

from typing import cast

import torch
from torch import nn


def l1_penalty(module: nn.Module, coefficient: float) -> torch.Tensor:
    """``coefficient`` times the sum of absolute values of every weight matrix or kernel."""
    weights = [p for p in module.parameters() if p.dim() >= 2]
    if coefficient == 0 or not weights:
        return torch.zeros((), device=next(module.parameters()).device)
    # A sum of tensors (``weights`` is not empty), though ``sum`` is typed as maybe its start, 0.
    return coefficient * cast(torch.Tensor, sum(p.abs().sum() for p in weights))
