"""The contract every model family keeps, run over every family with representative
configurations on small data: it builds from its typed config, trains a couple of epochs on CPU,
logs the metrics the registry promises, and its checkpoint rebuilds the same network, both as the
LightningModule and as the family's plain-torch network."""

import pytest
import torch

from lightning_modules.blocks.losses import output_size
from lightning_modules.checkpoint import load_model, read_checkpoint
from lightning_modules.registry import DATASETS, MODEL_FAMILIES
from tests.helpers.trainers import quick_trainer

CASES = [
    ("mlp", {}, "digits", {}),
    (
        "mlp",
        {
            "widths": [32, 16],
            "activation": "leaky_relu",
            "leaky_alpha": 0.1,
            "norm": "batch",
            "dropout": 0.1,
        },
        "digits",
        {},
    ),
    (
        "mlp",
        {
            "depth": 3,
            "width_schedule": "shrinking",
            "width_factor": 0.5,
            "norm": "layer",
            "init": "kaiming_normal",
        },
        "mnist1d",
        {"num_samples": 400},
    ),
    ("mlp", {"loss": "mse"}, "synthetic", {"task": "regression"}),
    ("mlp", {"loss": "bce", "optimizer": "adamw"}, "synthetic", {"classes": 2}),
    ("cnn", {"channels": 8, "norm": "batch"}, "digits", {"layout": "image"}),
    (
        "cnn",
        {"channels": 8, "kernel_size": 5, "pool": "avg", "activation": "relu_n", "relu_n": 3.0},
        "mnist1d",
        {"num_samples": 400},
    ),
    (
        "cnn",
        {"channels": 4, "conv_layers": 1, "pool": "none", "stride": 2, "norm": "layer"},
        "digits",
        {"layout": "flat"},
    ),
    ("rnn", {"cell": "lstm", "hidden_size": 16}, "mnist1d", {"num_samples": 400}),
    (
        "rnn",
        {"cell": "gru", "layers": 2, "bidirectional": True, "dropout": 0.1, "hidden_size": 16},
        "digits",
        {"layout": "sequence"},
    ),
    (
        "transformer",
        {"d_model": 16, "heads": 2, "ff_dim": 32, "layers": 1},
        "mnist1d",
        {"num_samples": 400},
    ),
    (
        "transformer",
        {"d_model": 16, "heads": 2, "ff_dim": 32, "patch_size": 3, "max_length": 14},
        "mnist1d",
        {"num_samples": 400},
    ),
    (
        "transformer",
        {
            "d_model": 16,
            "heads": 4,
            "ff_dim": 32,
            "positional": "learned",
            "max_length": 16,
            "activation": "gelu",
            "attention_dropout": 0.1,
        },
        "digits",
        {"layout": "image"},
    ),
    (
        "diffusion",
        {"channels": 8, "diffusion_steps": 20},
        "digits",
        {"layout": "image", "normalize": "minmax", "minmax_low": -1.0, "minmax_high": 1.0},
    ),
    (
        "diffusion",
        {
            "channels": 8,
            "blocks": 1,
            "diffusion_steps": 20,
            "noise_schedule": "cosine",
            "norm": "layer",
        },
        "digits",
        {"layout": "image"},
    ),
]


def test_every_family_has_a_case():
    assert {family for family, *_ in CASES} == set(MODEL_FAMILIES)
    assert {dataset for *_, dataset, _ in CASES} == set(DATASETS) - {
        "table"
    }  # tables: data/test_table.py


