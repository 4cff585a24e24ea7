"""The base of every model family's configuration: building blocks + training + the family's own
architecture keys, with every cross-key rule checked when it is built."""

from __future__ import annotations

from typing import Any, ClassVar

from lightning_modules.configs.blocks import BlockConfig
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.configs.training import TrainingConfig
from typed_config.rules import Rule, first_violation


class NetworkConfig(BlockConfig, TrainingConfig):
    family_rules: ClassVar[list[Rule]] = []
    # The kinds of data (DataInfo.kind) the family can take; the family adapts the layout.
    data_kinds: ClassVar[tuple[str, ...]] = ("vector", "image", "sequence")

    @classmethod
    def rules(cls) -> list[Rule]:
        return [*cls.block_rules, *cls.training_rules, *cls.family_rules]

    def check_data(self, data: DataInfo) -> None:
        """The rules that need the data's shape, for a trial about to be built."""
        if data.kind not in self.data_kinds:
            raise ValueError(
                f"this family takes {' or '.join(self.data_kinds)} data, not {data.kind}"
            )
        message = first_violation(self.rules(), self.model_dump(), set(self.model_fields_set), data)
        if message:
            raise ValueError(message)

    def arguments(self) -> dict[str, Any]:
        """The config as plain values, with which keys were given (a checkpoint stores both)."""
        return self.model_dump()
