"""Sweep definitions: reading, validating and running sweep files.

Nothing here imports torch or Ray at import time, so that validating a sweep (``--dry-run``) stays
fast; the modules that train or start Ray import them where they are used.
"""

__all__ = [
    "analysis",
    "errors",
    "results",
    "run",
    "schedulers",
    "searchers",
    "spec",
    "trial",
    "user_model",
]