@pytest.mark.parametrize(
    "family_name, model_args, dataset_name, data_args",
    CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_family_trains_logs_and_rebuilds_from_its_checkpoint(
    family_name, model_args, dataset_name, data_args, tmp_path
):
    family, dataset = MODEL_FAMILIES[family_name], DATASETS[dataset_name]
    torch.manual_seed(0)
    config = family.config(batch_size=64, **model_args)
    datamodule = dataset.datamodule_class()(
        dataset.config(seed=0, **data_args), batch_size=config.batch_size
    )
    model = family.module_class()(config, datamodule.info)
    trainer = quick_trainer(max_epochs=2)
    trainer.fit(model, datamodule)
    logged = {name: float(value) for name, value in trainer.callback_metrics.items()}
    assert set(logged) == set(family.metrics(datamodule.info))
    assert all(torch.isfinite(torch.tensor(value)) for value in logged.values())

    trainer.save_checkpoint(tmp_path / "model.ckpt")
    stored = read_checkpoint(tmp_path)  # weights_only: plain values and tensors
    assert stored["family"] == family_name
    rebuilt = load_model(tmp_path)
    assert rebuilt.config == config and rebuilt.data_info == datamodule.info
    model.eval()
    sample = datamodule.val_dataloader().features[:4]
    inputs = (sample, torch.arange(4)) if family.generative else (sample,)
    assert torch.allclose(rebuilt(*inputs), model(*inputs))

    # The module's weights are its network's, which loads them without the LightningModule.
    network = family.network_builder()(
        config, datamodule.info, output_size(config, datamodule.info.num_classes)
    )
    weights = stored["state_dict"]
    assert all(name.startswith("network.") for name in weights)
    network.load_state_dict(
        {name.removeprefix("network."): value for name, value in weights.items()}
    )
    assert torch.allclose(network.eval()(*inputs), model(*inputs))


def test_classifier_learns_digits():
    family, dataset = MODEL_FAMILIES["mlp"], DATASETS["digits"]
    torch.manual_seed(0)
    datamodule = dataset.datamodule_class()(dataset.config(seed=0), batch_size=64)
    model = family.module_class()(family.config(depth=1, width=64, lr=0.01), datamodule.info)
    trainer = quick_trainer(max_epochs=3)
    trainer.fit(model, datamodule)
    assert float(trainer.callback_metrics["val_accuracy"]) > 0.9


def test_damaged_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "model.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load_model(tmp_path / "missing")


def test_diffusion_validation_loss_is_repeatable_and_sampling_follows_temperature():
    from lightning_modules.configs import DiffusionConfig, DigitsConfig
    from lightning_modules.data.digits import DigitsDataModule
    from lightning_modules.models.diffusion import DiffusionModel
    from lightning_modules.networks.diffusion import noise_schedule

    torch.manual_seed(0)
    datamodule = DigitsDataModule(DigitsConfig(layout="image", seed=0), batch_size=64)
    model = DiffusionModel(DiffusionConfig(channels=8, diffusion_steps=30), datamodule.info)
    trainer = quick_trainer(max_epochs=1)
    trainer.fit(model, datamodule)
    first = trainer.validate(model, datamodule, verbose=False)[0]["val_loss"]
    assert trainer.validate(model, datamodule, verbose=False)[0]["val_loss"] == first
    betas = noise_schedule(DiffusionConfig(diffusion_steps=30))
    assert (
        betas[0] == pytest.approx(1e-4)
        and betas[-1] == pytest.approx(0.02)
        and torch.all(betas[1:] > betas[:-1])
    )
    cosine = noise_schedule(DiffusionConfig(diffusion_steps=30, noise_schedule="cosine"))
    assert cosine.shape == (30,) and torch.all((cosine > 0) & (cosine < 1))
    cold = model.sample(3, temperature=0.0, seed=1)
    assert cold.shape == (3, 1, 8, 8) and torch.equal(
        cold, model.sample(3, temperature=0.0, seed=2)
    )
    assert not torch.equal(
        model.sample(3, temperature=1.0, seed=1), model.sample(3, temperature=1.0, seed=2)
    )


def test_transformer_patches_group_consecutive_steps_into_zero_padded_tokens():
    from lightning_modules.configs.data_info import DataInfo
    from lightning_modules.networks.transformer import TransformerNetwork

    config = MODEL_FAMILIES["transformer"].config(d_model=8, heads=2, patch_size=3, max_length=14)
    network = TransformerNetwork(config, DataInfo("sequence", (40, 2), 10), outputs=10)
    x = torch.arange(2 * 40 * 2, dtype=torch.float32).reshape(2, 40, 2)
    tokens = network.patches(x)
    assert tokens.shape == (2, 14, 6)  # 40 steps -> 13 full patches of 3 and one padded
    assert torch.equal(tokens[0, 1], x[0, 3:6].reshape(-1)) and torch.equal(
        tokens[1, 13], torch.cat([x[1, 39], torch.zeros(4)])
    )
    assert network(x).shape == (2, 10)
