"""A model restored from a checkpoint trains with its own config's optimizer settings (what a
PBT exploit needs: the donor's weights and moments, the mutated hyperparameters), and records
the restore in its checkpoint's lineage."""

import pytest
import pytorch_lightning as pl
import torch

from lightning_modules.checkpoint import read_checkpoint, state_digest
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from tests.helpers.trainers import quick_trainer


class InForce(pl.Callback):
    """What the optimizer holds when the first epoch after the restore starts."""

    def on_train_epoch_start(self, trainer, pl_module):
        if not hasattr(self, "groups"):
            self.groups = [dict(group) for group in trainer.optimizers[0].param_groups]
            self.lineage = list(pl_module.lineage)


def train(model_args: dict, epochs: int, ckpt_path=None, seed: int = 0):
    torch.manual_seed(seed)
    family, dataset = MODEL_FAMILIES["mlp"], DATASETS["digits"]
    config = family.config(depth=1, width=16, **model_args)
    datamodule = dataset.datamodule_class()(dataset.config(seed=0), batch_size=config.batch_size)
    model = family.module_class()(config, datamodule.info)
    probe = InForce()
    trainer = quick_trainer(max_epochs=epochs, callbacks=[probe])
    trainer.fit(model, datamodule, ckpt_path=ckpt_path, weights_only=True if ckpt_path else None)
    return trainer, model, probe


@pytest.mark.parametrize(
    "optimizer, knobs, expect",
    [
        (
            "adam",
            {"weight_decay": 0.01, "beta1": 0.8},
            {"weight_decay": 0.01, "betas": (0.8, 0.999)},
        ),
        ("sgd", {"momentum": 0.5, "nesterov": True}, {"momentum": 0.5, "nesterov": True}),
    ],
)
def test_restored_optimizer_takes_the_new_config_and_keeps_the_donor_state(
    optimizer, knobs, expect, tmp_path
):
    donor, _, _ = train(
        {"optimizer": optimizer, "lr": 0.01, **({"momentum": 0.9} if optimizer == "sgd" else {})}, 2
    )
    donor.save_checkpoint(tmp_path / "donor.ckpt")
    saved = read_checkpoint(tmp_path / "donor.ckpt")

    _, model, probe = train(
        {"optimizer": optimizer, "lr": 0.05, **knobs}, 3, ckpt_path=tmp_path / "donor.ckpt", seed=1
    )
    assert probe.groups[0]["lr"] == pytest.approx(0.05)
    for key, value in expect.items():
        assert probe.groups[0][key] == value
    (record,) = probe.lineage
    assert (
        record["epoch"] == 2
        and record["lr"] == pytest.approx(0.05)
        and record["config"]["values"]["lr"] == 0.05
    )
    assert record["weights_sha256"] == state_digest(saved["state_dict"])
    assert record["optimizer_sha256"] == state_digest(saved["optimizer_states"][0]["state"])


def test_a_schedule_keeps_its_progress_on_the_new_base_rate(tmp_path):
    args = {"schedule": "step", "step_size": 1, "gamma": 0.5}
    donor, _, _ = train({"lr": 0.08, **args}, 2)
    assert donor.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.02)  # two decays
    donor.save_checkpoint(tmp_path / "donor.ckpt")
    trainer, _, probe = train({"lr": 0.04, **args}, 3, ckpt_path=tmp_path / "donor.ckpt")
    assert probe.groups[0]["lr"] == pytest.approx(0.01)  # the new base, decayed twice
    assert trainer.lr_scheduler_configs[0].scheduler.base_lrs == [0.04]
    trainer.save_checkpoint(tmp_path / "next.ckpt")
    assert len(read_checkpoint(tmp_path / "next.ckpt")["sweep_lineage"]) == 1


def test_resuming_with_the_same_config_changes_nothing(tmp_path):
    donor, _, _ = train({"optimizer": "adamw", "lr": 0.01, "weight_decay": 0.02}, 2)
    before = dict(donor.optimizers[0].param_groups[0])
    donor.save_checkpoint(tmp_path / "donor.ckpt")
    _, _, probe = train(
        {"optimizer": "adamw", "lr": 0.01, "weight_decay": 0.02},
        3,
        ckpt_path=tmp_path / "donor.ckpt",
    )
    for key in ("lr", "weight_decay", "betas", "eps"):
        assert probe.groups[0][key] == pytest.approx(before[key])


def test_the_one_rule_scales_the_rate_sets_changed_settings_and_keeps_unchanged_ones():
    from lightning_modules.restore_settings import initial_settings, put_back

    weights = torch.nn.Parameter(torch.zeros(2))
    donor = torch.optim.SGD([weights], lr=0.1, momentum=0.9, weight_decay=0.0)
    own = torch.optim.SGD([weights], lr=0.2, momentum=0.5, weight_decay=0.0)
    donor_settings, own_settings = initial_settings([donor]), initial_settings([own])
    restored = torch.optim.SGD([weights], lr=0.1, momentum=0.9, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.StepLR(restored, step_size=1, gamma=0.5)
    restored.step()
    schedule.step()  # the donor's schedule halved its rate once
    restored.param_groups[0]["weight_decay"] = 0.3  # changed by the donor's own code: kept

    put_back([restored], [schedule], own_settings, donor_settings)
    group = restored.param_groups[0]
    assert group["lr"] == pytest.approx(0.1)  # the own 0.2, halved once
    assert (group["momentum"], group["weight_decay"], group["initial_lr"]) == (0.5, 0.3, 0.2)
    assert schedule.base_lrs == [0.2] and schedule.get_last_lr() == [pytest.approx(0.1)]


def test_a_checkpoint_written_before_the_lineage_had_its_field_keeps_its_lineage():
    from lightning_modules.restore_settings import restored_lineage

    assert restored_lineage({"lineage": [{"epoch": 3}]}) == [{"epoch": 3}]
    assert restored_lineage({"sweep_lineage": [{"epoch": 4}], "lineage": []}) == [{"epoch": 4}]
    assert restored_lineage({}) == []
