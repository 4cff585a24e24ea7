"""Evaluating a trial checkpoint on held-out test data, whichever model it holds.

A shipped family's checkpoint is evaluated on the test split of the data set it was trained on,
with torch alone (lightning_modules.evaluation); a user's own module through its data module's
test_dataloader under Lightning's Trainer (sweeps.user_model.evaluation). ``python -m
sweeps.driver.checkpoint_evaluation`` serves requests: one checkpoint path per line on stdin, one
JSON line of metrics (or ``{"error": ...}``) back, with the slow imports done before the first
request (see sweeps.driver.held_out_evaluation); the modules named on its command line (a user's
classes and their Lightning package) are imported then too.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from lightning_modules.checkpoint import checkpoint_files, read_checkpoint
from lightning_modules.evaluation import evaluate_checkpoint
from sweeps.user_model.build import MODEL_FIELD


def evaluate(path: str | Path) -> dict[str, float]:
    """Test metrics of a checkpoint folder or file. ValueError or FileNotFoundError when it
    cannot be evaluated."""

    files = checkpoint_files(path)
    stored = read_checkpoint(files[0])
    if MODEL_FIELD in stored:
        # Imported here: a user's module is evaluated under Lightning, which a shipped family's
        # evaluation does without.
        from sweeps.user_model.evaluation import evaluate_user_checkpoint

        return evaluate_user_checkpoint(files[0], stored)

    return evaluate_checkpoint(path)


def serve(preload: list[str]) -> None:

    # The slow import, done while waiting (the data splits need no scikit-learn).
    import torch  # noqa: F401

    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that fails now fails again, reported, when evaluated
            pass

    for line in sys.stdin:
        try:
            answer: dict[str, Any] = evaluate(line.rstrip("\n"))
        except (FileNotFoundError, ValueError) as error:
            answer = {"error": str(error)}
        except Exception as error:  # the user's code failed: say so, and keep serving
            answer = {
                "error": f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            }
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    import sys

    serve(sys.argv[1:])
