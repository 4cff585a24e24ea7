"""The sweep file, version 1: its typed form (``SweepDefinition``) and ``load_sweep``, which reads a
file, applies ``--set`` overrides and validates every key before anything starts.

    name: digits_asha                 # folder name under the storage path
    model: {family: mlp, depth: 2}    # the model family and its fixed arguments
    data: {dataset: digits}           # the data set and its fixed arguments
    space: {lr: {logfloat: [1.0e-4, 1.0e-1]}, data.val_fraction: {choice: [0.1, 0.2]}}
    metric: val_accuracy
    mode: max
    searcher: {name: random}
    scheduler: {name: asha, grace_period: 2}
    trials: {num_samples: 20, max_concurrent: 2}
    resources: {cpu: 1, gpu: 0}
    stop: {max_epochs: 15, time_budget_s: 600}
    checkpoint: {every: auto, keep: 2}  # auto: see Checkpointing
    failure: {max_retries: 1}
    seed: 0
    warm_start: {points: [{lr: 0.01}]}  # see sweeps.definition.warm_start
    loggers: {mlflow: {experiment: digits}}  # see sweeps.sweep_file.loggers

A searched key names a model argument (``lr``, or ``model.lr``) or, with the prefix ``data.``, a
data argument; keys may apply only in some trials (``when:``, per-layer lists: see
sweeps.sweep_file.conditions). A shipped family may also be named by its class path
(``model: {class_path: lightning_modules.models.mlp.MLPClassifier, init_args: {depth: 2}}``).

A sweep of the user's own LightningModule names it by class path (or a blueprint ``build(hp)``),
with ``trainer:``, ``lightning_config:`` and dotted searched keys (see sweeps.user_model.model_section);
``code:`` says how the user's project reaches a cluster (sweeps.user_model.code).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.registry import DATASETS, MODEL_FAMILIES, Dataset, ModelFamily
from sweeps.definition.argument_checks import (
    check_fixed,
    check_rules,
    check_searched,
    check_searched_list,
    data_infos,
)
from sweeps.definition.model_kinds import ModelKind, ShippedModel, UsersModel
from sweeps.definition.trial_plan import TrialPlan
from sweeps.definition.warm_start import NO_WARM_START, WarmStart, load_warm_start
from sweeps.definition.warm_start import Options as WarmStartOptions
from sweeps.errors import Mistakes, SweepError, SweepErrors, did_you_mean, show
from sweeps.schedulers import (
    SCHEDULERS,
    ScheduleProblem,
    checkpoint_schedule,
    report_schedule,
    scheduler_module,
)
from sweeps.searchers import SEARCHERS, SearchProblem, searcher_module
from sweeps.sweep_file.conditions import NO_CONDITIONS, Conditions, parse_entry, resolve
from sweeps.sweep_file.loggers import NO_LOGGERS, LoggerOptions, check_usable
from sweeps.sweep_file.objectives import (
    Constraint,
    Objective,
    check_known,
    load_constraints,
    load_objectives,
)
from sweeps.sweep_file.pydantic_errors import validate_section
from sweeps.sweep_file.space import DATA_PREFIX, Param, grid_size
from sweeps.sweep_file.yaml_loading import key_positions, parse_yaml, read_yaml_file
from sweeps.user_model.code import CodeOptions, load_code_options
from sweeps.user_model.hydra_section import load_hydra_model
from sweeps.user_model.model_section import is_user_model, load_user_model
from typed_config.base import ArgsModel

TOP_LEVEL_KEYS = (
    "name",
    "model",
    "data",
    "trainer",
    "lightning_config",
    "optimizer",
    "lr_scheduler",
    "space",
    "metric",
    "mode",
    "constraints",
    "searcher",
    "scheduler",
    "trials",
    "resources",
    "stop",
    "checkpoint",
    "failure",
    "seed",
    "warm_start",
    "code",
    "loggers",
    "hydra",
)
REQUIRED_KEYS = ("name", "metric", "mode")  # and model, unless a lightning_config names it
USER_MODEL_KEYS = (
    "trainer",
    "lightning_config",
    "optimizer",
    "lr_scheduler",
    "hydra",
)  # a user's own model only
# A sweep name becomes one folder: letters, digits, '_', '-', '.'; no separators, no leading dot.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class Trials(ArgsModel):
    num_samples: int = Field(
        1, ge=1, le=100_000, description="samples of the space (times the grid)"
    )
    max_concurrent: int | None = Field(
        None, ge=1, le=10_000, description="default: as resources allow"
    )


class Resources(ArgsModel):
    """What one trial needs. With ``workers`` > 1 a trial trains data-parallel (DDP) over that many
    Ray workers, and ``cpu`` and ``gpu`` are what each worker gets."""

    cpu: float = Field(1.0, gt=0.0, le=1024.0)
    gpu: float = Field(0.0, ge=0.0, le=64.0)
    workers: int = Field(
        1,
        ge=1,
        le=1024,
        description="data-parallel workers per trial (DDP); cpu and gpu are per worker",
    )

    @model_validator(mode="after")
    def _one_gpu_per_process(self) -> Resources:
        # A trial's process (or each of its DDP workers) drives one device; more GPUs for one
        # trial means more workers, never a bigger share that would sit idle.
        if self.gpu > 1:
            raise ValueError(
                f"gpu {self.gpu:g}: each trial process drives at most one GPU; for data-parallel "
                f"training over several GPUs use gpu: 1 and workers: N"
            )
        if self.workers > 1 and 0 < self.gpu < 1:
            raise ValueError(
                f"gpu {self.gpu:g} with workers {self.workers}: data-parallel workers need a whole GPU each "
                "(two DDP ranks cannot share one GPU); use gpu: 1, or workers: 1 to pack trials onto a GPU"
            )
        return self


class Stop(ArgsModel):
    max_epochs: int = Field(10, ge=1, le=1_000_000)
    time_budget_s: float | None = Field(None, gt=0.0, le=10 * 365 * 86400)
    trial_timeout_s: float | None = Field(
        None,
        gt=0.0,
        le=10 * 365 * 86400,
        description="end a trial (as timed_out) that runs or hangs longer than this",
    )
    stall_s: float | None = Field(
        None,
        gt=0.0,
        le=10 * 365 * 86400,
        description="fail a trial (retried per failure) whose processes finish no epoch in this "
        "long; default: 600 s for the set-up and first epoch, then 10 times the slowest epoch "
        "(at least 120 s)",
    )
    target: float | None = Field(
        None, allow_inf_nan=False, description="end the sweep once a trial's metric reaches it"
    )
    plateau_trials: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="end the sweep after this many trials end without the best improving",
    )
    plateau_min_delta: float = Field(
        0.0, ge=0.0, allow_inf_nan=False, description="smallest change that counts as improving"
    )
    epoch_budget: int | None = Field(
        None,
        ge=1,
        le=10**9,
        description="end the sweep once its trials have trained this many epochs in all",
    )

    @model_validator(mode="after")
    def _delta_needs_plateau(self) -> Stop:
        if "plateau_min_delta" in self.model_fields_set and self.plateau_trials is None:
            raise ValueError("plateau_min_delta applies only with plateau_trials")
        return self


class Checkpointing(ArgsModel):
    """When trials save checkpoints. ``every: N`` saves every N epochs. ``auto`` (the default)
    saves only what is needed: at the epochs where the scheduler acts on a trial (ASHA's rungs,
    PBT's perturbations; every epoch under HyperBand, which pauses trials), and otherwise at least
    every ``interval_s`` seconds of training, so a failure loses at most that much of a trial's
    work while short epochs are not slowed by a checkpoint each. The last epoch always has one."""

    every: int | Literal["auto"] = Field("auto", description="epochs between checkpoints, or auto")

    @field_validator("every", mode="before")
    @classmethod
    def _auto_or_epochs(cls, every: Any) -> Any:
        if every == "auto" or (type(every) is int and 1 <= every <= 1_000_000):
            return every
        raise ValueError("must be auto or a whole number of epochs from 1 to 1000000")

    interval_s: float = Field(
        60.0,
        gt=0,
        le=1e7,
        description="with every: auto, the most training time between checkpoints",
    )
    keep: int | None = Field(
        2, ge=1, le=10_000, description="best checkpoints kept per trial; null keeps all"
    )


class Failure(ArgsModel):
    max_retries: int = Field(
        0, ge=0, le=1000, description="restarts of a failed trial from its last checkpoint"
    )


@dataclass(frozen=True)
class SweepDefinition:
    """A validated sweep. ``raw`` is the file's content after overrides, kept to record and
    compare sweeps (``sweep.yaml`` in the results)."""

    name: str
    model: ModelKind  # what the sweep trains: a shipped family on its data, or the user's own
    space: dict[str, Param]  # per-layer lists as one key per position: widths[0], widths[1], ...
    conditions: Conditions  # which searched keys apply in which trials
    metric: str  # the first objective's (the one that leads: see sweeps.sweep_file.objectives)
    mode: Literal["min", "max"]
    searcher_name: str
    searcher: ArgsModel
    scheduler_name: str
    scheduler: ArgsModel
    trials: Trials
    resources: Resources
    stop: Stop
    checkpoint: Checkpointing
    failure: Failure
    seed: int
    source: str
    raw: dict[str, Any] = field(repr=False)
    warm_start: WarmStart = NO_WARM_START
    code: CodeOptions | None = None  # how the user's project reaches a cluster's nodes
    objectives: tuple[Objective, ...] = ()  # every objective, the first one leading
    constraints: tuple[Constraint, ...] = ()
    loggers: LoggerOptions = NO_LOGGERS  # the user's experiment trackers (sweeps.trackers)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(objective.metric for objective in self.objectives)

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(objective.mode for objective in self.objectives)

    @property
    def several_objectives(self) -> bool:
        return len(self.objectives) > 1

    @property
    def model_name(self) -> str:
        return self.model.model_name

    @property
    def logged_metrics(self) -> tuple[str, ...]:
        """What every trial reports each epoch (k-fold trials add the spread of the metric). A
        user's module logs what it logs: those are found in its results."""
        return self.model.logged_metrics(self.metric, self.space)

    @property
    def trial_count(self) -> int:
        choices_are_grid = searcher_module(self.searcher_name).TRAITS.choices_are_grid
        return self.trials.num_samples * grid_size(self.space, choices_are_grid)

    def model_keys(self) -> list[str]:
        return [key for key in self.space if not key.startswith(DATA_PREFIX)]

    def data_keys(self) -> list[str]:
        return [key for key in self.space if key.startswith(DATA_PREFIX)]

    def trial_plan(self, sweep_folder: str = "") -> TrialPlan:
        """What every trial of this sweep shares (``sweep_folder``: its results, a path or URI)."""
        every, epochs, interval_s = self.checkpoint_schedule()
        report_every, report_epochs = self.report_schedule()
        return TrialPlan(
            model=self.model.trial_model(self.seed),
            metric=self.metric,
            mode=self.mode,
            max_epochs=self.stop.max_epochs,
            checkpoint_every=every,
            checkpoint_epochs=epochs,
            checkpoint_interval_s=interval_s,
            seed=self.seed,
            cpus=self.resources.cpu,
            gpus=self.resources.gpu,
            workers=self.resources.workers,
            report_every=report_every,
            report_epochs=report_epochs,
            trial_timeout_s=self.stop.trial_timeout_s,
            stall_s=self.stop.stall_s,
            metrics=self.metrics,
            constraints=self.constraints,
            sweep_name=self.name,
            sweep_folder=sweep_folder,
        )

    def checkpoint_schedule(self) -> tuple[int, frozenset[int], float | None]:
        """When this sweep's trials checkpoint (sweeps.schedulers.checkpoint_schedule)."""
        return checkpoint_schedule(self.scheduler_name, self.scheduler, self.schedule_problem())

    def report_schedule(self) -> tuple[int, frozenset[int]]:
        """Where this sweep's trials report at once (sweeps.schedulers.report_schedule)."""
        return report_schedule(self.scheduler_name, self.scheduler, self.schedule_problem())

    def search_problem(self) -> SearchProblem:
        """What the searcher is given of this sweep."""
        return SearchProblem(
            space=self.space,
            conditions=self.conditions,
            metric=self.metric,
            mode=self.mode,
            seed=self.seed,
            max_concurrent=self.trials.max_concurrent,
            points=self.warm_start.points,
            learned=self.warm_start.learned,
            scheduler_name=self.scheduler_name,
            objectives=self.objectives,
            constraints=self.constraints,
            trial_count=self.trial_count,
        )

    def schedule_problem(self) -> ScheduleProblem:
        """What the scheduler is given of this sweep."""
        return ScheduleProblem(
            space=self.space,
            conditional_keys=frozenset(self.conditions.when),
            mutable_keys=self.model.mutable_keys(self.space),
            users_model=self.model.is_users_own,
            max_epochs=self.stop.max_epochs,
            checkpoint_every=self.checkpoint.every,
            checkpoint_keep=self.checkpoint.keep,
            checkpoint_interval_s=self.checkpoint.interval_s,
            max_concurrent=self.trials.max_concurrent,
            trial_count=self.trial_count,
            searcher_name=self.searcher_name,
            several_objectives=self.several_objectives,
        )


SHIPPED_SWEEPS = Path(__file__).resolve().parents[1]  # the sweep files installed with the package


def find_sweep_file(argument: str | Path) -> str:
    """The sweep file as given or, when there is no such file here, the shipped sweep of that
    name (``sweeps/digits_asha.yaml``, ``digits_asha.yaml`` or ``digits_asha``) as installed with
    the package, so the shipped sweeps run from any folder."""
    if Path(argument).exists():
        return str(argument)
    shipped = SHIPPED_SWEEPS / Path(argument).name
    for candidate in (shipped, shipped.with_name(shipped.name + ".yaml")):
        if candidate.is_file():
            return str(candidate)
    return str(argument)


def load_sweep(
    path: str | Path, overrides: list[str] | None = None, name: str | None = None
) -> SweepDefinition:
    """Read, override and validate a sweep file. Raises SweepError with file and key path."""
    path = Path(path)
    raw = read_yaml_file(path)
    try:
        return sweep_from_dict(raw, source=str(path), overrides=overrides or [], name=name)
    except SweepError as error:
        # Line and column only for keys the file holds: a --set override has none there.
        positions = key_positions(path.read_text(encoding="utf-8"))
        raise _placed_in_file(error, str(path), positions) from None


def _placed_in_file(
    error: SweepError, source: str, positions: dict[str, tuple[int, int]]
) -> SweepError:
    placed = [one.placed(positions) if one.where == source else one for one in error.every]
    return SweepErrors(placed) if len(placed) > 1 else placed[0]


def sweep_from_dict(
    raw: Any, source: str, overrides: list[str] | None = None, name: str | None = None
) -> SweepDefinition:
    overrides = overrides or []
    if not isinstance(raw, dict):
        what = "empty" if raw is None else f"a {type(raw).__name__}"
        raise SweepError(
            f"the file is {what}; a sweep file is a mapping with keys: {', '.join(TOP_LEVEL_KEYS)}",
            where=source,
        )
    raw = copy.deepcopy(raw)
    mistakes = Mistakes()
    applied = [
        key for key in (mistakes.attempt(_apply_override, raw, text) for text in overrides) if key
    ]
    if name is not None:
        raw["name"] = name
        applied.append("name")
    try:
        spec = _build_spec(raw, source)
    except SweepError as error:
        for one in error.every:
            mistakes.add(one.located(_culprit(one, applied, source, name)))
    mistakes.raise_if_any()
    return spec


def _culprit(error: SweepError, applied: list[str], source: str, name: str | None) -> str:
    """Where a mistake was made: the file, a --set override that wrote the key, or --name."""
    culprit = next(
        (
            key
            for key in applied
            if error.path and (error.path == key or error.path.startswith((key + ".", key + "[")))
        ),
        None,
    )
    if culprit == "name" and name is not None:
        return "--name"
    return f"{source} (after --set {culprit})" if culprit else source


def _apply_override(raw: dict[str, Any], text: str) -> str:
    """Apply ``KEY=VALUE`` to ``raw``: KEY is a dotted path, VALUE is read as YAML."""
    key, sep, value_text = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SweepError(
            f"got {show(text)}; write KEY=VALUE, e.g. trials.num_samples=4", where="--set"
        )
    parts = key.split(".")
    if parts[0] == "space" and len(parts) > 2:
        # A searched key may itself contain a dot (data.val_fraction): it is one part.
        parts = ["space", ".".join(parts[1:])]
    if any(not part for part in parts):
        raise SweepError(f"key {show(key)} has an empty part", where="--set")
    if parts[0] not in TOP_LEVEL_KEYS:
        raise SweepError(
            f"unknown key {show(parts[0])}{did_you_mean(parts[0], TOP_LEVEL_KEYS)} (top-level keys are: "
            f"{', '.join(TOP_LEVEL_KEYS)})",
            where="--set",
        )
    value = parse_yaml(value_text, where=f"--set {key}")
    target = raw
    for depth, part in enumerate(parts[:-1]):
        child = target.get(part)
        if child is None:
            child = target[part] = {}
        if not isinstance(child, dict):
            prefix = ".".join(parts[: depth + 1])
            raise SweepError(
                f"cannot set {key}: {prefix} is {show(child)}, not a mapping", where="--set"
            )
        target = child
    target[parts[-1]] = value
    return key


def _build_spec(raw: dict[str, Any], source: str) -> SweepDefinition:
    """Every section is checked, and every mistake found is reported at once: a section that
    depends on another (the space on the model) is checked when that one could be read."""
    mistakes = Mistakes()
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            mistakes.add(
                SweepError(
                    f"unknown key{did_you_mean(key, TOP_LEVEL_KEYS)} (top-level keys are: "
                    f"{', '.join(TOP_LEVEL_KEYS)})",
                    path=str(key)[:60],
                )
            )
    for key in REQUIRED_KEYS:
        if key not in raw:
            mistakes.add(SweepError("required key is missing", path=key))
    raw = {key: value for key, value in raw.items() if key in TOP_LEVEL_KEYS}
    raw = mistakes.attempt(_shipped_class_paths, raw) or raw
    if is_user_model(raw):
        return _user_model_spec(raw, source, mistakes)
    for key in USER_MODEL_KEYS:
        if key in raw:
            mistakes.add(
                SweepError(
                    f"{key}: applies to your own LightningModule (model: {{class_path: ...}}); the "
                    "shipped families take their training settings under model:",
                    path=key,
                )
            )
    for key in ("model", "data"):
        if key not in raw:
            mistakes.add(SweepError("required key is missing", path=key))

    name = mistakes.attempt(_check_name, raw["name"]) if "name" in raw else None
    before = len(mistakes.found)
    family = (
        mistakes.attempt(
            _registered_entry, raw["model"], "model", "family", "family", MODEL_FAMILIES
        )
        if "model" in raw
        else None
    )
    dataset = (
        mistakes.attempt(_registered_entry, raw["data"], "data", "dataset", "data set", DATASETS)
        if "data" in raw
        else None
    )
    model_args = (
        mistakes.attempt(_entry_args, family, raw["model"], "model", "family") if family else None
    )
    data_args = (
        mistakes.attempt(_entry_args, dataset, raw["data"], "data", "dataset") if dataset else None
    )
    space, conditions, infos = {}, NO_CONDITIONS, None
    if family is not None and dataset is not None:
        found = mistakes.attempt(
            _space_section,
            _shipped_space_keys(raw.get("space")),
            family,
            model_args or {},
            dataset,
            data_args or {},
        )
        if found is not None:
            space, conditions = found
        data_space = {
            key[len(DATA_PREFIX) :]: param
            for key, param in space.items()
            if key.startswith(DATA_PREFIX)
        }
        if len(mistakes.found) == before:
            mistakes.attempt(
                check_rules,
                dataset.config,
                data_args,
                space,
                "data",
                [None],
                DATA_PREFIX,
                conditions,
            )
        if len(mistakes.found) == before:
            infos = mistakes.attempt(data_infos, dataset.config, data_args, data_space)
        else:
            infos = _default_data_infos(dataset)
        if len(mistakes.found) == before and infos is not None:
            mistakes.attempt(
                _check_model_rules, family, model_args, dataset, space, conditions, infos
            )
    goals = mistakes.attempt(_goals, raw)
    if goals is not None and family is not None and infos is not None:
        for info in infos:
            mistakes.attempt(check_known, *goals, family.metrics(info), f"the {family.name} model")
    plugins = mistakes.attempt(_plugins, raw)
    seed = mistakes.attempt(_seed, raw)
    settings = _run_settings(raw, mistakes)
    code = mistakes.attempt(load_code_options, raw.get("code"))
    mistakes.raise_if_any()
    # Each was read: raise_if_any has reported anything that could not be.
    assert name is not None and model_args is not None and data_args is not None
    assert infos is not None and family is not None and dataset is not None
    searcher_name, searcher, scheduler_name, scheduler = plugins
    objectives, constraints = goals

    code = load_code_options(raw.get("code"))
    spec = SweepDefinition(
        name=name,
        model=ShippedModel(family, model_args, dataset, data_args, infos[0]),
        space=space,
        conditions=conditions,
        metric=objectives[0].metric,
        mode=objectives[0].mode,
        searcher_name=searcher_name,
        searcher=searcher,
        scheduler_name=scheduler_name,
        scheduler=scheduler,
        **settings,
        seed=seed,
        source=source,
        raw=raw,
        code=code,
        objectives=objectives,
        constraints=constraints,
    )
    _check_folds_train_in_one_process(spec, data_args)
    return _with_plugins_checked(spec, raw)


def _default_data_infos(dataset: Dataset) -> list[DataInfo] | None:
    """The data's shape from its defaults, when its own arguments have mistakes: enough to check
    the metric's name against the model, while the rules over several keys wait for them."""
    try:
        return data_infos(dataset.config, {}, {})
    except Exception:  # the defaults need not describe any data (a table without its path)
        return None


def _check_model_rules(
    family: ModelFamily,
    model_args: dict[str, Any],
    dataset: Dataset,
    space: dict[str, Param],
    conditions: Conditions,
    infos: list[DataInfo],
) -> None:
    """Whether the model takes this kind of data, and its rules over several keys."""
    for info in infos:
        if info.kind not in family.config.data_kinds:
            raise SweepError(
                f"the {family.name} model takes {' or '.join(family.config.data_kinds)} data; "
                f"this {dataset.name} data is {info.kind}",
                path="data",
            )
    check_rules(family.config, model_args, space, "model", infos, "", conditions)


def _check_folds_train_in_one_process(spec: SweepDefinition, data_args: dict[str, Any]) -> None:
    kfold = data_args.get("validation") == "kfold" or (
        f"{DATA_PREFIX}validation" in spec.space
        and "kfold" in spec.space[f"{DATA_PREFIX}validation"].representatives()
    )
    if kfold and spec.resources.workers > 1:
        raise SweepError(
            f"k-fold validation trains its fold models in lockstep in one process; data-parallel trials (workers "
            f"{spec.resources.workers}) use a hold-out split (data.validation: holdout), or set workers: 1",
            path="resources.workers",
        )


def _user_model_spec(raw: dict[str, Any], source: str, mistakes: Mistakes) -> SweepDefinition:
    """A sweep of the user's own LightningModule (see sweeps.user_model.model_section)."""
    name = mistakes.attempt(_check_name, raw["name"]) if "name" in raw else None
    seed = mistakes.attempt(_seed, raw)
    load = load_hydra_model if "hydra" in raw else load_user_model
    user = mistakes.attempt(load, raw, seed if "seed" in raw else None)
    goals = mistakes.attempt(_goals, raw)
    if goals is not None:
        mistakes.attempt(check_known, *goals, None, "the module")
    plugins = mistakes.attempt(_plugins, raw)
    settings = _run_settings(raw, mistakes)
    code = mistakes.attempt(load_code_options, raw.get("code"))
    mistakes.raise_if_any()
    assert name is not None  # a required key: raise_if_any has reported it missing
    searcher_name, searcher, scheduler_name, scheduler = plugins
    spec = SweepDefinition(
        name=name,
        model=UsersModel(user),
        space=user.space,
        conditions=user.conditions,
        metric=goals[0][0].metric,
        mode=goals[0][0].mode,
        searcher_name=searcher_name,
        searcher=searcher,
        scheduler_name=scheduler_name,
        scheduler=scheduler,
        **settings,
        seed=user.recipe.seed,
        source=source,
        raw=raw,
        code=code,
        objectives=goals[0],
        constraints=goals[1],
    )
    return _with_plugins_checked(spec, raw)


def _with_plugins_checked(spec: SweepDefinition, raw: dict[str, Any]) -> SweepDefinition:
    """The searcher's and scheduler's checks against the whole sweep, and the warm start."""
    searcher_name, space, conditions, mode = (
        spec.searcher_name,
        spec.space,
        spec.conditions,
        spec.mode,
    )
    _check_searcher_handles_conditions(spec)
    _check_several_objectives(spec)
    searcher_module(searcher_name).check(spec.searcher, spec.search_problem())
    spec = _with_scheduler_defaults(spec)
    scheduler_module(spec.scheduler_name).check(spec.scheduler, spec.schedule_problem())
    warm_start = load_warm_start(
        validate_section(WarmStartOptions, raw.get("warm_start"), "warm_start"),
        space,
        conditions,
        spec.metrics,
        mode,
        searcher_module(searcher_name),
        searcher_name,
        spec.trial_count,
    )
    return dataclasses.replace(spec, warm_start=warm_start)


def _check_several_objectives(spec: SweepDefinition) -> None:
    """A searcher or scheduler that ranks trials by one number says why it cannot take several
    objectives (its ``TRAITS.one_objective``); the others act on the first one."""
    if not spec.several_objectives:
        return
    for section, name, module in (
        ("searcher", spec.searcher_name, searcher_module(spec.searcher_name)),
        ("scheduler", spec.scheduler_name, scheduler_module(spec.scheduler_name)),
    ):
        why = module.TRAITS.one_objective
        if why:
            raise SweepError(
                f"{name} takes one objective, and this sweep has {len(spec.objectives)}: {why}",
                path=f"{section}.name",
            )


def _with_scheduler_defaults(spec: SweepDefinition) -> SweepDefinition:
    """The scheduler's defaults for what the sweep did not write (sweeps.schedulers): its own
    options fitted to the sweep, and the checkpoints it needs kept."""
    module = scheduler_module(spec.scheduler_name)
    keep = module.TRAITS.checkpoint_keep
    if keep is not None and "keep" not in spec.checkpoint.model_fields_set:
        spec = dataclasses.replace(
            spec, checkpoint=spec.checkpoint.model_copy(update={"keep": keep})
        )
    fitted = getattr(module, "fitted", None)
    if fitted is not None:
        spec = dataclasses.replace(spec, scheduler=fitted(spec.scheduler, spec.schedule_problem()))
    return spec


def _run_settings(raw: dict[str, Any], mistakes: Mistakes) -> dict[str, Any]:
    """The sections every sweep has, whatever its model: trials, resources, stop, checkpoint, failure."""
    settings = {
        section: mistakes.attempt(validate_section, model, raw.get(section), section)
        for section, model in (
            ("trials", Trials),
            ("resources", Resources),
            ("stop", Stop),
            ("checkpoint", Checkpointing),
            ("failure", Failure),
        )
    }
    settings["loggers"] = mistakes.attempt(_loggers, raw.get("loggers"))
    return settings


def _loggers(raw: Any) -> LoggerOptions:
    if raw is None:
        return NO_LOGGERS
    if isinstance(raw, dict):  # ``mlflow:`` with nothing under it takes every default
        raw = {name: {} if value is None else value for name, value in raw.items()}
    options = validate_section(LoggerOptions, raw, "loggers")
    check_usable(options)
    return options


def _goals(raw: dict[str, Any]) -> tuple[tuple[Objective, ...], tuple[Constraint, ...]] | None:
    """The objectives (``metric:``, ``mode:``) and ``constraints:``; None without a metric or a
    mode (reported with the other required keys)."""
    if "metric" not in raw or "mode" not in raw:
        return None
    return load_objectives(raw["metric"], raw["mode"]), load_constraints(raw.get("constraints"))


def _seed(raw: dict[str, Any]) -> int:
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**32 - 1:
        raise SweepError(f"got {show(seed)}; must be an integer from 0 to {2**32 - 1}", path="seed")
    return seed


def _plugins(raw: dict[str, Any]) -> tuple[str, ArgsModel, str, ArgsModel]:
    searcher_name, searcher = _plugin_section(
        raw.get("searcher"), "searcher", SEARCHERS, searcher_module, "random"
    )
    # A searcher that needs its own scheduler (bohb: HyperBand) gets it unless one is named.
    default_scheduler = searcher_module(searcher_name).TRAITS.scheduler
    scheduler_name, scheduler = _plugin_section(
        raw.get("scheduler"), "scheduler", SCHEDULERS, scheduler_module, default_scheduler
    )
    return searcher_name, searcher, scheduler_name, scheduler


def _shipped_class_paths(raw: dict[str, Any]) -> dict[str, Any]:
    """A shipped family or data set named by its class path, as its short name: the same sweep."""
    result = raw
    for section, key, registry in (
        ("model", "family", MODEL_FAMILIES),
        ("data", "dataset", DATASETS),
    ):
        value = raw.get(section)
        if not isinstance(value, dict) or not isinstance(value.get("class_path"), str):
            continue
        target = value["class_path"].replace(":", ".")
        name = next(
            (
                entry.name
                for entry in registry.values()
                if entry.implementation.replace(":", ".") == target
            ),
            None,
        )
        if name is None:
            continue
        extra = [k for k in value if k not in ("class_path", "init_args")]
        if extra:
            raise SweepError(
                f"unknown key {show(extra[0])} beside class_path; allowed: class_path, init_args",
                path=f"{section}.{extra[0]}",
            )
        init_args = value.get("init_args") or {}
        if not isinstance(init_args, dict):
            raise SweepError(
                f"got {show(init_args)}; init_args is a mapping", path=f"{section}.init_args"
            )
        result = {**result, section: {key: name, **init_args}}
    return result


def _check_searcher_handles_conditions(spec: SweepDefinition) -> None:
    if spec.conditions and not searcher_module(spec.searcher_name).TRAITS.conditional:
        key = next(iter(spec.conditions.when))
        raise SweepError(
            f"{key} applies only in some trials; the {spec.searcher_name} searcher cannot skip keys, "
            "so use searcher random, tpe or gp",
            path="searcher.name",
        )


def _check_name(name: Any) -> str:
    # fullmatch: with match, '$' would also accept a name ending in a newline.
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise SweepError(
            f"got {show(name)}; a sweep name is 1-100 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (it becomes a folder name)",
            path="name",
        )
    return name


def _registered_entry(raw: Any, section: str, key: str, what: str, registry: dict[str, Any]) -> Any:
    """The registered family or data set a section names by ``key``."""
    if not isinstance(raw, dict):
        raise SweepError(
            f"got {show(raw)}; must be a mapping with '{key}' and its fixed arguments", path=section
        )
    name = raw.get(key)
    if name is None:
        raise SweepError(
            f"required key is missing; must be one of: {', '.join(registry)}",
            path=f"{section}.{key}",
        )
    if not isinstance(name, str) or name not in registry:  # a list or mapping here is unhashable
        raise SweepError(
            f"unknown {what} {show(name)}{did_you_mean(name, registry) if isinstance(name, str) else ''}; "
            f"must be one of: {', '.join(registry)}",
            path=f"{section}.{key}",
        )
    return registry[name]


def _entry_args(entry: Any, raw: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    """The section's fixed arguments, each checked against the entry's config."""
    args = {name: value for name, value in raw.items() if name != key}
    check_fixed(entry.config, args, section)
    if section == "data":
        args = entry.config.resolve(args)
    return args


def _shipped_key(key: Any) -> Any:
    """A shipped family's searched key written as a path into its config, as a user's model's
    keys are (``model.lr``, ``model.init_args.lr``, ``data.init_args.val_fraction``), in its
    short form (``lr``, ``data.val_fraction``)."""
    if not isinstance(key, str):
        return key
    for prefix, short in (
        ("model.init_args.", ""),
        ("model.", ""),
        ("data.init_args.", DATA_PREFIX),
    ):
        if key.startswith(prefix) and len(key) > len(prefix):
            return short + key[len(prefix) :]
    return key


def _shipped_space_keys(raw: Any) -> Any:
    """The space with every key (and every key a when: or length: names) in its short form."""
    if not isinstance(raw, dict):
        return raw
    space: dict[Any, Any] = {}
    for key, body in raw.items():
        short = _shipped_key(key)
        if short in space:
            written = next(other for other in raw if _shipped_key(other) == short)
            raise SweepError(f"names the same key as {written}; keep one", path=f"space.{key}")
        if isinstance(body, dict):
            body = dict(body)
            if isinstance(body.get("when"), dict):
                body["when"] = {
                    _shipped_key(parent): values for parent, values in body["when"].items()
                }
            if "length" in body:
                body["length"] = _shipped_key(body["length"])
        space[short] = body
    return space


def _space_section(
    raw: Any,
    family: ModelFamily,
    model_args: dict[str, Any],
    dataset: Dataset,
    data_args: dict[str, Any],
) -> tuple[dict[str, Param], Conditions]:
    if raw is None:
        return {}, NO_CONDITIONS
    if not isinstance(raw, dict):
        raise SweepError(f"got {show(raw)}; must be a mapping of searched keys", path="space")
    entries = []
    mistakes = Mistakes()
    for key, body in raw.items():
        entry = mistakes.attempt(_space_entry, key, body, family, model_args, dataset, data_args)
        if entry is not None:
            entries.append(entry)
    mistakes.raise_if_any()
    space, conditions = resolve(entries)
    for name, layer_list in conditions.lists.items():
        check_searched_list(
            family.config,
            name,
            layer_list.element,
            len(layer_list.elements),
            f"the {family.name} model",
            f"space.{name}",
        )
    return space, conditions


def _space_entry(
    key: Any,
    body: Any,
    family: ModelFamily,
    model_args: dict[str, Any],
    dataset: Dataset,
    data_args: dict[str, Any],
) -> Any:
    """One searched key, checked against the argument it names."""
    if not isinstance(key, str):
        raise SweepError(f"key {show(key)} is not a string", path="space")
    path = f"space.{key}"
    config: type[ArgsModel]
    if key.startswith(DATA_PREFIX):
        argument, config, fixed, owner = (
            key[len(DATA_PREFIX) :],
            dataset.config,
            data_args,
            f"the {dataset.name} data set",
        )
        section = "data"
    else:
        argument, config, fixed, owner = key, family.config, model_args, f"the {family.name} model"
        section = "model"
    if argument not in config.model_fields:
        hint = "" if section == "data" else f" (data arguments take the prefix '{DATA_PREFIX}')"
        raise SweepError(
            f"{owner} has no argument {show(argument)}; it accepts: {', '.join(sorted(config.model_fields))}{hint}",
            path=path,
        )
    if argument in fixed:
        raise SweepError(
            f"{argument!r} is both fixed under {section}: and searched; keep one", path=path
        )
    entry = parse_entry(key, body, path)
    if entry.is_list and section == "data":
        raise SweepError("per-layer lists are for model arguments", path=path)
    if not entry.is_list:
        check_searched(config, argument, entry.param, owner, path)
    return entry


def _plugin_section(
    raw: Any, section: str, registry: dict[str, str], loader: Any, default: str
) -> tuple[str, ArgsModel]:
    if raw is None:
        raw = {"name": default}
    if not isinstance(raw, dict):
        raise SweepError(
            f"got {show(raw)}; must be a mapping with 'name' and its options", path=section
        )
    options = dict(raw)
    name = options.pop("name", None)
    if not isinstance(name, str) or name not in registry:  # a list or mapping here is unhashable
        what = "required key is missing" if name is None else f"unknown {section} {show(name)}"
        raise SweepError(f"{what}; must be one of: {', '.join(registry)}", path=f"{section}.name")
    return name, validate_section(loader(name).Options, options, section)
