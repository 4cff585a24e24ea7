"""What a sweep trains, one of two kinds, and what differs between them: a shipped family on a
shipped data set (``ShippedModel``), or the user's own LightningModule, named by class paths, a
blueprint or a Hydra config (``UsersModel``). ``SweepDefinition.model`` is one of them; every
behaviour that differs by kind is a method here, so no code elsewhere asks which kind it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.registry import Dataset, ModelFamily
from sweeps.definition.trial_plan import ShippedTrialModel
from sweeps.sweep_file.objectives import BUILTIN_METRICS
from sweeps.sweep_file.space import DATA_PREFIX, Param
from sweeps.user_model.model_section import UserModel
from sweeps.user_model.trial_model import UserTrialModel


def args_text(args: dict[str, Any]) -> str:
    """Arguments as the console shows them: ``(depth=2, width=64)``; nothing for none."""
    shown = {k: v for k, v in args.items() if v is not None}
    return "(" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else ""


@dataclass(frozen=True)
class ShippedModel:
    family: ModelFamily
    model_args: dict[str, Any]
    dataset: Dataset
    data_args: dict[str, Any]
    data_info: DataInfo | None  # the data's shape, as the checks found it

    # Whether the sweep ships the user's project to a cluster's nodes (``code:``) and relaxes
    # what it cannot know of a module it did not write (sweeps.schedulers.ScheduleProblem).
    is_users_own = False

    @property
    def model_name(self) -> str:
        return f"the {self.family.name} model"

    @property
    def short_name(self) -> str:
        """The model in a tracker's parameters."""
        return self.family.name

    def logged_metrics(self, metric: str, space: dict[str, Param]) -> tuple[str, ...]:
        """What every trial reports each epoch (k-fold trials add the spread of the metric)."""
        names = tuple(self.family.metrics(self.data_info)) + tuple(BUILTIN_METRICS)  # type: ignore[arg-type]
        if self.data_args.get("validation") == "kfold" or f"{DATA_PREFIX}validation" in space:
            names += (f"{metric}_fold_std",)
        return names

    def mutable_keys(self, space: dict[str, Param]) -> frozenset[str]:
        """Searched keys a checkpoint can continue under with a new value (PBT's mutations)."""
        model = self.family.config.mutable_keys()
        data = self.dataset.config.mutable_keys()
        return frozenset(
            key
            for key in space
            if (key[len(DATA_PREFIX) :] in data if key.startswith(DATA_PREFIX) else key in model)
        )

    def summary_lines(self) -> list[str]:
        return [
            f"model      {self.family.name} {args_text(self.model_args)}",
            f"data       {self.dataset.name} {args_text(self.data_args)}",
        ]

    def evaluator_modules(self) -> list[str] | None:
        """What a helper process evaluating the best checkpoint imports ahead (None: the
        checkpoint is evaluated in the driver's process)."""
        return [
            "lightning_modules.evaluation",
            "lightning_modules.data.arrays",
            *self.trial_libraries(),
        ]

    def trial_libraries(self) -> list[str]:
        """What a trial process imports to train, beyond the sweep's own trial code: the
        family's network and its data set's source (torch with them)."""
        return [self.family.network.partition(":")[0], self.dataset.source]

    def trial_model(self, seed: int) -> ShippedTrialModel:
        """What every trial needs of the model (plain values, shipped to Ray workers)."""
        return ShippedTrialModel(
            self.family.name, dict(self.model_args), self.dataset.name, dict(self.data_args), seed
        )


@dataclass(frozen=True)
class UsersModel:
    user: UserModel

    is_users_own = True

    @property
    def model_name(self) -> str:
        return self.user.model_name

    @property
    def short_name(self) -> str:
        return self.user.model_name

    def logged_metrics(self, metric: str, space: dict[str, Param]) -> tuple[str, ...]:
        """A user's module logs what it logs: those are found in its results."""
        return ()

    def mutable_keys(self, space: dict[str, Param]) -> frozenset[str]:
        # The sweep cannot tell a learning rate from a layer width, so any searched key may be
        # listed under mutate; unlisted, the real-valued ones mutate.
        return frozenset(space)

    def summary_lines(self) -> list[str]:
        """The user's model, data, Trainer settings and what the sweep sets over them."""
        user, recipe = self.user, self.user.recipe
        config = recipe.config
        lines = []
        if recipe.hydra is not None:
            overrides = " ".join(recipe.hydra["overrides"])
            lines.append(
                f"model      {recipe.model_name} ({recipe.flavour}; Hydra config "
                f"{recipe.hydra['config_path']}/{recipe.hydra['config_name']}.yaml"
                f"{' ' + overrides if overrides else ''})"
            )
        elif recipe.builder is not None:
            lines.append(
                f"model      blueprint {recipe.builder} ({recipe.flavour}; its space found in "
                f"{user.blueprint.runs} runs)"  # type: ignore[union-attr]
            )
        else:
            model = config["model"]
            lines.append(
                f"model      {model['class_path']} {args_text(model.get('init_args') or {})} "
                f"({recipe.flavour})"
            )
        if config.get("data"):
            data = config["data"]
            lines.append(
                f"data       {data['class_path']} {args_text(data.get('init_args') or {})}"
            )
        for section in ("optimizer", "lr_scheduler"):
            if config.get(section):
                lines.append(
                    f"{section:<10} {config[section]['class_path']} "
                    f"{args_text(config[section].get('init_args') or {})}"
                )
        trainer = {
            key: value for key, value in (config.get("trainer") or {}).items() if value is not None
        }
        if trainer:
            callbacks = trainer.pop("callbacks", None) or []
            shown = args_text(trainer)
            if callbacks:
                names = ", ".join(
                    str(c.get("class_path", c)).rsplit(".", 1)[-1]
                    if isinstance(c, dict)
                    else str(c)
                    for c in callbacks
                )
                shown = (shown[:-1] + ", " if shown else "(") + f"callbacks=[{names}])"
            lines.append(f"trainer    {shown}")
        if user.config_files:
            lines.append(f"config     {', '.join(user.config_files)}")
        lines += [f"note       {note}" for note in user.notes]
        return lines

    def evaluator_modules(self) -> list[str] | None:
        # The driver imported the user's classes, torch and Lightning to check the sweep file: a
        # helper would import them all again, seconds of CPU taken from the trials' own start.
        return None

    def trial_libraries(self) -> list[str]:
        """What a trial process imports to train, beyond the sweep's own trial code: the
        Lightning package the module subclasses (torch with it). Not the user's own modules,
        which a trial imports from the project's folder as it starts."""
        return [self.user.recipe.flavour]

    def trial_model(self, seed: int) -> UserTrialModel:
        """The recipe with what a trial does with it (its seed is already the sweep's)."""
        return UserTrialModel.of(self.user.recipe)


ModelKind = ShippedModel | UsersModel
