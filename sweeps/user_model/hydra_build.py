"""A Hydra project's trial: its config composed with the trial's values as overrides, its
``model`` and ``data`` made by Hydra's ``instantiate``, its ``trainer`` group as the Trainer's
settings and its ``callbacks`` and ``logger`` groups as the user's callbacks and loggers (see
sweeps.user_model.hydra_config)."""

from __future__ import annotations

from typing import Any, cast

from sweeps.sweep_file.conditions import assemble_lists
from sweeps.sweep_file.space import plain
from sweeps.user_model.build import UserParts, assembled_trainer_run
from sweeps.user_model.checking import MODEL_CHECKPOINT
from sweeps.user_model.hydra_config import HydraSource, composed, override
from sweeps.user_model.recipe import UserRecipe
from sweeps.user_model.trainer_run import TrainerRun, TrialIdentity, lightning
from sweeps.user_model.user_loggers import for_trial

# What the sweep does itself, so the Trainer must not get it from the user's callbacks group: it
# checkpoints every trial, and shows neither a progress bar nor a model summary.
LEFT_OUT_CALLBACKS = (MODEL_CHECKPOINT, "ProgressBar", "ModelSummary")


def trial_overrides(user: UserRecipe, config: dict[str, Any]) -> list[str]:
    """The trial's searched values as Hydra overrides."""
    joined = assemble_lists(config)
    return [override(key, plain(joined[key])) for key in user.paths if key in joined]


def group_entries(node: Any) -> list[Any]:
    """A group of the config that holds objects (``callbacks``, ``logger``): a mapping of name to
    entry, or a list; the entries that name a class (``_target_``)."""
    if node is None:
        return []
    values = node.values() if hasattr(node, "values") and hasattr(node, "keys") else node
    return [entry for entry in values if hasattr(entry, "get") and entry.get("_target_")]


def hydra_parts(
    flavour: str,
    source: HydraSource,
    overrides: list[str],
    seed: int,
    working_dir: str,
    identity: TrialIdentity | None = None,
    output_dir: str | None = None,
    with_trainer: bool = True,
) -> UserParts:
    """The parts the composed config builds; without ``with_trainer`` only the module and the
    data module (a checkpoint's evaluation)."""
    # Imported here: Hydra loads only for a Hydra project.
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    lightning(flavour).seed_everything(seed, workers=True, verbose=False)
    with composed(source, overrides, working_dir, output_dir) as config:
        model = instantiate(config.model)
        datamodule = instantiate(config.data) if config.get("data") else None
        if not with_trainer:
            return UserParts(model, datamodule, {}, [], [], [], None)
        # Mappings of the config as dicts (to_container is typed for any node it could be given).
        trainer = (
            cast(dict[str, Any], OmegaConf.to_container(config.trainer, resolve=True))
            if config.get("trainer")
            else {}
        )
        trainer.pop("_target_", None)
        callbacks = [instantiate(entry) for entry in group_entries(config.get("callbacks"))]
        loggers = []
        for entry in group_entries(config.get("logger")):
            plain_entry = cast(dict[str, Any], OmegaConf.to_container(entry, resolve=True))
            if identity is not None:
                plain_entry = for_trial(plain_entry, *identity)
            loggers.append(instantiate(plain_entry))
    kept = [c for c in callbacks if not _left_out(c)]
    return UserParts(model, datamodule, trainer, kept, loggers, [], trainer.get("strategy"))


def trial_working_dir() -> str | None:
    try:
        # Imported here: Tune's context exists only inside a trial.
        from ray import tune

        return tune.get_context().get_trial_dir()
    except Exception:  # noqa: BLE001 - outside a trial
        return None


def _left_out(callback: Any) -> bool:
    return any(klass.__name__ in LEFT_OUT_CALLBACKS for klass in type(callback).__mro__)


def hydra_trainer_run(
    user: UserRecipe, config: dict[str, Any], identity: TrialIdentity | None = None
) -> tuple[TrainerRun, dict[str, Any]]:
    """The trial's Trainer run, and the fields every checkpoint of it carries."""
    assert user.hydra is not None  # the recipe of a Hydra project
    source = HydraSource.from_stored(user.hydra)
    overrides = trial_overrides(user, config)
    output_dir = None
    if identity is not None and "://" not in identity.sweep_folder:
        # Hydra's output folder (paths.output_dir in the template) is the trial's own folder;
        # with bucket storage, its working folder here (None: a temporary one).
        output_dir = f"{identity.sweep_folder}/{identity.trial_id}"
    elif identity is not None:
        output_dir = trial_working_dir()
    parts = hydra_parts(
        user.flavour, source, overrides, user.seed, user.working_dir, identity, output_dir
    )
    record = {
        "config": {"overrides": overrides},
        "builder": None,
        "hp": {},
        "hydra": source.to_stored(),
    }
    return assembled_trainer_run(user, parts, record)
