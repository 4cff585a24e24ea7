"""The MLP family: the architecture follows its config, it trains, and its checkpoint rebuilds it
without unpickling code."""

import pytest
import pytorch_lightning as pl
import torch
from torch import nn

from lightning_modules.checkpoint import load_model, read_checkpoint
from lightning_modules.configs import DigitsConfig, MLPConfig
from lightning_modules.digits import DigitsDataModule
from lightning_modules.mlp import MLPClassifier
from lightning_modules.registry import MODEL_FAMILIES


@pytest.mark.parametrize("depth, width, activation, dropout", [(0, 8, "relu", 0.0), (1, 16, "tanh", 0.0), (3, 32, "gelu", 0.2)])
def test_architecture_follows_the_config(depth, width, activation, dropout):
    model = MLPClassifier(MLPConfig(depth=depth, width=width, activation=activation, dropout=dropout), 64, 10)
    linears = [m for m in model.network if isinstance(m, nn.Linear)]
    assert len(linears) == depth + 1
    assert all(layer.out_features == width for layer in linears[:-1]) and linears[-1].out_features == 10
    assert sum(isinstance(m, nn.Dropout) for m in model.network) == (depth if dropout else 0)
    assert model(torch.zeros(5, 64)).shape == (5, 10)


def test_optimizer_follows_the_config():
    sgd = MLPClassifier(MLPConfig(optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=1e-3), 64, 10).configure_optimizers()
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["momentum"] == 0.9 and sgd.defaults["lr"] == 0.05
    adam = MLPClassifier(MLPConfig(optimizer="adam", lr=0.01), 64, 10).configure_optimizers()
    assert isinstance(adam, torch.optim.Adam) and adam.defaults["lr"] == 0.01


def test_trains_logs_its_metrics_and_checkpoint_rebuilds_it(tmp_path):
    torch.manual_seed(0)
    model = MLPClassifier(MLPConfig(depth=1, width=64, lr=0.01), 64, 10)
    trainer = pl.Trainer(max_epochs=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(model, DigitsDataModule(DigitsConfig(seed=0), batch_size=64))
    logged = {name: float(value) for name, value in trainer.callback_metrics.items()}
    assert set(logged) == set(MODEL_FAMILIES["mlp"].metrics)
    assert logged["val_accuracy"] > 0.85
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    stored = read_checkpoint(tmp_path)  # weights_only=True: tensors and plain values
    assert stored["family"] == "mlp" and stored["hyper_parameters"]["config"]["width"] == 64
    rebuilt = load_model(tmp_path)
    model.eval()
    sample = torch.randn(4, 64)
    assert torch.equal(rebuilt(sample), model(sample))


def test_damaged_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "model.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load_model(tmp_path / "missing")
