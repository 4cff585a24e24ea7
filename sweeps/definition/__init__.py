"""A sweep's definition: ``load_sweep`` reads a sweep file into the typed ``SweepDefinition``,
with the checks of its model and data arguments before anything starts, its warm start, the
reference of its keys, and what every trial of it shares (``trial_plan``: the one conversion of a
trial's config into model and data arguments). Imports neither torch nor Ray (a shipped family's
sweep loads without them)."""

from sweeps.definition.sweep import (
    TOP_LEVEL_KEYS,
    SweepDefinition,
    find_sweep_file,
    load_sweep,
    sweep_from_dict,
)

__all__ = ["TOP_LEVEL_KEYS", "SweepDefinition", "find_sweep_file", "load_sweep", "sweep_from_dict"]
