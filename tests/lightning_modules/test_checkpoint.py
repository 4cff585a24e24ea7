"""Reading a checkpoint never runs code from it: tensors and plain values are read, any other
object (an ``nn.Module`` or a ``functools.partial`` among a module's hyperparameters) is read as
an inert name, and a payload crafted to run a command is refused."""

from __future__ import annotations

import functools
import os

import pytest
import torch
from torch import nn

from lightning_modules.checkpoint import Unloaded, read_checkpoint


class Payload:
    """What a crafted checkpoint holds: unpickling it would write a file."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_objects_in_a_checkpoint_are_read_as_names(tmp_path):
    weights = nn.Linear(3, 2).state_dict()
    file = tmp_path / "model.ckpt"
    torch.save(
        {
            "state_dict": weights,
            "hyper_parameters": {
                "net": nn.Sequential(nn.Linear(3, 2)),
                "optimizer": functools.partial(torch.optim.Adam, lr=0.01),
                "classes": 2,
            },
        },
        file,
    )

    stored = read_checkpoint(file)

    net, optimizer = stored["hyper_parameters"]["net"], stored["hyper_parameters"]["optimizer"]
    assert isinstance(net, Unloaded) and net.name == "torch.nn.modules.container.Sequential"
    assert isinstance(optimizer, Unloaded) and optimizer.name == "functools.partial"
    assert stored["hyper_parameters"]["classes"] == 2
    assert all(torch.equal(stored["state_dict"][key], weights[key]) for key in weights)


def test_a_crafted_checkpoint_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    file = tmp_path / "model.ckpt"
    torch.save({"state_dict": {}, "payload": Payload(str(marker))}, file)
    with pytest.raises(ValueError) as caught:
        read_checkpoint(file)
    assert not marker.exists()
    assert "posix.system" in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_no_checkpoint_is_one_line(tmp_path):
    file = tmp_path / "model.ckpt"
    file.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError) as caught:
        read_checkpoint(file)
    assert str(caught.value).startswith(f"{file}: not a readable checkpoint (")
    assert "\n" not in str(caught.value)
