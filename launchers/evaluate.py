"""Evaluate sweep checkpoints on the held-out test split of the data they were trained on.

    python -m launchers.evaluate CHECKPOINT [CHECKPOINT ...] [--json]

CHECKPOINT is a trial's checkpoint folder (as in best.json) or its model.ckpt file. A checkpoint
is read without running any code from it; it rebuilds its own model and data split. A user's
own module is rebuilt from the config its checkpoint records (run this from the project's
folder, so that its classes import) and tested with its data module's test_dataloader. With
several checkpoints (the top trials of a sweep, say), each is evaluated in turn in one process
and a checkpoint that cannot be is one line of its own; the exit status is then the worst one.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m launchers.evaluate", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument(
        "checkpoints",
        nargs="+",
        metavar="CHECKPOINT",
        help="a checkpoint folder or model.ckpt file (a path or a URI such as s3://...)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the metrics as JSON (with several checkpoints, one object a line, each "
        "with its checkpoint and its metrics or error)",
    )
    args = parser.parse_args(argv)
    several = len(args.checkpoints) > 1
    status = 0
    for checkpoint in args.checkpoints:
        metrics, error, code = evaluated(checkpoint)
        status = max(status, code)
        if error is not None:
            print(f"error: {error}", file=sys.stderr)
            if args.json and several:
                print(json.dumps({"checkpoint": checkpoint, "error": error}))
        elif args.json:
            print(
                json.dumps({"checkpoint": checkpoint, "metrics": metrics} if several else metrics)
            )
        else:
            if several:
                print(checkpoint)
            for name, value in sorted(metrics.items()):
                print(f"{'  ' if several else ''}{name:<16} {value:.4f}")
    return status


def evaluated(checkpoint: str) -> tuple[dict[str, Any], str | None, int]:
    """(its metrics, or the one line saying why there are none, and the exit status for it:
    2 for a checkpoint that cannot be evaluated, 1 where the user's own code failed)."""
    # Imported here: --help stays fast.
    from sweeps.driver.checkpoint_evaluation import evaluate
    from sweeps.errors import SweepError, first_line
    from sweeps.results.storage import fetched

    try:
        with fetched(checkpoint) as local:  # a URI's checkpoint is copied here first
            return evaluate(local), None, 0
    except (FileNotFoundError, ValueError, SweepError) as error:
        return {}, str(error), 2
    except Exception as error:  # a user's own module failed while being rebuilt or tested
        return {}, f"{checkpoint}: {type(error).__name__}: {first_line(error)}", 1


if __name__ == "__main__":
    sys.exit(main())
