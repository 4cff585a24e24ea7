"""A trial of the user's own model: its LightningModule, data module and Trainer settings, built
where the trial runs (a Ray worker imports the user's classes from their class paths).

The trial's searched values are written into the sweep's config at their paths (or handed to the
blueprint's ``hp``), LightningCLI's parser builds the classes from it, and LightningCLI's own
``optimizer``/``lr_scheduler`` keys become the module's ``configure_optimizers`` as under
LightningCLI. Every checkpoint records that config (``sweep_model``), so evaluation and PBT
exploits rebuild the same module. A PBT exploit continues from another trial's checkpoint with
mutated values: after Lightning restores the optimizer state, the values this trial's config
gives (learning rate, weight decay, ...) are put back in force, the learning rate keeping the
schedule's progress, and each such restore is recorded in the checkpoint's lineage, by the rule
the shipped families follow too (lightning_modules.restore_settings).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from pathlib import Path
from types import MethodType
from typing import Any, NamedTuple

from lightning_modules.restore_settings import (
    INITIAL_FIELD,
    LINEAGE_FIELD,
    initial_settings,
    lineage_entry,
    put_back,
    restored_lineage,
)
from sweeps.sweep_file.conditions import assemble_lists
from sweeps.sweep_file.space import plain
from sweeps.user_model.blueprint import HyperParameters, call_blueprint
from sweeps.user_model.checking import MODEL_CHECKPOINT, TOOL_TRAINER, ConfigChecker, ddp_options
from sweeps.user_model.classes import import_target
from sweeps.user_model.config_files import LIGHTNING_KEYS
from sweeps.user_model.paths import with_values
from sweeps.user_model.recipe import UserRecipe
from sweeps.user_model.trainer_run import TrainerRun, TrialIdentity, lightning
from sweeps.user_model.user_loggers import kept_loggers, with_trial_identity

MODEL_FIELD = "sweep_model"  # in every checkpoint: how to rebuild the module (and its data)


def prepare_user_process(user: UserRecipe) -> None:
    """Lightning's own package logs at INFO per Trainer; the trial's output stays readable."""

    logging.getLogger(user.flavour).setLevel(logging.WARNING)


def trial_config(user: UserRecipe, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the sweep's config with the trial's searched values at their paths, the blueprint's values)."""
    joined = assemble_lists(config)
    values = {}
    for key, value in joined.items():
        if key in user.paths:
            values[user.paths[key]] = (
                [plain(v) for v in value] if isinstance(value, list) else plain(value)
            )
    hp_values = {key: plain(joined[key]) for key in user.blueprint_keys if key in joined}
    return with_values(user.config, values), hp_values


@functools.cache
def _checker(
    flavour: str, model_class_path: str | None, data_class_path: str | None
) -> ConfigChecker:
    """One parser per process and classes (trials of a sweep reuse their worker process)."""
    model_class = import_target(model_class_path, "model.class_path") if model_class_path else None
    data_class = import_target(data_class_path, "data.class_path") if data_class_path else None
    return ConfigChecker(flavour, model_class, data_class)


def checker_for(user_config: dict[str, Any], flavour: str, builder: str | None) -> ConfigChecker:
    model = None if builder else user_config["model"]["class_path"]
    data = (user_config.get("data") or {}).get("class_path")
    return _checker(flavour, model, data)


def build_parts(
    flavour: str,
    config: dict[str, Any],
    builder: str | None,
    hp_values: dict[str, Any],
    seed: int,
    working_dir: str = "",
) -> tuple[Any, Any, Any]:
    """(module, data module or None, the parsed and instantiated config). ``working_dir``: where
    the sweep was loaded (see ``on_this_node``)."""
    lightning(flavour).seed_everything(seed, workers=True, verbose=False)
    checker = checker_for(config, flavour, builder)
    config = on_this_node(config, working_dir, _targets(config, builder))
    parsed = {key: value for key, value in config.items() if key in LIGHTNING_KEYS}
    init = checker.instantiate(checker.namespace(parsed))
    datamodule = init.get("data")
    if builder is not None:
        model, built_data = call_blueprint(
            import_target(builder, "model.builder"), HyperParameters(hp_values)
        )
        datamodule = datamodule if built_data is None else built_data
    else:
        model = init.model
    if init.get("optimizer") is not None:
        _configure_optimizers(flavour, model, init)
    return model, datamodule, init


