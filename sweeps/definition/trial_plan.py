"""What every trial of a sweep shares (``TrialPlan``), and the one place where a trial's flat
Tune config becomes a shipped family's typed model and data arguments (``ShippedTrialModel``).

A trial's config holds the searched keys that apply to it (``lr``, ``data.val_fraction``, the
positions of a per-layer list ``widths[0]``, ...); the fixed arguments come from the sweep file.
Both are merged here and validated by the family's and the data set's own config classes, so a
LightningModule never reads a raw Tune dict. A user's own model is the other kind of
``TrialPlan.model`` (sweeps.user_model.trial_model.UserTrialModel), with the same methods.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightning_modules.configs.data import DataConfig
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps.sweep_file.conditions import assemble_lists
from sweeps.sweep_file.objectives import Constraint
from sweeps.sweep_file.space import DATA_PREFIX, plain
from sweeps.user_model.trainer_run import TrainerRun, TrialIdentity
from sweeps.user_model.trial_model import UserTrialModel

# The longest a trial keeps finished epochs before reporting them (with a checkpoint or a
# scheduler's decision epoch it reports at once): how live the progress and TensorBoard are.
REPORT_INTERVAL_S = 1.0


@dataclass(frozen=True)
class ShippedTrialModel:
    """A shipped family on a shipped data set, as every trial has it (plain values)."""

    family: str
    model_args: dict[str, Any]
    dataset: str
    data_args: dict[str, Any]
    seed: int  # the data split follows the sweep's seed unless the data arguments set one

    # The shipped families train in the lean loop (sweeps.trial.epoch_loop), k-fold included;
    # Lightning's Trainer only for data-parallel trials.
    lean_loop = True

    @property
    def model_name(self) -> str:
        return f"the {self.family} model"

    def arguments(self, config: dict[str, Any]) -> tuple[NetworkConfig, DataConfig]:
        """The validated (model config, data config) of one trial."""
        model_args = dict(self.model_args)
        data_args = dict(self.data_args)
        for key, value in assemble_lists(config).items():
            if key.startswith(DATA_PREFIX):
                data_args[key[len(DATA_PREFIX) :]] = plain(value)
            else:
                model_args[key] = (
                    [plain(v) for v in value] if isinstance(value, list) else plain(value)
                )
        data_config_class = DATASETS[self.dataset].config
        if "seed" in data_config_class.model_fields and data_args.get("seed") is None:
            data_args["seed"] = self.seed
        model_config = MODEL_FAMILIES[self.family].config.model_validate(model_args)
        data_config = data_config_class.model_validate(data_args)
        return model_config, data_config

    def patience_of(self, config: dict[str, Any]) -> int | None:
        """The trial's early-stopping patience (its config's early_stopping_patience)."""
        return self.arguments(config)[0].early_stopping_patience

    def prepare_process(self) -> None:
        """Nothing beyond what every trial's process is given."""

    def trainer_run(
        self, config: dict[str, Any], identity: TrialIdentity | None = None
    ) -> tuple[TrainerRun, dict[str, Any]]:
        """The family's LightningModule, data module and Trainer settings (data-parallel trials),
        and the fields its checkpoints carry (with them a checkpoint rebuilds its model and data:
        sweeps.driver.held_out_evaluation)."""
        model_config, data_config = self.arguments(config)
        if data_config.fold_count() > 1:
            raise ValueError(
                "k-fold validation trains in one process; data-parallel trials use a hold-out split"
            )
        datamodule = DATASETS[self.dataset].datamodule_class()(
            data_config,
            batch_size=model_config.batch_size,
            seed=self.seed,
        )
        model = MODEL_FAMILIES[self.family].module_class()(model_config, datamodule.info)
        fields = {"dataset": {"name": self.dataset, "config": data_config.to_stored(), "fold": 0}}
        # The shipped modules clip gradients themselves and log once per epoch.
        settings = {"num_sanity_val_steps": 0, "log_every_n_steps": 1_000_000}
        return TrainerRun("pytorch_lightning", model, datamodule, settings), fields

    def model_builder(self, config: dict[str, Any]) -> Callable[[], Any]:
        """What builds the trial's model alone. The data is read first, outside the meta device,
        which must not reach the data (nor the process's cache of it)."""
        # Imported here: the data loads torch, which only a trial's process needs.
        from lightning_modules.data.array_data import ArrayData

        model_config, data_config = self.arguments(config)
        info = ArrayData(
            DATASETS[self.dataset].arrays_source(),
            data_config,
            batch_size=model_config.batch_size,
            seed=self.seed,
        ).info
        family = MODEL_FAMILIES[self.family].training_class()
        return lambda: family(model_config, info, family=self.family)

    def arguments_json(self, config: dict[str, Any]) -> str | None:
        """The trial's full model and data arguments; None for a trial whose config is
        incomplete (one restored from damaged state)."""
        try:
            model_config, data_config = self.arguments(config)
        except ValueError:  # pydantic's ValidationError is a ValueError
            return None
        return json.dumps(
            {
                "model": model_config.model_dump(exclude_unset=True),
                "data": data_config.model_dump(exclude_unset=True),
            }
        )

    def model_and_data(
        self, config: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The model and data sections that reproduce the trial, as a sweep file writes them."""
        model_config, data_config = self.arguments(config)
        return (
            {"family": self.family, **model_config.model_dump(exclude_unset=True)},
            {"dataset": self.dataset, **data_config.model_dump(exclude_unset=True)},
        )


TrialModel = ShippedTrialModel | UserTrialModel


@dataclass(frozen=True)
class TrialPlan:
    """What every trial of a sweep shares: plain values, cheap to ship to Ray workers. ``model``
    is what it trains, of either kind, with the methods that differ between them."""

    model: TrialModel
    metric: str
    mode: str
    max_epochs: int
    checkpoint_every: int  # epochs between checkpoints; 0: only those below and the last
    seed: int
    cpus: float  # per worker with workers > 1
    gpus: float
    workers: int = 1  # data-parallel workers (Ray Train + DDP) per trial
    checkpoint_epochs: frozenset[int] = frozenset()  # epochs that must have a checkpoint
    checkpoint_interval_s: float | None = None  # the most training time between checkpoints
    report_every: int = 0  # the scheduler judges trials every N epochs (0: never)
    report_epochs: frozenset[int] = frozenset()  # ... or at these epochs
    trial_timeout_s: float | None = (
        None  # wall time of one run of a trial (from its start or restart)
    )
    stall_s: float | None = None  # the longest without an epoch (None: sweeps.trial.stall_watch)
    metrics: tuple[str, ...] = ()  # every objective's metric, the first one's (``metric``) first
    constraints: tuple[Constraint, ...] = ()
    # The sweep's name and results folder (a path or URI): a trial's identity for the user's own
    # loggers, and a Hydra project's output folder (sweeps.user_model.trainer_run.TrialIdentity).
    sweep_name: str = ""
    sweep_folder: str = ""

    @property
    def required_metrics(self) -> tuple[str, ...]:
        """What every epoch must log: the objectives' and the constraints' metrics."""
        names = dict.fromkeys((self.metric, *self.metrics))
        names.update(dict.fromkeys(constraint.metric for constraint in self.constraints))
        return tuple(names)

    def report_due(self, epoch: int, seconds_since_last: float) -> bool:
        """Whether the trial reports to Tune after ``epoch`` although it saves no checkpoint: where
        the scheduler judges trials, and otherwise once a report interval has passed."""
        return bool(
            (self.report_every and epoch % self.report_every == 0)
            or epoch in self.report_epochs
            or seconds_since_last >= REPORT_INTERVAL_S
        )

    def checkpoint_due(self, epoch: int, seconds_since_last: float) -> bool:
        """Whether the trial saves a checkpoint after ``epoch`` (besides its last epoch)."""
        return bool(
            (self.checkpoint_every and epoch % self.checkpoint_every == 0)
            or epoch in self.checkpoint_epochs
            or (
                self.checkpoint_interval_s is not None
                and seconds_since_last >= self.checkpoint_interval_s
            )
        )
