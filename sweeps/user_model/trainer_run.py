"""What a trial's Lightning ``Trainer`` is made of, before it trains: the Lightning package a
module was written against (its flavour), the module, data and settings of one trial's Trainer
(``TrainerRun``, built from a user's config or for a data-parallel shipped family), the trial's
identity its user's loggers are told, and logged values read as numbers. The Trainer itself runs
in sweeps.trial.trainer_loop; a checkpoint is evaluated in sweeps.user_model.evaluation."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple

FLAVOURS = ("lightning.pytorch", "pytorch_lightning")


def lightning(flavour: str) -> ModuleType:
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown Lightning package {flavour!r}; one of {', '.join(FLAVOURS)}")
    return importlib.import_module(flavour)


def scalars(values: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """Logged values as floats, and the names of those that are not one number."""
    found: dict[str, float] = {}
    refused: dict[str, str] = {}
    for name, value in values.items():
        numel = getattr(value, "numel", None)
        if numel is not None and numel() != 1:
            refused[name] = f"a tensor of shape {tuple(value.shape)}"
            continue
        try:
            found[name] = float(value)
        except (TypeError, ValueError):
            refused[name] = f"a {type(value).__name__}"
    return found, refused


class TrialIdentity(NamedTuple):
    """Which trial of which sweep a Trainer trains: what the user's own loggers are told, so
    each trial has one run of theirs (sweeps.user_model.user_loggers)."""

    trial_id: str
    sweep_name: str
    sweep_folder: str


@dataclass
class TrainerRun:
    """One trial's Trainer: the module, its data, the user's Trainer settings (the sweep's own
    already applied, see sweeps.user_model.trainer_settings) and their callbacks."""

    flavour: str
    model: Any
    datamodule: Any | None
    settings: dict[str, Any]
    callbacks: list[Any] = field(default_factory=list)
    plugins: list[Any] = field(default_factory=list)
    ddp_options: dict[str, Any] = field(default_factory=dict)  # the user's DDP strategy's own
    loggers: list[Any] = field(default_factory=list)  # the user's own, beside the sweep's
