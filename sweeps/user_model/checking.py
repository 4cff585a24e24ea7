"""Checking a user's config with LightningCLI's own parser (jsonargparse), so that what the user's
``fit.yaml`` accepts, the sweep accepts, and nothing else.

One parser per sweep: the Trainer's arguments, the model's and data module's classes (their
subclasses in subclass mode), LightningCLI's ``optimizer`` and ``lr_scheduler``, and
``seed_everything``. Unknown keys are reported with the closest names; type errors with the key
and what its type hint expects; both as one line.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib
import inspect
import re
from typing import Any

from sweeps.errors import MAX_REPORTED, Mistakes, SweepError, first_line, show
from sweeps.user_model.config_files import LIGHTNING_KEYS
from sweeps.user_model.paths import INIT_ARGS, with_values, without_paths

# Trainer arguments the sweep sets itself, and from what.
TOOL_TRAINER = {
    "max_epochs": "stop.max_epochs",
    "min_epochs": "stop.max_epochs",
    "max_steps": "stop.max_epochs",
    "min_steps": "stop.max_epochs",
    "max_time": "stop.trial_timeout_s",
    "enable_checkpointing": "the sweep's checkpoints",
    "enable_progress_bar": "the sweep's progress table",
    "enable_model_summary": "the sweep",
    "default_root_dir": "the trial's folder",
    "accelerator": "resources.gpu",
    "devices": "resources",
    "num_nodes": "resources.workers",
    "strategy": "resources.workers",
    "check_val_every_n_epoch": "validation every epoch, for the sweep's metric",
    "fast_dev_run": "the sweep",
    "barebones": "the sweep",
}
MODEL_CHECKPOINT = (
    "ModelCheckpoint"  # the user's checkpoint callbacks: the sweep checkpoints trials itself
)


@functools.cache
def _cli(flavour: str) -> Any:
    return importlib.import_module(f"{flavour}.cli")


def trainer_class(flavour: str) -> type:
    return importlib.import_module(flavour).Trainer


@functools.cache
def accepted_arguments(klass: type) -> tuple[str, ...]:
    """The constructor arguments jsonargparse accepts for ``klass`` (``**kwargs`` passed on to a
    parent's constructor included)."""
    # Imported here: LightningCLI's parser loads only for a user's own model.
    from jsonargparse import ArgumentParser

    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(klass, "x", fail_untyped=False)
    defaults = parser.get_defaults()
    # An argument taking a class (an OptimizerCallable, an nn.Module) comes with its own
    # class_path and init_args keys: the constructor's argument is their first part.
    names = (key.split(".", 1)[0] for key in defaults.x.keys()) if "x" in defaults else ()
    return tuple(dict.fromkeys(names))


# What a DDP strategy's constructor takes that data-parallel trials decide themselves: where they
# run and how their processes start and talk (Ray Train sets up the process group).
_PLACEMENT = {
    "accelerator",
    "parallel_devices",
    "cluster_environment",
    "checkpoint_io",
    "precision_plugin",
    "process_group_backend",
    "start_method",
}


def ddp_options(strategy: Any, flavour: str) -> dict[str, Any] | None:
    """The options of the user's ``trainer.strategy`` (as written in the config) that data-parallel
    trials keep, when it is one of Lightning's DDP strategies: a registered name
    (``ddp_find_unused_parameters_true``) or a ``DDPStrategy`` by class_path with its init_args
    (``find_unused_parameters``, ``static_graph``, ...). None for any other strategy."""
    pl = importlib.import_module(flavour)
    if isinstance(strategy, str):
        registry = pl.strategies.StrategyRegistry
        if strategy not in registry or not issubclass(
            registry[strategy]["strategy"], pl.strategies.DDPStrategy
        ):
            return None
        given = registry[strategy]["init_params"]
    elif isinstance(strategy, dict) and isinstance(strategy.get("class_path"), str):
        klass = strategy["class_path"].rsplit(".", 1)[-1]
        if klass != pl.strategies.DDPStrategy.__name__:
            return None
        given = strategy.get("init_args") or {}
    else:
        return None
    return {key: value for key, value in given.items() if key not in _PLACEMENT}


def takes_keywords(klass: type[Any]) -> bool:
    """Whether ``klass``'s constructor takes ``**kwargs`` of its own (given under
    ``dict_kwargs`` in a LightningCLI config)."""
    try:
        parameters = inspect.signature(klass.__init__).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters)


