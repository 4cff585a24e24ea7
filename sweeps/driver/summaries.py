"""What the console says about a sweep: its outline before it starts (also ``--dry-run``'s answer)
and its outcome when it ends. Imports neither torch nor Ray."""

from __future__ import annotations

import json
from typing import Any

from sweeps.definition import SweepDefinition
from sweeps.definition.model_kinds import args_text


def describe(spec: SweepDefinition, storage: str) -> str:
    # Imported here: the runner's module loads more than the outline needs (yaml, the searchers).
    from sweeps.driver.runner import sweep_dir_for

    lines = [
        f"sweep      {spec.name}  (from {spec.source})",
        f"results    {sweep_dir_for(spec, storage)}",
        *spec.model.summary_lines(),
        *_objective_lines(spec),
        f"searcher   {spec.searcher_name} {args_text(spec.searcher.model_dump())}",
        f"scheduler  {spec.scheduler_name} {args_text(spec.scheduler.model_dump())}"
        + (
            f" (judges {spec.metric}, the first objective)"
            if spec.several_objectives and spec.scheduler_name != "fifo"
            else ""
        ),
        f"trials     {spec.trial_count} (num_samples {spec.trials.num_samples}), "
        f"at most {spec.trials.max_concurrent or 'as resources allow'} at once",
        resources_line(spec.resources),
        f"stop       max_epochs {spec.stop.max_epochs}, time budget {spec.stop.time_budget_s or 'none'}"
        + (" s" if spec.stop.time_budget_s else "")
        + (f", target {spec.metric} {spec.stop.target:g}" if spec.stop.target is not None else "")
        + (f", plateau {spec.stop.plateau_trials} trials" if spec.stop.plateau_trials else "")
        + (f", epoch budget {spec.stop.epoch_budget}" if spec.stop.epoch_budget else ""),
        f"checkpoint every {spec.checkpoint.every} epoch(s), keep {spec.checkpoint.keep or 'all'}; "
        f"retries {spec.failure.max_retries}; seed {spec.seed}",
        *_logger_lines(spec),
        "space" + ("      (nothing searched)" if not spec.space else ""),
    ]
    listed = {key for layer_list in spec.conditions.lists.values() for key in layer_list.elements}
    for key, param in spec.space.items():
        if key not in listed:
            lines.append(f"  {key:<20} {_domain(param)}{_when(spec.conditions.when.get(key, ()))}")
    for name, layer_list in spec.conditions.lists.items():
        lines.append(
            f"  {name:<20} per layer {_domain(layer_list.element)}, length {layer_list.length}"
            f"{_when(layer_list.when)}"
        )
    if spec.warm_start:
        lines.append(f"warm start {spec.warm_start.summary()}")
    return "\n".join(lines)


def _logger_lines(spec: SweepDefinition) -> list[str]:
    """The trackers that get a run of the sweep and one per trial."""
    options = spec.loggers
    shown = []
    if options.mlflow is not None:
        mlflow = options.mlflow
        uri = mlflow.tracking_uri or "$MLFLOW_TRACKING_URI or ./mlruns"
        artifacts = ", checkpoints as artifacts" if mlflow.artifacts else ""
        shown.append(f"mlflow ({uri}, experiment {mlflow.experiment or spec.name}{artifacts})")
    if options.wandb is not None:
        wandb = options.wandb
        shown.append(f"wandb ({wandb.mode}, project {wandb.project or spec.name})")
    return [f"loggers    {'; '.join(shown)}"] if shown else []


def _objective_lines(spec: SweepDefinition) -> list[str]:
    """The metric, or the objectives (the front searched for) and the constraints."""
    if not spec.several_objectives:
        lines = [f"metric     {spec.metric} ({spec.mode})"]
    else:
        shown = ", ".join(f"{objective.metric} ({objective.mode})" for objective in spec.objectives)
        lines = [f"objectives {shown}: their Pareto front (pareto.json)"]
    for constraint in spec.constraints:
        when = "before training" if constraint.before_training else "on trained trials"
        lines.append(f"constraint {constraint.text} ({when})")
    return lines


def _domain(param: Any) -> str:
    # Imported here: --help stays fast.
    from sweeps.sweep_file.space import Steps

    if isinstance(param, Steps):
        return f"{param.range_kind} [{param.low:g}, {param.high:g}] step {param.step:g}"
    body = [list(v) if isinstance(v, tuple) else v for v in getattr(param, "values", ())] or [
        param.low,
        param.high,
    ]
    return f"{param.kind} {body}"


def _when(conditions: Any) -> str:
    shown = ", ".join(
        f"{c.parent} in {list(c.values)}" if len(c.values) > 1 else f"{c.parent} = {c.values[0]}"
        for c in conditions
    )
    return f"  when {shown}" if shown else ""


def resources_line(resources: Any) -> str:
    each = f"{resources.cpu:g} CPU, {resources.gpu:g} GPU"
    if resources.workers == 1:
        return f"resources  {each} per trial"
    return f"resources  {resources.workers} data-parallel workers per trial (DDP), {each} each"


def outcome_summary(outcome: Any) -> str:
    """The lines printed when a sweep ends: counts, where the results are, the best trial (the
    best feasible one by the first objective) and, with several objectives, the front."""
    best = outcome.best
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.status_counts.items()))
    lines = [
        f"finished in {outcome.wall_time_s:.1f} s: {sum(outcome.status_counts.values())} trials ({counts}), "
        f"{outcome.epochs} epochs",
        f"results    {outcome.sweep_dir}",
    ]
    if best.get("trial_id") is None:
        lines.append(f"no trial reached a finite {best['metric']}")
    else:
        lines += [
            f"best       trial {best['trial_id']}: {best['metric']} = {best['value']:.4f} at epoch {best['epoch']}",
            f"config     {json.dumps(best['config'])}",
            f"checkpoint {best['checkpoint']}",
        ]
        test = best.get("test") or {}
        if "error" in test:
            lines.append(f"test       not evaluated: {test['error']}")
        elif test:
            lines.append(
                "test       " + ", ".join(f"{k} = {v:.4f}" for k, v in sorted(test.items()))
            )
    if outcome.front:
        lines.append(f"front      {len(outcome.front)} trial(s) (pareto.json):")
        for trial in outcome.front[:10]:
            values = ", ".join(f"{name} = {value:.4g}" for name, value in trial["values"].items())
            lines.append(f"  {trial['trial_id']}  {values}")
        if len(outcome.front) > 10:
            lines.append(f"  ... and {len(outcome.front) - 10} more")
    lines.append(f"tensorboard --logdir {outcome.sweep_dir}")
    return "\n".join(lines)
