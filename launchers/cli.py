"""What the launchers share: their arguments, the dry-run plan and the final report.

Imports neither torch nor Ray, so ``--help`` and ``--dry-run`` answer at once.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from sweeps.errors import SweepError, summary
from sweeps.run import stop_requests
from sweeps.run.ray_session import ClusterError, resolve_address, shutdown
from sweeps.spec import SweepSpec, load_sweep

EXIT_BEST_FOUND = 0
EXIT_SWEEP_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_CLUSTER = 3
EXIT_INTERRUPTED = 130
EXIT_STATUSES = f"""exit status:
  {EXIT_BEST_FOUND}    the sweep finished and found its best trial
  {EXIT_SWEEP_FAILED}    no trial reached a finite metric
  {EXIT_USER_ERROR}    a mistake in the sweep file or the command line; nothing was started
  {EXIT_CLUSTER}    the Ray cluster could not be reached, was lost mid-sweep, or refused this driver
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C or SIGTERM); the sweep's state is saved for --resume"""


def build_parser(prog: str, description: str, cluster: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sweep", help="the sweep file (YAML), e.g. sweeps/digits_asha.yaml")
    if cluster:
        parser.add_argument(
            "--address", help="Ray cluster address HOST:PORT, or 'auto'; defaults to $RAY_ADDRESS"
        )
    parser.add_argument(
        "--storage",
        default="results",
        help="folder that receives <storage>/<name>/ (default: results)",
    )
    parser.add_argument(
        "--name", help="sweep name (default: the file's name key); the results folder's name"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in <storage>/<name>/ where it stopped",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="delete an earlier sweep in <storage>/<name>/ and start afresh (without it, an existing sweep is refused)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key of the sweep file by its dotted path, e.g. --set trials.num_samples=4 (repeatable)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="validate and print the plan; start nothing"
    )
    parser.add_argument("--verbose", action="store_true", help="also show the trials' own output")
    parser.add_argument(
        "--tensorboard",
        action="store_true",
        help="serve TensorBoard on the sweep while it runs, and after it until Ctrl-C; prints its URL",
    )
    parser.add_argument(
        "--tensorboard-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address TensorBoard listens on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--tensorboard-port",
        type=int,
        default=0,
        metavar="PORT",
        help="its port (default: a free one)",
    )
    return parser


def sweep_file(argument: str) -> str:
    """The sweep file as given or, when there is no such file here, the shipped sweep of that
    name (``sweeps/digits_asha.yaml``, ``digits_asha.yaml`` or ``digits_asha``) as installed with
    the package, so the shipped sweeps run from any folder."""
    if Path(argument).exists():
        return argument
    # Imported here: --help stays fast.
    import sweeps

    shipped = Path(sweeps.__file__).resolve().parent / Path(argument).name
    for candidate in (shipped, shipped.with_name(shipped.name + ".yaml")):
        if candidate.is_file():
            return str(candidate)
    return argument


def describe(spec: SweepSpec, storage: str) -> str:
    # Imported here: --help stays fast.
    from sweeps.run.runner import sweep_dir_for

    lines = [
        f"sweep      {spec.name}  (from {spec.source})",
        f"results    {sweep_dir_for(spec, storage)}",
        *(
            _user_model_lines(spec.user)
            if spec.user is not None
            else [
                f"model      {spec.family.name} {_args(spec.model_args)}",
                f"data       {spec.dataset.name} {_args(spec.data_args)}",
            ]
        ),
        *_objective_lines(spec),
        f"searcher   {spec.searcher_name} {_args(spec.searcher.model_dump())}",
        f"scheduler  {spec.scheduler_name} {_args(spec.scheduler.model_dump())}"
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


def _objective_lines(spec: SweepSpec) -> list[str]:
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


def _user_model_lines(user: Any) -> list[str]:
    """The user's model, data, Trainer settings and what the sweep sets over them."""
    config = user.plan.config
    lines = []
    if user.plan.builder is not None:
        lines.append(
            f"model      blueprint {user.plan.builder} ({user.plan.flavour}; its space found in "
            f"{user.blueprint.runs} runs)"
        )
    else:
        model = config["model"]
        lines.append(
            f"model      {model['class_path']} {_args(model.get('init_args') or {})} ({user.plan.flavour})"
        )
    if config.get("data"):
        lines.append(
            f"data       {config['data']['class_path']} {_args(config['data'].get('init_args') or {})}"
        )
    for section in ("optimizer", "lr_scheduler"):
        if config.get(section):
            lines.append(
                f"{section:<10} {config[section]['class_path']} {_args(config[section].get('init_args') or {})}"
            )
    trainer = {
        key: value for key, value in (config.get("trainer") or {}).items() if value is not None
    }
    if trainer:
        callbacks = trainer.pop("callbacks", None) or []
        shown = _args(trainer)
        if callbacks:
            names = ", ".join(
                str(c.get("class_path", c)).rsplit(".", 1)[-1] if isinstance(c, dict) else str(c)
                for c in callbacks
            )
            shown = (shown[:-1] + ", " if shown else "(") + f"callbacks=[{names}])"
        lines.append(f"trainer    {shown}")
    if user.config_files:
        lines.append(f"config     {', '.join(user.config_files)}")
    lines += [f"note       {note}" for note in user.notes]
    return lines


def _domain(param: Any) -> str:
    # Imported here: --help stays fast.
    from sweeps.spec.space import Steps

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


def _args(args: dict[str, Any]) -> str:
    shown = {k: v for k, v in args.items() if v is not None}
    return "(" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else ""


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


def main(argv: list[str] | None, *, prog: str, description: str, cluster: bool) -> int:
    parser = build_parser(prog, description, cluster)
    args = parser.parse_args(argv)
    server = None
    outcome = None
    try:
        spec = load_sweep(sweep_file(args.sweep), overrides=args.overrides, name=args.name)
        address = None
        if cluster:
            address = args.address or os.environ.get("RAY_ADDRESS")
            if not address:
                raise SweepError(
                    "no cluster address: pass --address HOST:PORT (or auto), or set RAY_ADDRESS",
                    where=prog,
                )
        if args.dry_run:
            print(describe(spec, args.storage))
            if cluster:
                print(f"cluster    {address}")
            return 0
        # Imported here: Ray loads only when a sweep runs, after authentication is settled.
        from sweeps.run.runner import check_target, run_sweep, sweep_dir_for

        if address is not None:
            address = resolve_address(address)

        check_target(spec, args.storage, args.resume, args.overwrite)
        print(describe(spec, args.storage), flush=True)
        if args.tensorboard:
            from launchers.tensorboard_server import TensorBoardServer

            if not 0 <= args.tensorboard_port <= 65535:
                raise SweepError(
                    f"--tensorboard-port {args.tensorboard_port}: give 1 to 65535, or 0 for a free port"
                )
            server = TensorBoardServer(
                str(sweep_dir_for(spec, args.storage)), args.tensorboard_host, args.tensorboard_port
            )
            print(f"tensorboard {server.start()}", flush=True)
        outcome = run_sweep(
            spec,
            args.storage,
            resume=args.resume,
            address=address,
            verbose=args.verbose,
            overwrite=args.overwrite,
        )
        print(outcome_summary(outcome), flush=True)
        if server is not None:
            shutdown()  # the sweep is over: only TensorBoard keeps running
            print(f"tensorboard still serving {server.url}  (Ctrl-C to stop)", flush=True)
            while server.process is not None and server.process.poll() is None:
                time.sleep(1)
    except SweepError as error:
        for line in summary(error, args.sweep):
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CLUSTER
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        # The guard keeps a reserve free, so only a disk that others filled, or a very large
        # checkpoint, gets here: Tune's state is saved after each trial's checkpoint.
        where = f" writing {error.filename}" if error.filename else ""
        print(
            f"error: no space left on the device{where}: free some space, then continue with --resume",
            file=sys.stderr,
        )
        return EXIT_SWEEP_FAILED
    except KeyboardInterrupt:
        stopped = stop_requests.requested()
        if stopped is not None and stopped.reason == stop_requests.CLUSTER_LOST:
            print(f"error: {stopped.message}", file=sys.stderr)
            return EXIT_CLUSTER
        if outcome is None:
            print(stop_requests.interrupted_line(), file=sys.stderr)
            return EXIT_INTERRUPTED
    finally:
        if server is not None:
            server.stop()
    return 0 if outcome.best.get("trial_id") is not None else EXIT_SWEEP_FAILED


def run_and_exit(*, prog: str, description: str, cluster: bool) -> NoReturn:
    """A launcher's ``__main__``: run, shut Ray down, and end the process without the
    interpreter's teardown of torch, Lightning and Ray, which takes over a second and has
    nothing left to do (every file is written and closed, every helper stopped)."""
    stop_requests.install()
    code = main(None, prog=prog, description=description, cluster=cluster)
    stopped = stop_requests.requested()
    if stopped is not None and stopped.reason == stop_requests.CLUSTER_LOST:
        stop_requests.end_now(code)  # Ray's shutdown would wait on a GCS that is gone
    if "ray" in sys.modules:
        shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
