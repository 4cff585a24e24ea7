"""After a restore from a checkpoint trained with other values (a PBT exploit), the trial's own
optimizer settings back in force, and the restore recorded: the one rule for the shipped families
(lightning_modules.training) and users' own modules (sweeps.user_model.build) alike.

Restoring a checkpoint restores each optimizer's settings with its moments, which would silently
undo a mutation. So every checkpoint records the settings its trial's optimizers were made with
(``INITIAL_FIELD``: per optimizer, per param group), and after a restore each param group gets
the restoring trial's own settings back: a changed learning rate scales the restored one (the
own rate times the factor the schedule had reached, so a schedule keeps its progress), any other
changed setting is set as the trial made it. Each such restore is appended to the checkpoint's
``LINEAGE_FIELD`` (the epoch, digests of the weights and of the optimizer state as restored, the
learning rate then in force, the trial's values), so a model's history can be traced through
exploits. A restore with the trial's own values (a resumed or retried trial) changes nothing.
"""

from __future__ import annotations

from typing import Any

from lightning_modules.checkpoint import state_digest

LINEAGE_FIELD = "sweep_lineage"  # the restores with other values, in every checkpoint
INITIAL_FIELD = "sweep_optimizer_initial"  # the settings the trial's optimizers were made with
EARLIER_LINEAGE_FIELD = "lineage"  # where shipped families' checkpoints kept it before

Settings = list[list[dict[str, Any]]]  # per optimizer, per param group


def initial_settings(optimizers: list[Any]) -> Settings:
    """The settings of each param group of freshly made ``optimizers``."""
    return [[_settings(group) for group in optimizer.param_groups] for optimizer in optimizers]


def restored_lineage(checkpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return list(checkpoint.get(LINEAGE_FIELD, checkpoint.get(EARLIER_LINEAGE_FIELD, [])))


def put_back(optimizers: list[Any], schedulers: list[Any], own: Settings, donor: Settings) -> None:
    """Put the settings ``own`` in force over those restored from a checkpoint whose optimizers
    were made with ``donor`` (see the module's docstring)."""
    for index, optimizer in enumerate(optimizers):
        for position, group in enumerate(optimizer.param_groups):
            _put_back(group, _at(own, index, position), _at(donor, index, position))
    for scheduler in schedulers:
        if hasattr(scheduler, "base_lrs"):
            scheduler.base_lrs = [
                group.get("initial_lr", group["lr"]) for group in scheduler.optimizer.param_groups
            ]
        if hasattr(scheduler, "_last_lr"):
            scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]


def lineage_entry(
    epoch: int, module: Any, optimizers: list[Any], values: dict[str, Any]
) -> dict[str, Any]:
    """The record of one restore, taken right after it: ``values`` tell the trial's own."""
    return {
        "epoch": int(epoch),
        "weights_sha256": state_digest(module.state_dict()),
        "optimizer_sha256": state_digest(optimizers[0].state_dict()["state"])
        if optimizers
        else None,
        "lr": float(optimizers[0].param_groups[0]["lr"]) if optimizers else None,
        **values,
    }


def _settings(group: dict[str, Any]) -> dict[str, Any]:
    """A param group's hyperparameters (plain numbers, tuples and flags)."""
    return {
        key: value
        for key, value in group.items()
        if key != "params" and isinstance(value, (int, float, bool, tuple, type(None)))
    }


def _at(table: Settings, index: int, position: int) -> dict[str, Any]:
    try:
        return table[index][position]
    except (IndexError, TypeError):
        return {}


def _put_back(group: dict[str, Any], own: dict[str, Any], donor: dict[str, Any]) -> None:
    for key, value in own.items():
        if key == "lr":
            start = donor.get("lr")
            if isinstance(start, (int, float)) and start and value != start:
                group["lr"] = group["lr"] * value / start
            group["initial_lr"] = value
        elif key != "initial_lr" and donor.get(key, value) != value:
            group[key] = value
