"""What a model needs to know of its data before any is loaded: the context the configurations'
cross-key rules (typed_config.rules) are judged in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know of its data, known before any data is loaded.

    kind: "vector" (features,), "image" (channels, height, width) or "sequence" (length, features).
    num_classes: None for regression.
    """

    kind: str
    sample_shape: tuple[int, ...]
    num_classes: int | None

    @property
    def task(self) -> str:
        return "regression" if self.num_classes is None else "classification"

    def to_stored(self) -> dict[str, Any]:
        """Plain values, as a checkpoint's hyperparameters hold them."""
        return {
            "kind": self.kind,
            "sample_shape": list(self.sample_shape),
            "num_classes": self.num_classes,
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> DataInfo:
        return cls(stored["kind"], tuple(stored["sample_shape"]), stored["num_classes"])
