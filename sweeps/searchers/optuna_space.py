"""What the Optuna-based searchers (tpe, gp, nsga2) share: the sweep's space as an Optuna define-by-run
function, the searcher wrapped to respect ``trials.max_concurrent``, and the load-time check that
the space holds nothing a model-based searcher cannot sample.

Define-by-run keeps the proposed configuration exactly what the sweep file wrote: a choice among
lists (per-layer widths, say) is proposed by its position and handed to the trial as the list. A
stepped range is proposed as Optuna's stepped range (a log one by its step count), so the model
keeps its order, and handed to the trial as one of its values.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any

from sweeps.errors import SweepError
from sweeps.runtime.ray_control import optuna_study
from sweeps.sweep_file.conditions import Conditions
from sweeps.sweep_file.space import (
    Choice,
    FloatRange,
    Grid,
    IntRange,
    Param,
    Steps,
    _as_written,
    same_value,
)

if TYPE_CHECKING:
    from sweeps.searchers import SearchProblem


def check_sampled_space(problem: SearchProblem, searcher: str) -> None:
    """Grid values promise every value a trial; a model-based searcher chooses instead."""
    for key, param in problem.space.items():
        if isinstance(param, Grid):
            raise SweepError(
                f"grid values need searcher grid or random; the {searcher} searcher proposes values "
                "from a model, so write choice: [...] instead",
                path=f"space.{key}",
            )


def suggest(space: dict[str, Param], conditions: Conditions, trial: Any) -> dict[str, Any]:
    """One configuration from an Optuna trial, parents before the keys that depend on them; a key
    that does not apply is not proposed at all. Returns the values Optuna cannot hold itself."""
    chosen: dict[str, Any] = {}
    as_written: dict[str, Any] = {}
    for key in conditions.order or list(space):
        if not conditions.applies(key, chosen):
            continue
        param = space[key]
        if isinstance(param, Steps):
            chosen[key] = as_written[key] = _suggest_step(trial, key, param)
        elif isinstance(param, IntRange):
            chosen[key] = trial.suggest_int(key, param.low, param.high, log=param.log)
        elif isinstance(param, FloatRange):
            chosen[key] = trial.suggest_float(key, param.low, param.high, log=param.log)
        elif isinstance(param, Choice):
            values = param.representatives()
            if all(not isinstance(value, list) for value in values):
                chosen[key] = trial.suggest_categorical(key, values)
            else:
                position = trial.suggest_categorical(key, list(range(len(values))))
                chosen[key] = as_written[key] = _as_written(param.values[position])
        else:  # refused at load time by check_sampled_space
            raise TypeError(f"{key}: a {param.kind} key cannot be sampled")
    return as_written


def _suggest_step(trial: Any, key: str, param: Steps) -> Any:
    """One value of a stepped range: Optuna's own stepped range (values low + k * step), or for a
    log range the step count k; either way the nearest of the range's own values."""
    if param.log:
        return param.values[trial.suggest_int(key, 0, len(param.values) - 1)]
    if param.integer:
        proposed = trial.suggest_int(
            key, int(param.low), int(param.values[-1]), step=int(param.step)
        )
    else:
        proposed = trial.suggest_float(key, param.low, param.values[-1], step=param.step)
    return min(param.values, key=lambda value: abs(value - proposed))


def _distribution(param: Param) -> Any:
    """The Optuna distribution ``suggest`` draws ``param`` from (list choices: by position)."""
    # Imported here: Optuna loads only for the searchers that use it.
    import optuna.distributions as od

    if isinstance(param, Steps):
        if param.log:
            return od.IntDistribution(0, len(param.values) - 1)
        if param.integer:
            return od.IntDistribution(int(param.low), int(param.values[-1]), step=int(param.step))
        return od.FloatDistribution(param.low, param.values[-1], step=param.step)
    if isinstance(param, IntRange):
        return od.IntDistribution(param.low, param.high, log=param.log)
    if isinstance(param, FloatRange):
        return od.FloatDistribution(param.low, param.high, log=param.log)
    values = param.representatives()
    if all(not isinstance(value, list) for value in values):
        return od.CategoricalDistribution(values)
    return od.CategoricalDistribution(list(range(len(values))))


def _as_optuna(space: dict[str, Param], config: dict[str, Any]) -> dict[str, Any]:
    """A trial config as Optuna holds its parameters (list choices by position)."""
    held = {}
    for key, value in config.items():
        param = space[key]
        if isinstance(param, Steps) and param.log:
            value = next(i for i, option in enumerate(param.values) if same_value(option, value))
        elif isinstance(param, Choice) and any(
            isinstance(option, list) for option in param.representatives()
        ):
            value = next(
                i for i, option in enumerate(param.representatives()) if same_value(option, value)
            )
        held[key] = value
    return held


def build_optuna(sampler: Any, problem: SearchProblem) -> tuple[Any, dict[str, Any]]:
    # Imported here: Ray loads only to run a sweep, never to load a sweep file.
    import optuna
    from ray.tune.search import ConcurrencyLimiter, Searcher

    from sweeps.searchers.optuna_search import SweepOptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per trial otherwise
    # Model-based samplers fit their model inside the define-by-run call (a GP takes a second or
    # two), which Tune would report as "computation in the define-by-run function" every trial.
    warnings.filterwarnings("ignore", message="Define-by-run function passed")
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    space = dict(problem.space)
    several = len(problem.metrics) > 1
    searcher: Searcher = SweepOptunaSearch(
        space=functools.partial(suggest, space, problem.conditions),
        metric=problem.metrics if several else problem.metric,
        mode=problem.modes if several else problem.mode,
        sampler=sampler,
        points_to_evaluate=[_as_optuna(space, point) for point in problem.points] or None,
        constraints=problem.constraints,
    )
    # Earlier trials join the study as finished ones, so the sampler's model starts from them.
    # (Tune's own evaluated_rewards does not work with a define-by-run space, hence the study.)
    for config, values in problem.learned:
        held = _as_optuna(space, config)
        optuna_study(searcher).add_trial(
            optuna.trial.create_trial(
                params=held,
                distributions={key: _distribution(space[key]) for key in held},
                # The earlier sweep's constraints are not known: the trial counts as feasible.
                values=list(values),
            )
        )
    if problem.max_concurrent:
        searcher = ConcurrencyLimiter(searcher, max_concurrent=problem.max_concurrent)
    return searcher, {}
