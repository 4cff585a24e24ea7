"""A user's own Lightning project, written into a folder outside the repository and never
installed: what the tests of sweeping a user's LightningModule sweep.

    sweepable/models.py     Classifier (lightning.pytorch), ClassicClassifier (pytorch_lightning),
                            TwoOptimizers (manual optimisation with two optimizers)
    sweepable/data.py       Blobs, ClassicBlobs: Gaussian blobs made from a seed (no download)
    sweepable/tuning.py     build(hp): a Keras-Tuner-style blueprint with a conditional value
    sweepable/callbacks.py  Settings: a callback logging the Trainer settings it finds in force
    sweepable/cli.py        the project's own LightningCLI
    configs/fit.yaml        a LightningCLI config (fixed-class style: classes named by the CLI)
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = "sweepable"

MODELS = '''
import lightning.pytorch as L
import pytorch_lightning as pl
import torch
from torch import nn


class Body:
    """What both Lightning packages' classifiers share (their constructor included)."""

    def __init__(self, features: int = 8, hidden: int = 32, lr: float = 0.05, classes: int = 3,
                 optimizer: str = "sgd", momentum: float = 0.0, step_gamma: float | None = None,
                 log_vector: bool = False):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, index):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train/loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, index):
        x, y = batch
        logits = self(x)
        self.log("val/loss", nn.functional.cross_entropy(logits, y))
        self.log("val/acc", (logits.argmax(1) == y).float().mean())

    def on_validation_epoch_end(self):
        if self.hparams.log_vector and self.logger is not None:
            self.logger.log_metrics({"val/per_class": torch.ones(3)})  # not one number

    def test_step(self, batch, index):
        x, y = batch
        self.log("test/acc", (self(x).argmax(1) == y).float().mean())

    def on_train_epoch_end(self):
        self.log("lr", self.trainer.optimizers[0].param_groups[0]["lr"])

    def configure_optimizers(self):
        if self.hparams.optimizer == "adam":
            optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        else:
            optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=self.hparams.momentum)
        if self.hparams.step_gamma is None:
            return optimizer
        schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=self.hparams.step_gamma)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


class Classifier(Body, L.LightningModule):
    """A small classifier (lightning.pytorch).

    Args:
        hidden: units of the hidden layer
        lr: learning rate
    """


class ClassicClassifier(Body, pl.LightningModule):
    """The same classifier written against pytorch_lightning."""


