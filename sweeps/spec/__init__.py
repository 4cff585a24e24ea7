"""Reading and validating a sweep file: ``load_sweep`` and the typed ``SweepSpec`` it returns.
Imports neither torch nor Ray (a shipped family's sweep loads without them)."""

from sweeps.spec.sweep import (
    TOP_LEVEL_KEYS,
    SweepSpec,
    find_sweep_file,
    load_sweep,
    sweep_from_dict,
)

__all__ = ["TOP_LEVEL_KEYS", "SweepSpec", "find_sweep_file", "load_sweep", "sweep_from_dict"]
