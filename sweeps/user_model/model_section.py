"""The part of a sweep file that names a user's own model, checked before anything runs.

    model:
      class_path: my_project.models.Classifier      # any LightningModule subclass
      init_args: {hidden: 128, lr: 1.0e-3}
    data:
      class_path: my_project.data.ImagesDataModule  # any LightningDataModule subclass
      init_args: {batch_size: 64, root: data/}
    trainer: {precision: bf16-mixed, accumulate_grad_batches: 2, gradient_clip_val: 1.0}
    lightning_config: [configs/fit.yaml]            # the user's LightningCLI configs, merged first
    space:
      model.init_args.lr: {logfloat: [1.0e-4, 1.0e-1]}
      data.batch_size: {choice: [32, 64, 128]}
      trainer.gradient_clip_val: {float: [0.1, 2.0], step: 0.1}

or ``model: {builder: my_project.tuning:build}`` (sweeps.user_model.blueprint). Every mistake is
one line naming the key: a class path that does not import, a class of the wrong kind, an
argument the constructor does not take (with the closest names), a value of the wrong type for its
type hint, a config file that does not parse. Imports the user's classes (and so torch and
Lightning), which a sweep of the shipped families never does.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

from sweeps.errors import Mistakes, SweepError, show
from sweeps.sweep_file.conditions import NO_CONDITIONS, Conditions, Entry, parse_entry, resolve
from sweeps.sweep_file.space import Choice, FloatRange, IntRange, Param
from sweeps.user_model.blueprint import Blueprint, discover
from sweeps.user_model.checking import (
    MODEL_CHECKPOINT,
    TOOL_TRAINER,
    ConfigChecker,
    accepted_arguments,
    ddp_options,
    takes_keywords,
    trainer_class,
    trainer_defaults,
    unknown_key_message,
)
from sweeps.user_model.classes import flavour_of, import_target, lightning_class
from sweeps.user_model.config_files import (
    FIT_KEYS,
    LIGHTNING_KEYS,
    class_section,
    merge,
    read_lightning_configs,
)
from sweeps.user_model.paths import CLASS_SECTIONS, DICT_KWARGS, INIT_ARGS, get_path, key_path
from sweeps.user_model.recipe import UserRecipe
from sweeps.user_model.user_loggers import kept_note, logger_entries

SWEEP_SECTIONS = ("model", "data", "trainer", "optimizer", "lr_scheduler")


@dataclass(frozen=True)
class UserModel:
    recipe: UserRecipe  # what every trial builds the module from
    space: dict[str, Param]
    conditions: Conditions
    notes: tuple[str, ...] = ()  # what the sweep sets over the user's settings, said at the start
    config_files: tuple[str, ...] = ()
    blueprint: Blueprint | None = field(default=None, repr=False)

    @property
    def model_name(self) -> str:
        return self.recipe.model_name


def is_user_model(raw: dict[str, Any]) -> bool:
    """Whether a sweep file names a user's model (class path, blueprint, LightningCLI config or
    Hydra config)."""
    model = raw.get("model")
    if isinstance(model, dict) and "family" in model:
        return False
    named = isinstance(model, dict) and ("class_path" in model or "builder" in model)
    return named or "lightning_config" in raw or "trainer" in raw or "hydra" in raw


def load_user_model(raw: dict[str, Any], seed: int | None) -> UserModel:
    """The user-model sections of a sweep file (``raw``), checked; ``seed`` is the sweep's own
    (None: not given, then the config's seed_everything or 0)."""
    sources: list[tuple[str | None, dict[str, Any]]] = []
    if "lightning_config" in raw:
        sources += read_lightning_configs(raw["lightning_config"])
    files = [file for file, _ in sources if file is not None]  # every one so far, read from a file
    builder_target = None
    own: dict[str, Any] = {}
    for section in SWEEP_SECTIONS:
        if section not in raw or raw[section] is None:
            continue
        value = raw[section]
        if section == "model" and isinstance(value, dict) and "builder" in value:
            extra = [key for key in value if key != "builder"]
            if extra:
                raise SweepError(
                    f"a blueprint builds the model itself; model: takes builder only, not {show(extra[0])}",
                    path=f"model.{extra[0]}",
                )
            builder_target = value["builder"]
            continue
        if section in CLASS_SECTIONS:
            own[section] = class_section(value, section)
        elif not isinstance(value, dict):
            raise SweepError(
                f"got {show(value)}; trainer: is a mapping of Trainer arguments", path=section
            )
        else:
            own[section] = copy.deepcopy(value)
    sources.append((None, own))
    config: dict[str, Any] = {}
    for _, content in sources:
        config = merge(config, content)
    for key in FIT_KEYS:
        if config.get(key) is not None:
            raise SweepError(
                f"{key} {show(config[key])}: a sweep starts every trial afresh; leave it null "
                "(continue a stopped sweep with --resume)",
                path="lightning_config",
            )
    for key in ("model", "data"):
        if builder_target is not None and key == "model":
            continue
        if key in config and "class_path" not in config[key]:
            raise SweepError(
                f"no class_path for {key}: name the class in the sweep file, e.g. {key}: "
                f"{{class_path: my_project.{'models.Classifier' if key == 'model' else 'data.MyDataModule'}}}",
                path=f"{key}.class_path",
            )

    # The classes, and the Lightning package they are written against.
    blueprint: Blueprint | None = None
    model_class = data_class = None
    if builder_target is not None:
        if "model" in config:
            raise SweepError(
                "model: names both a blueprint (builder) and a class (in a lightning_config); keep one",
                path="model.builder",
            )
        builder = import_target(builder_target, "model.builder")
        if not callable(builder):
            raise SweepError(
                f"{builder_target} is a {type(builder).__name__}, not a function build(hp)",
                path="model.builder",
            )
        blueprint = discover(builder, builder_target, "model.builder")
        model_class = blueprint.module_class
        flavour = _flavour(
            model_class, "LightningModule", "model.builder", f"{builder_target} returns a"
        )
        model_name = builder_target
    elif "model" in config:
        model_class, flavour = lightning_class(
            config["model"]["class_path"], "LightningModule", "model.class_path"
        )
        model_name = config["model"]["class_path"]
    else:
        raise SweepError(
            "required key is missing: name your LightningModule (class_path) or a blueprint (builder)",
            path="model",
        )
    if "data" in config:
        data_class, data_flavour = lightning_class(
            config["data"]["class_path"], "LightningDataModule", "data.class_path"
        )
        if data_flavour != flavour:
            raise SweepError(
                f"the model is written against {flavour} and the data module against {data_flavour}; "
                "use one Lightning package for both",
                path="data.class_path",
            )
        if blueprint is not None and blueprint.datamodule_class is not None:
            raise SweepError(
                f"{builder_target} returns a data module, and data: names one too; keep one",
                path="data",
            )
    elif (blueprint is None or blueprint.datamodule_class is None) and not _has_own_data(
        model_class
    ):
        raise SweepError(
            "required key is missing: name your LightningDataModule (data: {class_path: ...}), or "
            "give the model its own train_dataloader",
            path="data",
        )

    # From here on the checks are independent: every mistake is reported in one pass. Each key
    # each source gives, against what its class takes; then the values, against their type
    # hints; then the searched keys and values.
    mistakes = Mistakes()
    unknown: list[tuple[str, ...]] = []
    for where, section_config in sources:
        unknown += _check_known_keys(
            section_config,
            config,
            flavour,
            model_class if blueprint is None else None,
            data_class,
            where,
            mistakes,
        )
    config = _resolved_paths(config, data_class, model_class if blueprint is None else None)
    checker = ConfigChecker(flavour, model_class if blueprint is None else None, data_class)
    checkable = checker.check_all(_without_builder(config), mistakes, tuple(unknown))
    found = _space(
        raw.get("space"),
        config,
        checkable,
        checker,
        blueprint,
        flavour,
        model_class,
        data_class,
        mistakes,
    )
    mistakes.raise_if_any()
    assert found is not None  # None only with a mistake, which raise_if_any has reported
    space, conditions, paths = found
    trial_seed = seed if seed is not None else _config_seed(config)
    recipe = UserRecipe(
        flavour=flavour,
        config=config,
        model_name=model_name,
        paths=paths,
        builder=builder_target,
        blueprint_keys=tuple(blueprint.space) if blueprint else (),
        seed=trial_seed,
        working_dir=os.getcwd(),
    )
    notes = _overridden(config, flavour)
    if (
        seed is None
        and isinstance(config.get("seed_everything"), int)
        and not isinstance(config["seed_everything"], bool)
    ):
        notes.append(f"seed: {trial_seed}, from seed_everything")
    return UserModel(recipe, space, conditions, tuple(notes), tuple(files), blueprint)


def _flavour(klass: type, base: str, path: str, what: str) -> str:

    flavour = flavour_of(klass, base)
    if flavour is None:
        raise SweepError(
            f"{what} {klass.__module__}.{klass.__qualname__}, which is not a {base}", path=path
        )
    return flavour


def _has_own_data(model_class: type) -> bool:
    """Whether the module defines its own train_dataloader (Lightning then needs no data module)."""
    return any(
        "train_dataloader" in vars(klass)
        for klass in model_class.__mro__
        if not klass.__module__.startswith(("lightning.", "pytorch_lightning."))
    )


def _without_builder(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key in LIGHTNING_KEYS}


def _check_known_keys(
    source: dict[str, Any],
    config: dict[str, Any],
    flavour: str,
    model_class: type | None,
    data_class: type | None,
    where: str | None,
    mistakes: Mistakes,
) -> list[tuple[str, ...]]:
    """Unknown constructor and Trainer arguments, with the closest names, naming the file: each
    added to ``mistakes``; returns their paths."""
    unknown: list[tuple[str, ...]] = []
    classes = {"model": model_class, "data": data_class}
    for section, klass in classes.items():
        given = source.get(section)
        if klass is None or not isinstance(given, dict):
            continue
        if given.get("class_path") not in (None, config[section]["class_path"]):
            continue  # a class replaced later: its arguments were dropped with it
        accepted = accepted_arguments(klass)
        for name in given.get(INIT_ARGS) or {}:
            if name not in accepted:
                unknown.append((section, INIT_ARGS, name))
                mistakes.add(
                    SweepError(
                        unknown_key_message(str(name), accepted, klass.__name__),
                        where=where,
                        path=f"{section}.{INIT_ARGS}.{name}",
                    )
                )
    trainer = source.get("trainer")
    if isinstance(trainer, dict):
        accepted = accepted_arguments(trainer_class(flavour))
        for name in trainer:
            if name not in accepted:
                unknown.append(("trainer", name))
                mistakes.add(
                    SweepError(
                        unknown_key_message(str(name), accepted, "Trainer"),
                        where=where,
                        path=f"trainer.{name}",
                    )
                )
    return unknown


def _resolved_paths(
    config: dict[str, Any], data_class: type | None, model_class: type | None
) -> dict[str, Any]:
    """Relative paths among the model's and data module's arguments, and the user's loggers'
    (``save_dir: logs``), made absolute from the working directory: trials run in folders of
    their own, on any node."""
    result = copy.deepcopy(config)
    loggers = [
        entry
        for entry in logger_entries((result.get("trainer") or {}).get("logger"))
        if isinstance(entry, dict)
    ]
    for holder in [result.get("model"), result.get("data"), *loggers]:
        init_args = (holder or {}).get(INIT_ARGS) or {}
        for name, value in init_args.items():
            if (
                isinstance(value, str)
                and value
                and "://" not in value
                and not os.path.isabs(value)
                and (os.path.exists(value) or _path_argument(name, value))
            ):
                init_args[name] = os.path.abspath(os.path.expanduser(value))
    return result


def _path_argument(name: str, value: str) -> bool:
    """An argument that names a file or folder (one that a data module may create, say)."""
    return value.endswith(("/", os.sep)) or any(
        part in name.lower() for part in ("path", "dir", "root", "file")
    )


def _config_seed(config: dict[str, Any]) -> int:
    seed = config.get("seed_everything")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0


def _overridden(config: dict[str, Any], flavour: str) -> list[str]:
    """What the sweep sets over Trainer settings the user gave (said once, at the start)."""
    trainer = config.get("trainer") or {}
    defaults = trainer_defaults(flavour)
    notes = []
    kept = ddp_options(trainer.get("strategy"), flavour)
    for name, source in TOOL_TRAINER.items():
        if name == "strategy" and kept:
            shown = ", ".join(f"{key}={value!r}" for key, value in kept.items())
            notes.append(
                f"trainer.strategy {show(trainer[name], 40)}: data-parallel trials "
                f"(resources.workers) keep its DDP options ({shown})"
            )
        elif name in trainer and trainer[name] != defaults.get(name) and trainer[name] is not None:
            notes.append(f"trainer.{name} {show(trainer[name], 40)} is set by {source}")
    loggers_kept = kept_note(trainer)
    if loggers_kept:
        notes.append(loggers_kept)
    for callback in trainer.get("callbacks") or []:
        if isinstance(callback, dict) and str(callback.get("class_path", "")).endswith(
            MODEL_CHECKPOINT
        ):
            notes.append(
                f"trainer.callbacks: {callback['class_path']} is left out (the sweep checkpoints every trial)"
            )
    return notes


def _space(
    raw: Any,
    config: dict[str, Any],
    checkable: dict[str, Any] | None,
    checker: ConfigChecker,
    blueprint: Blueprint | None,
    flavour: str,
    model_class: type | None,
    data_class: type | None,
    mistakes: Mistakes,
) -> tuple[dict[str, Param], Conditions, dict[str, tuple[str, ...]]] | None:
    """The searched keys, each checked on its own (every mistake added to ``mistakes``; None
    when there was one). ``checkable``: the config without its own wrong values, which searched
    values are checked against (None: it does not parse, so they are checked once it does)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        mistakes.add(
            SweepError(f"got {show(raw)}; must be a mapping of searched keys", path="space")
        )
        return None
    entries: list[Entry] = []
    paths: dict[str, tuple[str, ...]] = {}
    named: dict[tuple[str, ...], str] = {}
    clean = True
    for key, body in raw.items():
        try:
            entry, path = _searched_key(
                key, body, config, named, blueprint, flavour, model_class, data_class
            )
        except SweepError as error:
            mistakes.add(error)
            clean = False
            continue
        entries.append(entry)
        paths[key] = path
    if blueprint is not None:
        entries += [
            Entry(name, f"model.builder ({name})", param, when=_blueprint_when(blueprint, name))
            for name, param in blueprint.space.items()
        ]
    if not entries:
        return ({}, NO_CONDITIONS, paths) if clean else None
    try:
        space, conditions = resolve(entries)
    except SweepError as error:
        if clean:  # otherwise it may only miss a key already reported
            mistakes.add(error)
        return None
    for key, path in paths.items() if checkable is not None else ():
        if key in conditions.lists:
            element = conditions.lists[key].element
            values = [[_representatives(element)[0]]]
        else:
            values = _representatives(space[key])
        for value in values:
            if mistakes.attempt(checker.check_value, checkable, path, value, key) is None:
                break
    return (space, conditions, paths) if clean else None


def _searched_key(
    key: Any,
    body: Any,
    config: dict[str, Any],
    named: dict[tuple[str, ...], str],
    blueprint: Blueprint | None,
    flavour: str,
    model_class: type | None,
    data_class: type | None,
) -> tuple[Entry, tuple[str, ...]]:
    """One searched key of the space: its entry and where it points in the config."""
    if not isinstance(key, str):
        raise SweepError(f"key {show(key)} is not a string", path="space")
    where = f"space.{key}"
    if blueprint is not None and key in blueprint.space:
        raise SweepError(
            f"{key!r} is asked for by the blueprint already; search it there", path=where
        )
    path = key_path(key)
    if path is None:
        raise SweepError(_not_a_path(key, config, model_class, data_class), path=where)
    if path in named:
        raise SweepError(f"names the same key as {named[path]}; keep one", path=where)
    named[path] = key
    _check_path(path, key, config, flavour, model_class, data_class)
    return parse_entry(key, body, where), path


def _blueprint_when(blueprint: Blueprint, name: str) -> dict[str, list[Any]] | None:
    conditions = blueprint.conditions.when.get(name, ())
    return {condition.parent: list(condition.values) for condition in conditions} or None


def _representatives(param: Param) -> list[Any]:
    """Values that show whether a type hint takes a key's domain: its bounds, or one value of each
    type among its choices plus the smallest and largest number."""
    if isinstance(param, (IntRange, FloatRange)):
        return [param.low, param.high]
    values = list(param.values) if isinstance(param, Choice) else param.representatives()
    values = [list(value) if isinstance(value, tuple) else value for value in values]
    picked: list[Any] = []
    seen: set[str] = set()
    for value in values:
        kind = type(value).__name__
        if kind not in seen:
            seen.add(kind)
            picked.append(value)
    numbers = [
        value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]
    if numbers:
        picked += [value for value in (min(numbers), max(numbers)) if value not in picked]
    return picked


def _not_a_path(
    key: str, config: dict[str, Any], model_class: type | None, data_class: type | None
) -> str:
    hints = []
    if model_class is not None and key in accepted_arguments(model_class):
        hints.append(f"model.init_args.{key}")
    if data_class is not None and key in accepted_arguments(data_class):
        hints.append(f"data.init_args.{key}")
    hint = f"; did you mean {' or '.join(hints)}?" if hints else ""
    return (
        "a searched key of your own model is a dotted path into its config: model.init_args.NAME, "
        f"data.init_args.NAME, trainer.NAME, optimizer.init_args.NAME{hint}"
    )


def _check_path(
    path: tuple[str, ...],
    key: str,
    config: dict[str, Any],
    flavour: str,
    model_class: type | None,
    data_class: type | None,
) -> None:
    where = f"space.{key}"
    section = path[0]
    if section == "trainer":
        name = path[1]
        if name in TOOL_TRAINER:
            raise SweepError(
                f"trainer.{name} is set by {TOOL_TRAINER[name]}, not searched", path=where
            )
        accepted = accepted_arguments(trainer_class(flavour))
        if name not in accepted:
            raise SweepError(unknown_key_message(name, accepted, "Trainer"), path=where)
        return
    if section == "model" and model_class is None:
        raise SweepError(
            "the blueprint builds the model: search its values with hp calls, not model.*",
            path=where,
        )
    klass = {"model": model_class, "data": data_class}.get(section)
    if klass is None and section in ("model", "data"):
        raise SweepError(f"{section}: names no class, so {key} points at nothing", path=where)
    if klass is None:
        entry = config.get(section)
        if not isinstance(entry, dict) or "class_path" not in entry:
            raise SweepError(
                f"{section}: is not in the config; give it (e.g. {section}: {{class_path: "
                f"{'torch.optim.AdamW' if section == 'optimizer' else 'torch.optim.lr_scheduler.StepLR'}}}) "
                "in the sweep file or a lightning_config",
                path=where,
            )
        klass = import_target(entry["class_path"], f"{section}.class_path")
    if path[1] == DICT_KWARGS:
        if not takes_keywords(klass):
            raise SweepError(
                f"{klass.__name__} takes no **kwargs, so it has no dict_kwargs; search "
                f"{section}.init_args.{path[2]}",
                path=where,
            )
        return
    accepted = accepted_arguments(klass)
    if path[2] not in accepted:
        hint = (
            f" (it takes **kwargs: give those under {section}.dict_kwargs, as LightningCLI does)"
            if takes_keywords(klass)
            else ""
        )
        raise SweepError(unknown_key_message(path[2], accepted, klass.__name__) + hint, path=where)
    _check_nested(path, key, config)


def _check_nested(path: tuple[str, ...], key: str, config: dict[str, Any]) -> None:
    """A key inside an argument that is itself a class (LightningCLI's dependency injection:
    ``model.init_args.optimizer.init_args.lr``, ``model.init_args.backbone.init_args.width``):
    each ``init_args`` level names an argument of the class its ``class_path`` gives."""
    where = f"space.{key}"
    for index in range(3, len(path) - 1):
        if path[index] != INIT_ARGS:
            continue
        argument = ".".join(path[:index])
        try:
            node = get_path(config, path[:index])
        except KeyError:
            node = None
        if not isinstance(node, dict) or not isinstance(node.get("class_path"), str):
            raise SweepError(
                f"{argument} names no class in the config (class_path), so {key} points at "
                "nothing; give it in the sweep file or a lightning_config",
                path=where,
            )
        try:
            klass = import_target(node["class_path"], where)
        except SweepError:
            return  # a short class name, resolved by the parser, which checks the value
        accepted = accepted_arguments(klass)
        if path[index + 1] not in accepted:
            raise SweepError(
                unknown_key_message(path[index + 1], accepted, klass.__name__), path=where
            )
