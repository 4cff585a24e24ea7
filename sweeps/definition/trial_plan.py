"""The one place where a trial's flat Tune config becomes typed model and data arguments.

A trial's config holds the searched keys that apply to it (``lr``, ``data.val_fraction``, the
positions of a per-layer list ``widths[0]``, ...); the fixed arguments come from the sweep file.
Both are merged here and validated by the family's and the data set's own config classes, so a
LightningModule never reads a raw Tune dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lightning_modules.configs.data import DataConfig
from lightning_modules.configs.network import NetworkConfig
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from sweeps.schedulers import checkpoint_schedule, report_schedule
from sweeps.sweep_file.conditions import assemble_lists
from sweeps.sweep_file.objectives import Constraint
from sweeps.sweep_file.space import DATA_PREFIX, plain
from sweeps.user_model.plan import UserPlan

if TYPE_CHECKING:
    from sweeps.definition import SweepDefinition

# The longest a trial keeps finished epochs before reporting them (with a checkpoint or a
# scheduler's decision epoch it reports at once): how live the progress and TensorBoard are.
REPORT_INTERVAL_S = 1.0


@dataclass(frozen=True)
class TrialPlan:
    """What every trial of a sweep shares: plain values, cheap to ship to Ray workers. A sweep of
    a shipped family names it and its data set (``family``, ``dataset``); one of the user's own
    model carries ``user`` instead."""

    family: str
    model_args: dict[str, Any]
    dataset: str
    data_args: dict[str, Any]
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
    user: UserPlan | None = None
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

    @property
    def model_name(self) -> str:
        return self.user.model_name if self.user is not None else f"the {self.family} model"

    def patience_of(self, config: dict[str, Any]) -> int | None:
        """The trial's early-stopping patience (a shipped family's early_stopping_patience; a
        user's module stops itself, with Lightning's EarlyStopping callback)."""
        if self.user is not None:
            return None
        return trial_arguments(self, config)[0].early_stopping_patience

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

    @classmethod
    def from_spec(cls, spec: SweepDefinition, sweep_folder: str = "") -> TrialPlan:

        every, epochs, interval_s = checkpoint_schedule(spec)
        report_every, report_epochs = report_schedule(spec)
        return cls(
            family=spec.family.name if spec.family else "",
            model_args=dict(spec.model_args),
            dataset=spec.dataset.name if spec.dataset else "",
            data_args=dict(spec.data_args),
            metric=spec.metric,
            mode=spec.mode,
            max_epochs=spec.stop.max_epochs,
            checkpoint_every=every,
            checkpoint_epochs=epochs,
            checkpoint_interval_s=interval_s,
            seed=spec.seed,
            cpus=spec.resources.cpu,
            gpus=spec.resources.gpu,
            workers=spec.resources.workers,
            report_every=report_every,
            report_epochs=report_epochs,
            trial_timeout_s=spec.stop.trial_timeout_s,
            stall_s=spec.stop.stall_s,
            user=spec.user.plan if spec.user is not None else None,
            metrics=spec.metrics,
            constraints=spec.constraints,
            sweep_name=spec.name,
            sweep_folder=sweep_folder,
        )


def trial_arguments(plan: TrialPlan, config: dict[str, Any]) -> tuple[NetworkConfig, DataConfig]:
    """The validated (model config, data config) of one trial."""
    model_args = dict(plan.model_args)
    data_args = dict(plan.data_args)
    for key, value in assemble_lists(config).items():
        if key.startswith(DATA_PREFIX):
            data_args[key[len(DATA_PREFIX) :]] = plain(value)
        else:
            model_args[key] = [plain(v) for v in value] if isinstance(value, list) else plain(value)
    data_config_class = DATASETS[plan.dataset].config
    if "seed" in data_config_class.model_fields and data_args.get("seed") is None:
        data_args["seed"] = plan.seed  # the data split follows the sweep's seed unless set
    model_config = MODEL_FAMILIES[plan.family].config.model_validate(model_args)
    data_config = data_config_class.model_validate(data_args)
    return model_config, data_config
