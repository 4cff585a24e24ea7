"""The function Ray Tune runs for each trial, in a module the driver can import cheaply.

Tune pickles the trainable by reference, so the driver imports the module that defines it;
this one imports torch, Lightning and the training code only when a trial runs, in the worker.
The driver thus starts Tune without spending seconds importing libraries it never uses.
"""

from __future__ import annotations

from typing import Any

from sweeps.definition.trial_plan import TrialPlan


def train_trial(config: dict[str, Any], plan: TrialPlan) -> None:
    # Imported here: sweeps.trial.trainable loads torch, which only this path needs.
    from sweeps.trial.trainable import run_trial

    run_trial(config, plan)
