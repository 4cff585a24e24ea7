"""Random search (``searcher: {name: random}``): every trial samples the space independently.

``grid:`` keys are still expanded fully, each grid point getting ``num_samples`` random trials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from lightning_modules.configs.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.spec import SweepSpec


class Options(ArgsModel):
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="defaults to the sweep's seed")


CHOICES_ARE_GRID = False


def check(options: Options, spec: "SweepSpec") -> None:
    """Random search accepts every kind of searched key."""


def build(options: Options, spec: "SweepSpec") -> tuple[Any, dict[str, Any]]:
    from ray.tune.search.basic_variant import BasicVariantGenerator

    seed = spec.seed if options.seed is None else options.seed
    param_space = {key: param.to_tune() for key, param in spec.space.items()}
    return BasicVariantGenerator(random_state=seed, max_concurrent=spec.trials.max_concurrent or 0), param_space
