"""The best checkpoint's test metrics, from a helper process warmed up during the sweep.

Evaluating needs torch and Lightning, which take seconds to import and which the driver never
needs otherwise. A helper process (``python -m lightning_modules.evaluation``) is started when
the trials start, at the lowest CPU priority so that it only uses idle cores, and imports them
while the sweep runs; at the end it evaluates the best checkpoint at once. Should the helper be
gone, the driver evaluates in its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sweeps.child_processes import background_child, child_setup
from sweeps.errors import SweepError

ROOT = Path(__file__).resolve().parent.parent


class HeldOutEvaluator:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self) -> "HeldOutEvaluator":
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lightning_modules.evaluation"], cwd=ROOT, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                preexec_fn=child_setup(background_child),
            )
        except OSError:
            self.process = None  # evaluated in the driver instead
        return self

    def test_metrics(self, checkpoint: str) -> dict[str, Any]:
        """The checkpoint's test metrics, or ``{"error": why}`` when it cannot be evaluated."""
        from sweeps.storage import fetched

        try:
            with fetched(checkpoint) as local:
                answer = self._ask(str(local))
                if answer is not None:
                    return answer
                from lightning_modules.evaluation import evaluate_checkpoint

                return evaluate_checkpoint(local)
        except (FileNotFoundError, ValueError, SweepError) as error:
            return {"error": str(error)}

    def _ask(self, path: str) -> dict[str, Any] | None:
        process = self.process
        if process is None or process.poll() is not None or "\n" in path:
            return None
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(path + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
            return json.loads(line) if line else None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()  # its loop ends and it exits; its teardown is not waited for
        except OSError:
            process.kill()
