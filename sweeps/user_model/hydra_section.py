"""A sweep of a Hydra project (``hydra:`` in the sweep file), checked before anything starts:
the config composes, its ``model`` (and ``data``) name Lightning classes, the Trainer settings of
its ``trainer`` group are the Trainer's, and every searched key names a value of the composed
config (or one line with the closest names). See sweeps.user_model.hydra_config."""

from __future__ import annotations

import os
from typing import Any, TypeGuard

from sweeps.errors import Mistakes, SweepError, show
from sweeps.sweep_file.conditions import NO_CONDITIONS, Entry, parse_entry, resolve
from sweeps.user_model.checking import (
    MODEL_CHECKPOINT,
    TOOL_TRAINER,
    accepted_arguments,
    trainer_class,
    trainer_defaults,
    unknown_key_message,
)
from sweeps.user_model.classes import lightning_class
from sweeps.user_model.hydra_config import (
    check_searched_key,
    compose_checked,
    is_sweeper_syntax,
    load_hydra_source,
    sweeper_entry,
)
from sweeps.user_model.model_section import UserModel
from sweeps.user_model.recipe import UserRecipe
from sweeps.user_model.user_loggers import class_name

# What a sweep file with hydra: may not also give: the config is the project's.
NOT_WITH_HYDRA = ("model", "data", "lightning_config", "trainer", "optimizer", "lr_scheduler")


def load_hydra_model(raw: dict[str, Any], seed: int | None) -> UserModel:
    """The UserModel of a Hydra project's sweep (``seed`` the sweep's own, None: not given)."""
    given = [key for key in NOT_WITH_HYDRA if key in raw]
    if given:
        raise SweepError(
            f"hydra: composes the project's own config, so {given[0]}: belongs in it (or in "
            f"hydra.overrides), not in the sweep file",
            path=given[0],
        )
    source = load_hydra_source(raw["hydra"])
    working_dir = os.getcwd()
    config = compose_checked(source, working_dir)
    model = config.get("model")
    if not isinstance(model, dict) or not model.get("_target_"):
        raise SweepError(
            f"the composed config has no model with a _target_ (its keys: {', '.join(config)}); "
            "name your LightningModule there, or select it in hydra.overrides",
            path="hydra",
        )
    _, flavour = lightning_class(model["_target_"], "LightningModule", "hydra: model._target_")
    data = config.get("data")
    if isinstance(data, dict) and data.get("_target_"):
        _, data_flavour = lightning_class(
            data["_target_"], "LightningDataModule", "hydra: data._target_"
        )
        if data_flavour != flavour:
            raise SweepError(
                f"the model is written against {flavour} and the data module against "
                f"{data_flavour}; use one Lightning package for both",
                path="hydra",
            )
    mistakes = Mistakes()
    trainer = {k: v for k, v in (config.get("trainer") or {}).items() if k != "_target_"}
    accepted = accepted_arguments(trainer_class(flavour))
    for name in trainer:
        if name not in accepted:
            mistakes.add(
                SweepError(
                    unknown_key_message(str(name), accepted, "Trainer"),
                    path=f"hydra: trainer.{name}",
                )
            )
    space, conditions, paths = _space(raw.get("space"), config, mistakes)
    mistakes.raise_if_any()
    config_seed = config.get("seed")
    trial_seed = seed if seed is not None else (config_seed if _is_seed(config_seed) else 0)
    recipe = UserRecipe(
        flavour=flavour,
        config={"trainer": trainer},
        model_name=model["_target_"],
        paths=paths,
        seed=trial_seed,
        working_dir=working_dir,
        hydra=source.to_stored(),
    )
    notes = _notes(trainer, config, flavour)
    if seed is None and _is_seed(config_seed):
        notes.append(f"seed: {trial_seed}, from the config's seed")
    return UserModel(recipe, space, conditions, tuple(notes))


def _is_seed(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _space(raw: Any, config: dict[str, Any], mistakes: Mistakes) -> tuple[Any, Any, dict]:
    if raw is None:
        return {}, NO_CONDITIONS, {}
    if not isinstance(raw, dict):
        mistakes.add(
            SweepError(f"got {show(raw)}; must be a mapping of searched keys", path="space")
        )
        return {}, NO_CONDITIONS, {}
    entries: list[Entry] = []
    paths: dict[str, tuple[str, ...]] = {}
    for key, body in raw.items():
        path = f"space.{key}"
        try:
            if not isinstance(key, str) or not key:
                raise SweepError(
                    f"key {show(key)}: name a dotted path into the config", path="space"
                )
            check_searched_key(config, key, path)
            if is_sweeper_syntax(body):
                body = sweeper_entry(body, path)
            entries.append(parse_entry(key, body, path))
            paths[key] = (key,)
        except SweepError as error:
            mistakes.add(error)
    if not entries:
        return {}, NO_CONDITIONS, paths
    try:
        space, conditions = resolve(entries)
    except SweepError as error:
        mistakes.add(error)
        return {}, NO_CONDITIONS, paths
    return space, conditions, paths


def _notes(trainer: dict[str, Any], config: dict[str, Any], flavour: str) -> list[str]:
    """What the sweep sets over the config's Trainer settings, and keeps of its groups."""
    defaults = trainer_defaults(flavour)
    notes = [
        f"trainer.{name} {show(trainer[name], 40)} is set by {source}"
        for name, source in TOOL_TRAINER.items()
        if name in trainer and trainer[name] is not None and trainer[name] != defaults.get(name)
    ]
    callbacks = config.get("callbacks") or {}
    entries = callbacks.values() if isinstance(callbacks, dict) else callbacks
    left_out = [
        class_name(entry)
        for entry in entries
        if isinstance(entry, dict)
        and class_name(entry).endswith((MODEL_CHECKPOINT, "ProgressBar", "ModelSummary"))
    ]
    if left_out:
        notes.append(
            f"callbacks: {', '.join(left_out)} left out (the sweep checkpoints every trial, and "
            "shows its own progress)"
        )
    loggers = config.get("logger") or {}
    kept = [
        class_name(entry)
        for entry in (loggers.values() if isinstance(loggers, dict) else loggers)
        if isinstance(entry, dict) and entry.get("_target_")
    ]
    if kept:
        notes.append(
            f"logger: {', '.join(kept)} kept beside the sweep's TensorBoard and tables, one run "
            "per trial"
        )
    return notes
