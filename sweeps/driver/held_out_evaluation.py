"""The best checkpoint's test metrics, from a helper process warmed up during the sweep.

Evaluating a shipped family's checkpoint needs torch, which takes seconds to import and which the
driver of such a sweep never needs otherwise. A helper process (``python -m
sweeps.driver.checkpoint_evaluation``) is started as Ray starts, at the priority of the trial
workers, so that it imports torch beside the sweep (sharing the cores with the trials, behind
Ray's own processes) rather than after it; at the end it evaluates the best checkpoint, with
torch alone. A sweep of a user's own module starts no helper: its driver imported the user's
classes, torch and Lightning to check the sweep file, and evaluates in its own process, as it
does whenever the helper is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sweeps.driver.checkpoint_evaluation import evaluate
from sweeps.errors import SweepError, first_line
from sweeps.results.storage import fetched
from sweeps.runtime.child_processes import background_child, child_setup

# The folder that holds the sweeps package: a clone's root, or site-packages.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def _with_working_directory() -> dict[str, str]:
    """This environment with the working directory on the import path (a user's own module is
    imported from the project the sweep was started in, as the trials import it), then this
    package's own folder."""
    env = dict(os.environ)
    paths = [os.getcwd(), env.get("PYTHONPATH"), str(PACKAGE_ROOT)]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    return env


class HeldOutEvaluator:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self, preload: list[str] | None = None) -> HeldOutEvaluator:
        """``preload``: modules to import before the first request besides Lightning's (a user's
        own classes and their Lightning package)."""
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sweeps.driver.checkpoint_evaluation", *(preload or [])],
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                preexec_fn=child_setup(background_child),
                env=_with_working_directory(),
            )
        except OSError:
            self.process = None  # evaluated in the driver instead
        return self

    def test_metrics(self, checkpoint: str) -> dict[str, Any]:
        """The checkpoint's test metrics, or ``{"error": why}`` when it cannot be evaluated."""

        try:
            with fetched(checkpoint) as local:
                answer = self._ask(str(local))
                if answer is not None:
                    return answer

                return evaluate(local)
        except (FileNotFoundError, ValueError, SweepError) as error:
            return {"error": str(error)}
        except Exception as error:  # the user's own code failed while being evaluated
            return {"error": f"{type(error).__name__}: {first_line(error)}"}

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