def _targets(config: dict[str, Any], builder: str | None) -> list[str]:
    sections = (config.get(section) or {} for section in ("model", "data"))
    return [target for target in (builder, *(s.get("class_path") for s in sections)) if target]


def project_root(targets: list[str]) -> Path | None:
    """Where this process imported the user's project from: the folder holding the top-level
    package (or module) of the first of the class paths ``targets`` that it has imported."""
    for target in targets:
        module = sys.modules.get(target.partition(":")[0].split(".")[0])
        file = getattr(module, "__file__", None)
        if file:
            path = Path(file)
            return path.parent.parent if path.name == "__init__.py" else path.parent
    return None


def on_this_node(config: dict[str, Any], working_dir: str, targets: list[str]) -> dict[str, Any]:
    """``config`` with the paths into the project that this node lacks pointing into its own
    copy of the project. Relative paths among the arguments were made absolute from the folder
    the sweep was loaded in (``working_dir``); a cluster's node runs the copy Ray shipped, in a
    folder of its own, and an evaluation may run from another checkout of the project."""
    here = project_root(targets)
    if not working_dir or here is None or here == Path(working_dir):
        return config
    prefix = working_dir.rstrip(os.sep) + os.sep

    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: moved(item) for key, item in value.items()}
        if isinstance(value, list):
            return [moved(item) for item in value]
        if isinstance(value, str) and value.startswith(prefix) and not os.path.exists(value):
            candidate = here / value[len(prefix) :]
            return str(candidate) if candidate.exists() else value
        return value

    return moved(config)


def _configure_optimizers(flavour: str, model: Any, init: Any) -> None:
    """LightningCLI's ``optimizer``/``lr_scheduler`` keys as the module's configure_optimizers."""
    cli = importlib.import_module(f"{flavour}.cli")
    optimizer = cli.instantiate_class(model.parameters(), init.optimizer.as_dict())
    scheduler = init.get("lr_scheduler")
    lr_scheduler = (
        cli.instantiate_class(optimizer, scheduler.as_dict()) if scheduler is not None else None
    )
    configure = functools.partial(
        cli.LightningCLI.configure_optimizers, optimizer=optimizer, lr_scheduler=lr_scheduler
    )
    functools.update_wrapper(configure, cli.LightningCLI.configure_optimizers)
    model.configure_optimizers = MethodType(configure, model)


def user_trainer_run(
    user: UserRecipe, config: dict[str, Any], identity: TrialIdentity | None = None
) -> tuple[TrainerRun, dict[str, Any]]:
    """The trial's Trainer run, and the fields every checkpoint of it carries. ``identity``:
    the trial's, which the user's own loggers are given (sweeps.user_model.user_loggers)."""
    trial, hp_values = trial_config(user, config)
    built = trial if identity is None else with_trial_identity(trial, *identity)
    model, datamodule, init = build_parts(
        user.flavour, built, user.builder, hp_values, user.seed, user.working_dir
    )
    trainer = init.trainer.as_dict() if hasattr(init.trainer, "as_dict") else dict(init.trainer)
    callbacks = [
        callback
        for callback in (trainer.get("callbacks") or [])
        if type(callback).__name__ != MODEL_CHECKPOINT
    ]
    plugins = trainer.get("plugins") or []
    parts = UserParts(
        model,
        datamodule,
        trainer,
        callbacks,
        kept_loggers(trainer.get("logger")),
        plugins if isinstance(plugins, list) else [plugins],
        (trial.get("trainer") or {}).get("strategy"),
    )
    return assembled_trainer_run(
        user, parts, {"config": trial, "builder": user.builder, "hp": hp_values}
    )


