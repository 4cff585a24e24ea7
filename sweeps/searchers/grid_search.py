"""Grid search (``searcher: {name: grid}``): every combination of the listed values.

Every searched key must be finite: ``grid: [...]`` or ``choice: [...]`` (a choice is treated as a
grid here). ``trials.num_samples`` repeats the whole grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sweeps.errors import SweepError
from sweeps.searchers import SearcherTraits
from sweeps.sweep_file.space import Choice, Grid
from typed_config.base import ArgsModel

if TYPE_CHECKING:
    from sweeps.searchers import SearchProblem


class Options(ArgsModel):
    pass


TRAITS = SearcherTraits(
    choices_are_grid=True,
    # It runs every combination anyway.
    warm_start=False,
)


def check(options: Options, problem: SearchProblem) -> None:
    for key, param in problem.space.items():
        if not isinstance(param, (Grid, Choice)):
            raise SweepError(
                f"grid search needs a finite list of values, got a {param.kind} range; "
                "write grid: [...] or choice: [...], or use searcher random",
                path=f"space.{key}",
            )


def build(options: Options, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    param_space = {
        key: tune.grid_search(param.representatives()) for key, param in problem.space.items()
    }
    return BasicVariantGenerator(
        random_state=problem.seed, max_concurrent=problem.max_concurrent or 0
    ), param_space