def trainer_defaults(flavour: str) -> dict[str, Any]:
    # Imported here: LightningCLI's parser loads only for a user's own model.
    from jsonargparse import ArgumentParser

    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(trainer_class(flavour), "trainer", fail_untyped=False)
    return parser.get_defaults().trainer.as_dict()


def unknown_key_message(name: str, accepted: tuple[str, ...], owner: str) -> str:
    close = difflib.get_close_matches(name, accepted, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f"{owner} takes no argument {name!r}; {hint}it takes: {', '.join(accepted) or 'no arguments'}"


class _ConfigBeingBuilt:
    """What LightningCLI's instantiator of modules reads of its CLI (``_dump_config`` and
    ``config_dump``): the config being instantiated, dumped as the CLI dumps it."""

    def __init__(self, parser: Any):
        self.parser = parser
        self.namespace: Any = None
        self.config_dump: dict[str, Any] = {}

    def building(self, namespace: Any) -> None:
        self.namespace = namespace
        self.config_dump = {}

    def _dump_config(self) -> None:
        # Imported here: LightningCLI's parser (and its yaml) loads only for a user's own model.
        import yaml

        if not self.config_dump:
            text = self.parser.dump(
                self.namespace, skip_link_targets=False, skip_none=False, format="yaml"
            )
            self.config_dump = yaml.safe_load(text)


class ConfigChecker:
    """LightningCLI's parser for one sweep's classes (see the module's docstring).

    Its modules are instantiated as LightningCLI instantiates them: with LightningCLI's own
    instantiator, under which a module's ``save_hyperparameters()`` records its config
    (``class_path`` and ``init_args`` of injected optimizers and backbones) instead of the
    objects built from it, so that its checkpoints hold plain values and
    ``load_from_checkpoint`` rebuilds it as it rebuilds a LightningCLI-trained module. That
    instantiator (``_InstantiatorFn`` of Lightning's cli module) is Lightning's private class,
    used here only; tests/sweeps/user_model/test_real_projects.py fails when Lightning changes
    it."""

    def __init__(self, flavour: str, model_class: type | None, data_class: type | None):
        # Imported here: torch loads only in the processes that train or evaluate.
        import torch

        cli = _cli(flavour)
        lightning = importlib.import_module(flavour)
        self.flavour = flavour
        parser = cli.LightningArgumentParser(exit_on_error=False)
        self.built = _ConfigBeingBuilt(parser)
        for key, base in (
            ("model", lightning.LightningModule),
            ("data", lightning.LightningDataModule),
        ):
            parser.add_instantiator(
                cli._InstantiatorFn(cli=self.built, key=key), base, subclasses=True
            )
        parser.add_lightning_class_args(lightning.Trainer, "trainer")
        if model_class is not None:
            parser.add_lightning_class_args(model_class, "model", subclass_mode=True)
        if data_class is not None:
            parser.add_lightning_class_args(data_class, "data", subclass_mode=True)
        parser.add_optimizer_args((torch.optim.Optimizer,), nested_key="optimizer")
        schedulers = (
            torch.optim.lr_scheduler.LRScheduler,
            torch.optim.lr_scheduler.ReduceLROnPlateau,
        )
        parser.add_lr_scheduler_args(schedulers, nested_key="lr_scheduler")
        parser.add_argument("--seed_everything", type=bool | int, default=True)
        self.parser = parser

    def check_all(
        self, config: dict[str, Any], mistakes: Mistakes, known: tuple[tuple[str, ...], ...] = ()
    ) -> dict[str, Any] | None:
        """Every wrong value in the config, each added to ``mistakes`` (the parser stops at the
        first, so each one found is taken out and the rest parsed again); ``known``: paths
        already reported, left out unseen. Returns the config without them, to check searched
        values against, or None when it still does not parse (a required argument was among
        them)."""
        remaining = without_paths(config, known)
        taken: list[tuple[str, ...]] = []
        for _ in range(MAX_REPORTED):
            try:
                self.parser.parse_object(parseable(remaining))
                return remaining
            except Exception as error:  # jsonargparse's ArgumentError, or an import inside a class
                key, message = explain(error)
            path = tuple(key.split(".")) if key else ()
            if taken and message.startswith(REQUIRED):
                return None  # a consequence of taking a wrong value out: nothing more to learn
            mistakes.add(SweepError(message, path=key))
            if not path or path in taken or without_paths(remaining, (path,)) == remaining:
                return None
            taken.append(path)
            remaining = without_paths(remaining, (path,))
        return None

    def check_value(
        self, config: dict[str, Any], path: tuple[str, ...], value: Any, key: str
    ) -> bool:
        """A searched value at ``path``: its type hint must take it (True when it does)."""
        try:
            self.parser.parse_object(parseable(with_values(config, {path: value})))
            return True
        except Exception as error:
            _, message = explain(error)
            raise SweepError(
                f"value {show(value)} is not allowed for {'.'.join(path)}: {message}",
                path=f"space.{key}",
            ) from None

    def namespace(self, config: dict[str, Any]) -> Any:
        return self.parser.parse_object(parseable(config))

    def instantiate(self, namespace: Any) -> Any:
        self.built.building(namespace)
        return self.parser.instantiate_classes(namespace)


def parseable(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of the config (jsonargparse changes what it parses in place) without what the
    parser does not take (fit's own ``ckpt_path`` and ``weights_only``)."""
    return copy.deepcopy({key: value for key, value in config.items() if key in LIGHTNING_KEYS})


REQUIRED = "required argument missing: "
_PARSER_KEY = re.compile(r'Parser key "([^"]+)"')
_EXPECTED = re.compile(r"Expected a <class '([^']+)'>")
_GOT = re.compile(r"Got value: (.*)$", re.MULTILINE)
_GIVEN = re.compile(r"Given value: (.*)$", re.MULTILINE)
_NOT_ACCEPTED = re.compile(
    r"Option '([^']+)' is not accepted|Group '([^']+)' does not accept option '([^']+)'"
)
_REQUIRED = re.compile(r"following arguments are required: ([\w, ]+)|Key \"([^\"]+)\" is required")
# Lines of jsonargparse's nested message that only frame the one that says what is wrong.
_FRAMING = (
    "Parser key",
    "Does not validate",
    "Subtypes",
    "Errors",
    "Given value",
    "Problem with given",
    "Expected a <class 'NoneType'>",
)


def explain(error: BaseException) -> tuple[str | None, str]:
    """(the key path jsonargparse complains about, what is wrong), from its nested message: a key
    of a class's arguments is reported inside its section's ("model", then "hidden" of its
    init_args)."""
    text = str(error)
    keys = _PARSER_KEY.findall(text)
    path = [*keys[:1], *(part for key in keys[1:] for part in (INIT_ARGS, key))]
    unknown = _NOT_ACCEPTED.search(text)
    if unknown:
        option, group, group_option = unknown.groups()
        if group is not None:
            return f"{group}.{group_option}", f"unknown argument {group_option!r}"
        return ".".join(
            [*path, INIT_ARGS, option]
        ) if path else option, f"unknown argument {option!r}"
    required = _REQUIRED.search(text)
    if required:
        names = required.group(1) or required.group(2)
        return ".".join(path) or None, f"{REQUIRED}{names.strip()}"
    expected = sorted(set(_EXPECTED.findall(text)) - {"NoneType"})
    if expected:
        got = _GOT.findall(text) or _GIVEN.findall(text)
        value = got[0].strip() if got else "?"
        return ".".join(path) or None, f"expected {' or '.join(expected)}, got {value[:60]}"
    lines = [line.strip(" -") for line in text.splitlines() if line.strip(" -")]
    meaningful = [line for line in lines if not line.startswith(_FRAMING)]
    return ".".join(path) or None, (meaningful[0] if meaningful else first_line(error))[:300]
