"""Rebuilding a trained model from a sweep checkpoint, safely.

Checkpoints are read with ``torch.load(weights_only=True)``: tensors and plain values only, never
code. The family name and hyperparameters stored in the checkpoint rebuild the architecture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "model.ckpt"


def checkpoint_file(path: str | Path) -> Path:
    """The Lightning checkpoint inside a trial checkpoint folder (or the file itself)."""
    path = Path(path)
    return path / CHECKPOINT_FILE if path.is_dir() else path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    import torch

    file = checkpoint_file(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no checkpoint file here")
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for damaged files
        raise ValueError(f"{file}: not a readable checkpoint ({type(error).__name__}: {error})") from None


def load_model(path: str | Path) -> Any:
    """The LightningModule stored in a checkpoint, weights loaded, in eval mode."""
    from lightning_modules.registry import MODEL_FAMILIES

    checkpoint = read_checkpoint(path)
    family_name = checkpoint.get("family")
    if family_name not in MODEL_FAMILIES:
        raise ValueError(f"{checkpoint_file(path)}: unknown model family {family_name!r}")
    module_class = MODEL_FAMILIES[family_name].module_class()
    model = module_class(**checkpoint["hyper_parameters"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()
