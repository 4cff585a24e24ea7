"""Sweep definitions: reading, validating and running sweep files.

    import sweeps
    result = sweeps.run("sweep.yaml", overrides={"trials.num_samples": 8})

Nothing here imports torch or Ray at import time, so that validating a sweep (``--dry-run``) stays
fast; the modules that train or start Ray import them where they are used.
"""

from typing import Any

# The Python API, loaded when first used: importing any module of the package runs this file, and
# a trial's process or ``--help`` should not load the sweep file's validation for nothing.
_API = {
    "run": "sweeps.python_api",
    "load": "sweeps.python_api",
    "SweepResult": "sweeps.python_api",
    "SweepError": "sweeps.errors",
    "ClusterError": "sweeps.runtime.ray_control",
    "SweepStopped": "sweeps.stop_reasons",
}


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'sweeps' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_API[name]), name)


__all__ = [
    "ClusterError",
    "SweepError",
    "SweepResult",
    "SweepStopped",
    "load",
    "run",
    "errors",
    "stop_reasons",
    "sweep_file",
    "results",
    "runtime",
    "searchers",
    "schedulers",
    "user_model",
    "definition",
    "trackers",
    "trial",
    "driver",
    "analysis",
    "python_api",
]
