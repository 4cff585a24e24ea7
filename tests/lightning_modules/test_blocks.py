"""Each building block does what its name says."""

import math

import pytest
import torch
from torch import nn

from lightning_modules.blocks.activations import make_activation
from lightning_modules.blocks.initialization import expected_std, initialize
from lightning_modules.blocks.losses import compute_loss
from lightning_modules.blocks.normalization import make_norm
from lightning_modules.blocks.optimizers import make_optimizer
from lightning_modules.blocks.regularization import l1_penalty
from lightning_modules.blocks.schedules import warmup_cosine_factor
from lightning_modules.configs import DigitsConfig, MLPConfig
from lightning_modules.data.digits import DigitsDataModule
from lightning_modules.models.mlp import MLPClassifier
from tests.helpers.trainers import quick_trainer


def test_activations():
    x = torch.tensor([-2.0, -0.5, 0.5, 3.0, 9.0])
    assert make_activation(MLPConfig(activation="relu_n", relu_n=3.0))(x).tolist() == [
        0,
        0,
        0.5,
        3.0,
        3.0,
    ]
    leaky = make_activation(MLPConfig(activation="leaky_relu", leaky_alpha=0.2))(x)
    assert leaky[:2].tolist() == pytest.approx([-0.4, -0.1])
    assert make_activation(MLPConfig(activation="sigmoid"))(torch.zeros(1)).item() == 0.5
    assert isinstance(make_activation(MLPConfig(activation="gelu")), nn.GELU)
    assert torch.equal(make_activation(MLPConfig(activation="tanh"))(x), torch.tanh(x))


@pytest.mark.parametrize(
    "scheme", ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"]
)
def test_initialisers_give_the_expected_weight_statistics(scheme):
    torch.manual_seed(0)
    layer = nn.Sequential(nn.Linear(400, 300))
    initialize(layer, MLPConfig(init=scheme))
    weight = layer[0].weight
    assert weight.std().item() == pytest.approx(expected_std(scheme, 400, 300), rel=0.03)
    assert abs(weight.mean().item()) < 0.01 and torch.count_nonzero(layer[0].bias) == 0
    if scheme.endswith("uniform"):
        bound = expected_std(scheme, 400, 300) * math.sqrt(3)
        assert weight.abs().max().item() <= bound + 1e-6


def test_zeros_and_default_initialisation():
    layer = nn.Sequential(nn.Linear(10, 10))
    before = layer[0].weight.clone()
    initialize(layer, MLPConfig(init="default"))
    assert torch.equal(layer[0].weight, before)
    initialize(layer, MLPConfig(init="zeros"))
    assert torch.count_nonzero(layer[0].weight) == 0


def test_norm_layers():
    assert isinstance(make_norm("batch", 8, "vector"), nn.BatchNorm1d)
    assert isinstance(make_norm("batch", 8, "conv2d"), nn.BatchNorm2d)
    assert isinstance(make_norm("layer", 8, "vector"), nn.LayerNorm)
    assert isinstance(make_norm("layer", 8, "conv1d"), nn.GroupNorm)
    assert isinstance(make_norm("none", 8, "vector"), nn.Identity)


