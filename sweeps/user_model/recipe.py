"""What every trial of a sweep over a user's own model builds it from (its recipe): plain values,
cheap to ship to Ray workers, which import the user's classes from their class paths (never
pickled classes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserRecipe:
    flavour: str  # "lightning.pytorch" or "pytorch_lightning": the package the module subclasses
    config: dict[str, Any]  # LightningCLI-style (trainer, model, data, optimizer, lr_scheduler)
    model_name: str  # the class path or the blueprint, for messages
    paths: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # searched key -> where in config
    builder: str | None = None  # "package.module:function" of a blueprint build(hp)
    blueprint_keys: tuple[str, ...] = ()  # searched keys the blueprint asks for
    seed: int = 0
    # The folder the sweep was loaded in: relative paths among the arguments were made absolute
    # from it, and a node whose copy of the project lies elsewhere finds them there.
    working_dir: str = ""
    # A Hydra project's config (sweeps.user_model.hydra_config.HydraSource, stored): ``config``
    # then holds the composed config's trainer settings only, and ``paths`` its searched keys.
    hydra: dict[str, Any] | None = None
