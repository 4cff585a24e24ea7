"""The user's own model as every trial of a sweep has it (``UserTrialModel``: the plain values of
``UserRecipe``, shipped to Ray workers) with what a trial does with it: build the module, data and
Trainer settings (a class-path, blueprint or Hydra project's), the arguments that reproduce it.
The shipped families' counterpart is sweeps.definition.trial_plan.ShippedTrialModel."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sweeps.user_model.build import prepare_user_process, trial_config, user_trainer_run
from sweeps.user_model.hydra_build import hydra_trainer_run
from sweeps.user_model.recipe import UserRecipe
from sweeps.user_model.trainer_run import TrainerRun, TrialIdentity


@dataclass(frozen=True)
class UserTrialModel(UserRecipe):
    # A user's module trains under Lightning's Trainer, never in the lean loop of the shipped
    # families (sweeps.trial.epoch_loop).
    lean_loop = False

    @classmethod
    def of(cls, recipe: UserRecipe) -> UserTrialModel:
        return cls(**{field.name: getattr(recipe, field.name) for field in fields(recipe)})

    def patience_of(self, config: dict[str, Any]) -> int | None:
        """None: a user's module stops itself, with Lightning's EarlyStopping callback."""
        return None

    def prepare_process(self) -> None:
        prepare_user_process(self)

    def trainer_run(
        self, config: dict[str, Any], identity: TrialIdentity | None = None
    ) -> tuple[TrainerRun, dict[str, Any]]:
        """The trial's module, data and Trainer settings, and the fields its checkpoints carry."""
        if self.hydra is not None:
            return hydra_trainer_run(self, config, identity)
        return user_trainer_run(self, config, identity)

    def model_builder(self, config: dict[str, Any]) -> Callable[[], Any]:
        """What builds the trial's model alone (its parameters counted on the meta device)."""
        return lambda: self.trainer_run(config)[0].model

    def arguments_json(self, config: dict[str, Any]) -> str | None:
        """The trial's config as the module was built from it (a blueprint: with its values)."""
        trial, hp_values = trial_config(self, config)
        return json.dumps(
            {**trial, **({"blueprint": hp_values} if self.builder else {})}, default=str
        )

    def model_and_data(
        self, config: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The model and data sections that reproduce the trial, as a sweep file writes them:
        the class paths with their init_args (a blueprint: its values)."""
        trial, hp_values = trial_config(self, config)
        model = (
            {"builder": self.builder, "values": hp_values} if self.builder else trial.get("model")
        )
        return model, trial.get("data")