@pytest.mark.parametrize(
    "name, args, expected",
    [
        (
            "sgd",
            {"momentum": 0.9, "nesterov": True},
            (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ),
        (
            "rmsprop",
            {"alpha": 0.9, "momentum": 0.5},
            (torch.optim.RMSprop, {"alpha": 0.9, "momentum": 0.5}),
        ),
        (
            "adam",
            {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
            (torch.optim.Adam, {"betas": (0.8, 0.99), "eps": 1e-6}),
        ),
        ("adamw", {"weight_decay": 0.01}, (torch.optim.AdamW, {"weight_decay": 0.01})),
    ],
)
def test_optimizers_take_their_settings(name, args, expected):
    optimizer = make_optimizer(
        MLPConfig(optimizer=name, lr=0.05, **args), nn.Linear(2, 2).parameters()
    )
    cls, settings = expected
    assert type(optimizer) is cls and optimizer.defaults["lr"] == 0.05
    for key, value in settings.items():
        assert optimizer.defaults[key] == value


def test_l1_changes_the_loss_by_the_expected_amount():
    torch.manual_seed(0)
    datamodule = DigitsDataModule(DigitsConfig(seed=0), batch_size=32)
    datamodule.setup()
    batch = next(iter(datamodule.val_dataloader()))
    plain = MLPClassifier(MLPConfig(depth=1, width=16), datamodule.info)
    penalised = MLPClassifier(MLPConfig(depth=1, width=16, l1=0.001), datamodule.info)
    penalised.load_state_dict(plain.state_dict())
    weights = sum(p.abs().sum() for p in plain.network.parameters() if p.dim() >= 2)
    difference = penalised.training_step(batch, 0) - plain.training_step(batch, 0)
    assert difference.item() == pytest.approx(0.001 * weights.item(), rel=1e-5)
    assert l1_penalty(plain.network, 0.0).item() == 0.0


@pytest.mark.parametrize("mode, bound", [("norm", 0.05), ("value", 0.001)])
def test_gradient_clipping_bounds_the_gradients(mode, bound):
    torch.manual_seed(0)
    datamodule = DigitsDataModule(DigitsConfig(seed=0), batch_size=64)
    model = MLPClassifier(
        MLPConfig(
            depth=1, width=32, lr=0.5, optimizer="sgd", grad_clip=mode, grad_clip_value=bound
        ),
        datamodule.info,
    )
    seen = []

    import pytorch_lightning as pl

    class GradientProbe(pl.Callback):
        """Plain SGD moves each weight by -lr * gradient: the applied (clipped) gradient is
        read back from the change of the weights over each step."""

        def on_train_batch_start(self, trainer, pl_module, batch, batch_index):
            self.before = [p.detach().clone() for p in pl_module.parameters()]

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_index):
            grads = [
                (b - p.detach()) / 0.5
                for b, p in zip(self.before, pl_module.parameters(), strict=True)
            ]
            if mode == "norm":
                seen.append(
                    torch.linalg.vector_norm(
                        torch.stack([torch.linalg.vector_norm(g) for g in grads])
                    ).item()
                )
            else:
                seen.append(max(g.abs().max().item() for g in grads))

    quick_trainer(max_epochs=1, callbacks=[GradientProbe()]).fit(model, datamodule)
    assert seen and max(seen) <= bound * (1 + 1e-4)


@pytest.mark.parametrize(
    "schedule, args, expected",
    [
        ("step", {"step_size": 2, "gamma": 0.5}, [0.1, 0.1, 0.05, 0.05, 0.025]),
        ("cosine", {}, [0.1 * 0.5 * (1 + math.cos(math.pi * e / 5)) for e in range(5)]),
        (
            "warmup_cosine",
            {"warmup_epochs": 2},
            [0.1 * warmup_cosine_factor(e, 2, 5) for e in range(5)],
        ),
        ("none", {}, [0.1] * 5),
    ],
)
def test_schedule_sets_the_learning_rate_of_each_epoch(schedule, args, expected):
    datamodule = DigitsDataModule(DigitsConfig(seed=0), batch_size=256)
    model = MLPClassifier(
        MLPConfig(depth=1, width=8, optimizer="sgd", lr=0.1, schedule=schedule, **args),
        datamodule.info,
    )
    rates = []

    import pytorch_lightning as pl

    class LearningRateProbe(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            rates.append(trainer.optimizers[0].param_groups[0]["lr"])

    quick_trainer(max_epochs=5, callbacks=[LearningRateProbe()]).fit(model, datamodule)
    assert rates == pytest.approx(expected)


def test_warmup_rises_then_decays():
    factors = [warmup_cosine_factor(e, 3, 10) for e in range(10)]
    assert factors[0] < factors[1] < factors[2] < factors[3] and factors[3] == 1.0
    assert factors[-1] < factors[4]


def test_plateau_schedule_cuts_the_rate_when_validation_stalls():
    datamodule = DigitsDataModule(DigitsConfig(seed=0), batch_size=256)
    # so small a rate never improves the validation loss: the plateau schedule must cut it after patience.
    model = MLPClassifier(
        MLPConfig(
            depth=1,
            width=8,
            optimizer="sgd",
            lr=1e-6,
            schedule="plateau",
            plateau_patience=0,
            plateau_factor=0.5,
        ),
        datamodule.info,
    )
    quick_trainer(max_epochs=4).fit(model, datamodule)
    assert model.trainer.optimizers[0].param_groups[0]["lr"] < 1e-6


def test_losses():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    target = torch.tensor([0])
    plain = compute_loss(MLPConfig(), logits, target, 3)
    smoothed = compute_loss(MLPConfig(label_smoothing=0.2), logits, target, 3)
    assert smoothed > plain
    mse = compute_loss(MLPConfig(loss="mse"), logits, target, 3)
    assert mse.item() == pytest.approx(((logits - torch.tensor([[1.0, 0, 0]])) ** 2).mean().item())
    bce = compute_loss(MLPConfig(loss="bce"), torch.tensor([[0.0]]), torch.tensor([1]), 2)
    assert bce.item() == pytest.approx(math.log(2))
