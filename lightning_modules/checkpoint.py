"""Rebuilding a trained model from a sweep checkpoint, safely.

A trial's checkpoint folder holds ``model.ckpt``, or with k-fold validation one file per fold
(``fold-0.ckpt``, ``fold-1.ckpt``, ...), each a Lightning checkpoint of one model. Checkpoints
are read with torch's weights-only unpickler, which never runs code from the file: tensors and
plain values are read as they are, and any other object the file holds (a user's module keeps
an ``nn.Module`` or a ``functools.partial`` among its hyperparameters) is read as an inert
``Unloaded`` that only names its class. The family name and hyperparameters stored in the
checkpoint rebuild the architecture.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from lightning_modules.registry import MODEL_FAMILIES

CHECKPOINT_FILE = "model.ckpt"
FOLD_FILE = re.compile(r"fold-(\d+)\.ckpt")


def fold_checkpoint_name(fold: int, folds: int) -> str:
    """The file a trial's model for ``fold`` is saved in (``model.ckpt`` without k-fold)."""
    return CHECKPOINT_FILE if folds == 1 else f"fold-{fold}.ckpt"


def state_digest(state: Any) -> str:
    """A SHA-256 of a (nested) state dict's tensors and values, in key order: equal digests mean
    equal weights (or optimizer moments), whatever object holds them."""

    # Imported here: torch loads only in the processes that train or evaluate.
    import torch

    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().contiguous().reshape(-1)
            digest.update(f"{tensor.dtype}{tuple(value.shape)}".encode())
            digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
        elif isinstance(value, dict):
            for key in sorted(value, key=str):
                digest.update(str(key).encode())
                feed(value[key])
        elif isinstance(value, (list, tuple)):
            for item in value:
                feed(item)
        else:
            digest.update(repr(value).encode())

    feed(state)
    return digest.hexdigest()


def checkpoint_file(path: str | Path) -> Path:
    """The Lightning checkpoint inside a trial checkpoint folder (or the file itself)."""
    path = Path(path)
    return path / CHECKPOINT_FILE if path.is_dir() else path


def checkpoint_files(path: str | Path) -> list[Path]:
    """Every model checkpoint of a trial checkpoint folder, in fold order (or the file itself)."""
    path = Path(path)
    if not path.is_dir() or (path / CHECKPOINT_FILE).exists():
        return [checkpoint_file(path)]
    folds = sorted(
        (int(match.group(1)), child)
        for child in path.iterdir()
        if (match := FOLD_FILE.fullmatch(child.name))
    )
    if not folds:
        raise FileNotFoundError(
            f"{path}: no checkpoint file here (neither {CHECKPOINT_FILE} nor fold-N.ckpt)"
        )
    return [child for _, child in folds]


class Unloaded:
    """An object of a checkpoint that was not loaded, because loading it would run the code of
    its class: it keeps only the name of that class (``name``). Whatever the file asks of it
    (construction, state) is ignored."""

    name = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> Unloaded:
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Unloaded:
        return self

    def __repr__(self) -> str:
        return f"<not loaded: {self.name}>"


def _stand_in(name: str) -> type[Unloaded]:
    return type("Unloaded", (Unloaded,), {"name": name, "__qualname__": f"Unloaded[{name}]"})


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint's content, read without running any code from it (see the module's
    docstring). ValueError for a file that is not a checkpoint."""
    # Imported here: torch loads only in the processes that train or evaluate.
    import torch
    from torch import serialization

    file = checkpoint_file(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no checkpoint file here")
    try:
        # Every global the weights-only unpickler would refuse is given a stand-in of that name,
        # so the file's other objects are never imported, let alone constructed.
        refused = serialization.get_unsafe_globals_in_checkpoint(file)
        with serialization.safe_globals([(_stand_in(name), name) for name in refused]):
            return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for damaged files
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        # torch names a global it refuses outright (a module it blocks, such as os) on a line of
        # its own, after a paragraph about weights_only.
        reason = next((line for line in lines if "GLOBAL" in line), lines[0] if lines else "")
        raise ValueError(
            f"{file}: not a readable checkpoint ({type(error).__name__}: {reason[:300]})"
        ) from None


def load_model(path: str | Path) -> Any:
    """The LightningModule stored in a checkpoint, weights loaded, in eval mode."""

    files = checkpoint_files(path)
    if len(files) > 1:
        names = ", ".join(file.name for file in files)
        raise ValueError(
            f"{path}: holds one model per validation fold ({names}); load one of those files"
        )
    checkpoint = read_checkpoint(path)
    family_name = checkpoint.get("family")
    if family_name not in MODEL_FAMILIES:
        raise ValueError(f"{checkpoint_file(path)}: unknown model family {family_name!r}")
    module_class = MODEL_FAMILIES[family_name].module_class()
    model = module_class(**checkpoint["hyper_parameters"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()