class TwoOptimizers(L.LightningModule):
    """Manual optimisation: each half of the network has its own optimizer."""

    def __init__(self, features: int = 8, hidden: int = 16, lr: float = 0.05, classes: int = 3):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.first = nn.Sequential(nn.Linear(features, hidden), nn.ReLU())
        self.second = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.second(self.first(x))

    def training_step(self, batch, index):
        x, y = batch
        first, second = self.optimizers()
        loss = nn.functional.cross_entropy(self(x), y)
        first.zero_grad()
        second.zero_grad()
        self.manual_backward(loss)
        first.step()
        second.step()
        self.log("train/loss", loss, on_step=False, on_epoch=True)

    def validation_step(self, batch, index):
        x, y = batch
        self.log("val/acc", (self(x).argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return (torch.optim.SGD(self.first.parameters(), lr=self.hparams.lr),
                torch.optim.Adam(self.second.parameters(), lr=self.hparams.lr / 10))


class NotAModule:
    def __init__(self, hidden: int = 3):
        self.hidden = hidden
'''

DATA = '''
import lightning.pytorch as L
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset


class BlobsBody:
    def make(self, batch_size, samples, features, classes, seed):
        generator = torch.Generator().manual_seed(seed)
        centers = torch.randn(classes, features, generator=generator) * 1.5
        labels = torch.randint(0, classes, (samples,), generator=generator)
        points = centers[labels] + torch.randn(samples, features, generator=generator)
        cut, end = int(0.6 * samples), int(0.8 * samples)
        self.train = TensorDataset(points[:cut], labels[:cut])
        self.val = TensorDataset(points[cut:end], labels[cut:end])
        self.test = TensorDataset(points[end:], labels[end:])

    def setup(self, stage=None):
        hp = self.hparams
        self.make(hp.batch_size, hp.samples, hp.features, hp.classes, hp.seed)

    def train_dataloader(self):
        return DataLoader(self.train, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val, batch_size=256)

    def test_dataloader(self):
        return DataLoader(self.test, batch_size=256)


class Blobs(BlobsBody, L.LightningDataModule):
    def __init__(self, batch_size: int = 32, samples: int = 400, features: int = 8, classes: int = 3, seed: int = 0,
                 root: str | None = None):
        super().__init__()
        self.save_hyperparameters()


class ClassicBlobs(BlobsBody, pl.LightningDataModule):
    """The same data written against pytorch_lightning."""

    def __init__(self, batch_size: int = 32, samples: int = 400, features: int = 8, classes: int = 3, seed: int = 0):
        super().__init__()
        self.save_hyperparameters()
'''

TUNING = """
from sweepable.data import Blobs
from sweepable.models import Classifier


def build(hp):
    optimizer = hp.Choice("optimizer", ["sgd", "adam"])
    momentum = hp.Float("momentum", 0.0, 0.9, step=0.3) if optimizer == "sgd" else 0.0
    model = Classifier(hidden=hp.Int("hidden", 16, 64, step=16), lr=hp.Float("lr", 1e-3, 0.3, sampling="log"),
                       optimizer=optimizer, momentum=momentum)
    return model, Blobs(batch_size=hp.Choice("batch_size", [16, 32]))
"""

CALLBACKS = '''
import lightning.pytorch as L


class Settings(L.Callback):
    """Logs what the Trainer runs with, so that a test sees the user's settings in force."""

    def on_train_epoch_end(self, trainer, module):
        module.log("seen/accumulate_grad_batches", float(trainer.accumulate_grad_batches))
        module.log("seen/bf16", float("bf16" in str(trainer.precision)))
        module.log("seen/global_step", float(trainer.global_step))
'''

CLI = """
import sys

from lightning.pytorch.cli import LightningCLI

from sweepable.data import Blobs
from sweepable.models import Classifier


def main():
    if "--any-class" in sys.argv:  # subclass mode: the config names the classes
        sys.argv.remove("--any-class")
        LightningCLI()
    else:
        LightningCLI(Classifier, Blobs)


if __name__ == "__main__":
    main()
"""

SUBCLASS_FIT_CONFIG = """
seed_everything: 7
trainer: {max_epochs: 30}
model:
  class_path: sweepable.models.Classifier
  init_args: {hidden: 24, lr: 0.05}
data:
  class_path: sweepable.data.Blobs
  init_args: {batch_size: 32}
"""

FIT_CONFIG = """
# python -m sweepable.cli fit --config configs/fit.yaml
seed_everything: 7
trainer:
  max_epochs: 30
  enable_progress_bar: false
  callbacks:
    - class_path: lightning.pytorch.callbacks.LearningRateMonitor
      init_args: {logging_interval: epoch}
model:
  hidden: 24
  lr: 0.05
data:
  batch_size: 32
"""


def write_project(folder: Path) -> Path:
    """The project in ``folder`` (made if needed); returns the folder."""
    package = folder / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    for name, text in (
        ("models", MODELS),
        ("data", DATA),
        ("tuning", TUNING),
        ("callbacks", CALLBACKS),
        ("cli", CLI),
    ):
        (package / f"{name}.py").write_text(textwrap.dedent(text).lstrip())
    (folder / "configs").mkdir(exist_ok=True)
    (folder / "configs" / "fit.yaml").write_text(FIT_CONFIG.lstrip())
    (folder / "configs" / "fit_any_class.yaml").write_text(SUBCLASS_FIT_CONFIG.lstrip())
    return folder


def printed_config(folder: Path, subclass_mode: bool = False) -> str:
    """What the project's own ``LightningCLI ... fit --print_config`` prints for its config
    (configs/fit.yaml; in subclass mode, configs/fit_any_class.yaml)."""
    config = "configs/fit_any_class.yaml" if subclass_mode else "configs/fit.yaml"
    extra = ["--any-class"] if subclass_mode else []
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            f"{PACKAGE}.cli",
            *extra,
            "fit",
            "--config",
            config,
            "--print_config",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(folder)},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
