"""What the Optuna-based searchers (tpe, gp) share: the sweep's space as an Optuna define-by-run
function, the searcher wrapped to respect ``trials.max_concurrent``, and the load-time check that
the space holds nothing a model-based searcher cannot sample.

Define-by-run keeps the proposed configuration exactly what the sweep file wrote: a choice among
lists (per-layer widths, say) is proposed by its position and handed to the trial as the list.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any

from sweeps.errors import SweepError
from sweeps.space import Choice, FloatRange, Grid, IntRange, Param, _as_written

if TYPE_CHECKING:
    from sweeps.spec import SweepSpec


def check_sampled_space(spec: "SweepSpec", searcher: str) -> None:
    """Grid values promise every value a trial; a model-based searcher chooses instead."""
    for key, param in spec.space.items():
        if isinstance(param, Grid):
            raise SweepError(
                f"grid values need searcher grid or random; the {searcher} searcher proposes values "
                "from a model, so write choice: [...] instead",
                path=f"space.{key}",
            )


def suggest(space: dict[str, Param], trial: Any) -> dict[str, Any]:
    """One configuration from an Optuna trial. Returns the values Optuna cannot hold itself."""
    as_written: dict[str, Any] = {}
    for key, param in space.items():
        if isinstance(param, IntRange):
            trial.suggest_int(key, param.low, param.high, log=param.log)
        elif isinstance(param, FloatRange):
            trial.suggest_float(key, param.low, param.high, log=param.log)
        elif isinstance(param, Choice):
            values = param.representatives()
            if all(not isinstance(value, list) for value in values):
                trial.suggest_categorical(key, values)
            else:
                position = trial.suggest_categorical(key, list(range(len(values))))
                as_written[key] = _as_written(param.values[position])
        else:  # refused at load time by check_sampled_space
            raise TypeError(f"{key}: a {param.kind} key cannot be sampled")
    return as_written


def build_optuna(sampler: Any, spec: "SweepSpec") -> tuple[Any, dict[str, Any]]:
    import optuna
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per trial otherwise
    # Model-based samplers fit their model inside the define-by-run call (a GP takes a second or
    # two), which Tune would report as "computation in the define-by-run function" every trial.
    warnings.filterwarnings("ignore", message="Define-by-run function passed")
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    searcher = OptunaSearch(
        space=functools.partial(suggest, dict(spec.space)),
        metric=spec.metric,
        mode=spec.mode,
        sampler=sampler,
    )
    if spec.trials.max_concurrent:
        searcher = ConcurrencyLimiter(searcher, max_concurrent=spec.trials.max_concurrent)
    return searcher, {}
