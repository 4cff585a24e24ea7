"""Which libraries a piece of code imports, run in a fresh interpreter from the repository root:
the checks that a process (the driver, a trial, the evaluation helper) never loads a library it
does not need."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

TORCH = ("torch", "lightning", "pytorch_lightning")
LIGHTNING = ("lightning", "pytorch_lightning", "lightning_fabric", "torchmetrics")


def loaded_after(code: str, libraries: tuple[str, ...]) -> list[str]:
    """Which of ``libraries`` a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {libraries!r} if m in sys.modules))\n"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    return ast.literal_eval(run.stdout.strip().splitlines()[-1])