class UserParts(NamedTuple):
    """A trial's parts as the user's config builds them, before the sweep's own are added."""

    model: Any
    datamodule: Any  # None where the module makes its own loaders
    trainer: dict[str, Any]  # the config's Trainer arguments
    callbacks: list[Any]  # the user's callbacks, their ModelCheckpoint left out
    loggers: list[Any]  # the user's loggers, each given the trial's identity
    plugins: list[Any]
    strategy: Any  # the config's strategy, as written (a name, or a class path and arguments)


def assembled_trainer_run(
    user: UserRecipe, parts: UserParts, record: dict[str, Any]
) -> tuple[TrainerRun, dict[str, Any]]:
    """A user's built parts as the trial's Trainer run, whatever config built them (a
    LightningCLI config, a blueprint, a Hydra config), and the fields every checkpoint of it
    carries: ``record`` (what rebuilds the trial's module) with the recipe's own."""
    settings = {
        key: value
        for key, value in parts.trainer.items()
        if key not in TOOL_TRAINER and key not in ("callbacks", "logger", "plugins")
    }
    fields = {
        MODEL_FIELD: {
            "flavour": user.flavour,
            **record,
            "seed": user.seed,
            "model_name": user.model_name,
            "working_dir": user.working_dir,
        }
    }
    restore = restore_settings_class(user.flavour)(trial_values(fields[MODEL_FIELD]))
    return TrainerRun(
        user.flavour,
        parts.model,
        parts.datamodule,
        settings,
        [*parts.callbacks, restore],
        parts.plugins,
        ddp_options(parts.strategy, user.flavour) or {},
        parts.loggers,
    ), fields


def trial_values(record: dict[str, Any]) -> dict[str, Any]:
    """What tells one trial's values from another's in a checkpoint's ``sweep_model``: the
    config, and the values a blueprint asked for."""
    return {"config": record.get("config"), "hp": record.get("hp") or {}}


@functools.cache
def restore_settings_class(flavour: str) -> type:
    # The flavour's class, known at run time only: to a type checker, a base of any type.
    callback_base: Any = lightning(flavour).Callback

    class RestoreSettings(callback_base):
        """Keeps the trial's own optimizer settings in force over a checkpoint's (see the module's
        docstring), and carries the lineage of restores in every checkpoint."""

        def __init__(self, values: dict[str, Any]):
            self.values = values  # trial_values of this trial
            self.initial: list[list[dict[str, Any]]] = []
            self.restored: dict[str, Any] | None = None
            self.lineage: list[dict[str, Any]] = []

        def on_fit_start(self, trainer: Any, module: Any) -> None:
            # After the optimizers are made, before a checkpoint's state is loaded into them.
            self.initial = initial_settings(trainer.optimizers)

        def on_load_checkpoint(self, trainer: Any, module: Any, checkpoint: dict[str, Any]) -> None:
            self.restored = checkpoint
            self.lineage = restored_lineage(checkpoint)

        def on_train_start(self, trainer: Any, module: Any) -> None:
            restored, self.restored = self.restored, None
            if restored is None or trial_values(restored.get(MODEL_FIELD) or {}) == self.values:
                return  # a fresh start, or a resume with the same values: nothing to put back
            schedulers = [config.scheduler for config in trainer.lr_scheduler_configs]
            donor = restored.get(INITIAL_FIELD) or self.initial
            put_back(trainer.optimizers, schedulers, self.initial, donor)
            self.lineage.append(
                lineage_entry(trainer.current_epoch, module, trainer.optimizers, self.values)
            )

        def on_save_checkpoint(self, trainer: Any, module: Any, checkpoint: dict[str, Any]) -> None:
            checkpoint[INITIAL_FIELD] = self.initial
            checkpoint[LINEAGE_FIELD] = list(self.lineage)

    return RestoreSettings
