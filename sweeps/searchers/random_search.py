"""Random search (``searcher: {name: random}``): every trial samples the space independently.

``grid:`` keys are still expanded fully, each grid point getting ``num_samples`` random trials.
Conditional keys (see sweeps.sweep_file.conditions) are sampled with the rest and dropped from the trials
they do not apply to, so the sequence of proposals stays the seed's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sweeps.searchers import SearcherTraits
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.searchers import SearchProblem


class Options(ArgsModel):
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="defaults to the sweep's seed")


TRAITS = SearcherTraits(
    # Handles keys that apply only in some trials.
    conditional=True,
)


def check(options: Options, problem: SearchProblem) -> None:
    """Random search accepts every kind of searched key."""


def build(options: Options, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:
    # Imported here: sweeps.searchers.conditional_variants loads ray, which only this path needs.
    from sweeps.searchers.conditional_variants import ConditionalVariantGenerator

    seed = problem.seed if options.seed is None else options.seed
    param_space = {key: param.to_tune() for key, param in problem.space.items()}
    generator = ConditionalVariantGenerator(
        problem.conditions,
        random_state=seed,
        max_concurrent=problem.max_concurrent or 0,
        points_to_evaluate=[dict(point) for point in problem.points] or None,
    )
    return generator, param_space
