"""Optuna's NSGA-II sampler, made picklable: Tune pickles its searcher, sampler included, with
the experiment's state (for --resume), and the sampler holds a thread lock, which pickle refuses.
The lock guards a cache of the generations, rebuilt on use; a restored sampler gets a new lock.
Imported only when a sweep with the nsga2 searcher runs (it imports Optuna).
"""

from __future__ import annotations

import threading
from typing import Any

from optuna.samplers import NSGAIISampler


class PicklableNSGAIISampler(NSGAIISampler):
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_thread_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._thread_lock = threading.Lock()
