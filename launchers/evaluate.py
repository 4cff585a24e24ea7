"""Evaluate a sweep checkpoint on the held-out test split of the data it was trained on.

    python -m launchers.evaluate CHECKPOINT [--json]

CHECKPOINT is a trial's checkpoint folder (as in best.json) or its model.ckpt file. The
checkpoint is read as tensors and plain values only; it rebuilds its own model and data split.
A user's own module is rebuilt from the config its checkpoint records (run this from the project's
folder, so that its classes import) and tested with its data module's test_dataloader.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m launchers.evaluate", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument(
        "checkpoint",
        help="a checkpoint folder or model.ckpt file (a path or a URI such as s3://...)",
    )
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    # Imported here: --help stays fast.
    from sweeps.errors import SweepError, first_line
    from sweeps.results.storage import fetched
    from sweeps.run.checkpoint_evaluation import evaluate

    try:
        with fetched(args.checkpoint) as local:  # a URI's checkpoint is copied here first
            metrics = evaluate(local)
    except (FileNotFoundError, ValueError, SweepError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a user's own module failed while being rebuilt or tested
        print(
            f"error: {args.checkpoint}: {type(error).__name__}: {first_line(error)}",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(metrics))
    else:
        for name, value in sorted(metrics.items()):
            print(f"{name:<16} {value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
