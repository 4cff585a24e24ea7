"""The project's objects assembled from a trial's values, as its Hydra config would assemble
them: the sweep's blueprint."""

from __future__ import annotations

from functools import partial

import torch

from objects_in_hparams.datamodule import BlobsDataModule
from objects_in_hparams.module import ClassifierModule
from objects_in_hparams.nets import DenseNet


def build(hp):
    net = DenseNet(hidden=hp.Int("hidden", 16, 64, step=16))
    optimizer = partial(
        torch.optim.Adam,
        lr=hp.Float("lr", 1e-3, 3e-2, sampling="log"),
        weight_decay=hp.Float("weight_decay", 0.0, 1e-3),
    )
    scheduler = partial(
        torch.optim.lr_scheduler.ReduceLROnPlateau, mode="min", factor=0.5, patience=1
    )
    module = ClassifierModule(net=net, optimizer=optimizer, scheduler=scheduler)
    return module, BlobsDataModule(batch_size=hp.Choice("batch_size", [16, 32]))
