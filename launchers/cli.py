"""What the launchers share: their arguments, their exit statuses and how a sweep is run from them.

Imports neither torch nor Ray, so ``--help`` and ``--dry-run`` answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import NoReturn

from sweeps.definition import find_sweep_file, load_sweep
from sweeps.driver import stop_requests
from sweeps.driver.summaries import describe, outcome_summary
from sweeps.errors import SweepError, summary
from sweeps.runtime.ray_control import resolve_address, shutdown
from sweeps.stop_reasons import (
    CLUSTER,
    DISK_FULL,
    FINISHED,
    INTERRUPTED,
    MISTAKE,
    NO_RESULT,
    SweepStopped,
    disk_full_line,
    help_table,
    reason_of,
)


def build_parser(prog: str, description: str, cluster: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=help_table(),
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


def main(argv: list[str] | None, *, prog: str, description: str, cluster: bool) -> int:
    parser = build_parser(prog, description, cluster)
    args = parser.parse_args(argv)
    server = None
    outcome = None
    try:
        spec = load_sweep(find_sweep_file(args.sweep), overrides=args.overrides, name=args.name)
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
        from sweeps.driver.runner import check_target, run_sweep, sweep_dir_for

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
        return MISTAKE.exit_status
    except SweepStopped as stopped:
        print(f"error: {stopped}", file=sys.stderr)
        return stopped.reason.exit_status
    except OSError as error:
        if reason_of(error) is not DISK_FULL:
            raise
        print(f"error: {disk_full_line(error)}", file=sys.stderr)
        return DISK_FULL.exit_status
    except KeyboardInterrupt:
        # Not named ``stopped``: the name is the SweepStopped handler's, deleted after it.
        request = stop_requests.requested()
        if request is not None and request.reason is not INTERRUPTED:
            print(f"error: {request.message}", file=sys.stderr)
            return request.reason.exit_status
        if outcome is None:
            print(stop_requests.interrupted_line(), file=sys.stderr)
            return INTERRUPTED.exit_status
    finally:
        if server is not None:
            server.stop()
    found = outcome.best.get("trial_id") is not None
    return (FINISHED if found else NO_RESULT).exit_status


def run_and_exit(*, prog: str, description: str, cluster: bool) -> NoReturn:
    """A launcher's ``__main__``: run, shut Ray down, and end the process without the
    interpreter's teardown of torch, Lightning and Ray, which takes over a second and has
    nothing left to do (every file is written and closed, every helper stopped)."""
    stop_requests.install()
    code = main(None, prog=prog, description=description, cluster=cluster)
    stopped = stop_requests.requested()
    if stopped is not None and stopped.reason is CLUSTER:
        stop_requests.end_now(code)  # Ray's shutdown would wait on a GCS that is gone
    if "ray" in sys.modules:
        shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
