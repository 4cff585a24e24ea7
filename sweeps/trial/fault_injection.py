"""Faults a trial can be made to commit on purpose, to check that a sweep contains them.

Off unless the environment variable ``SWEEP_INJECT_FAULTS`` is set (in the driver's environment,
which the trials' processes inherit) to a JSON mapping of a fault to the configuration of the
trials that commit it, e.g. ``{"hang": {"lr": 0.002}, "raise": {"lr": 0.003}}``, or to ``@`` and
the path of a file holding that mapping (read as each trial starts, so that one Ray instance
can run sweeps with other faults one after another):

- ``raise``: an exception in the trial's first training step;
- ``crash``: an exception before the trial's second epoch, unless it started from a checkpoint
  (so a retry continues from its first epoch's checkpoint and finishes);
- ``out_of_memory``: an allocation far beyond any machine's memory, in the first step (a real
  failure of torch's allocator, not a simulated error);
- ``hang``: after its first epoch, the trial waits forever (what a deadlocked data loader or a
  collective operation whose peer died looks like from outside);
- ``print``: 2 MB of output every epoch;
- ``hang_rank1``: in a data-parallel trial, rank 1 waits forever before its second epoch (its
  peers then wait for it in their next collective operation).

The faults are real: the sweep sees exactly what the same failure in a model would produce.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

VARIABLE = "SWEEP_INJECT_FAULTS"
KINDS = ("raise", "crash", "out_of_memory", "hang", "print", "hang_rank1")
PRINTED_BYTES_PER_EPOCH = 2_000_000


def faults_for(config: dict[str, Any]) -> frozenset[str]:
    """The faults this trial commits: those whose configuration its own config matches."""
    text = os.environ.get(VARIABLE)
    if text and text.startswith("@"):
        text = Path(text[1:]).read_text()
    if not text:
        return frozenset()
    wanted = json.loads(text)
    unknown = set(wanted) - set(KINDS)
    if unknown:
        raise ValueError(
            f"{VARIABLE}: unknown fault {sorted(unknown)[0]!r}; known: {', '.join(KINDS)}"
        )
    return frozenset(
        kind
        for kind, match in wanted.items()
        if all(config.get(key) == value for key, value in match.items())
    )


def before_epoch(faults: frozenset[str], epoch: int, restored: bool = False) -> None:
    """Commit the trial's faults due before its ``epoch`` (1-based, counted from this run's
    start) trains; ``restored``: this run started from a checkpoint."""
    if not faults:
        return
    if epoch == 1 and "raise" in faults:
        raise RuntimeError("injected fault: an exception in the trial's first training step")
    if epoch == 2 and "crash" in faults and not restored:
        raise RuntimeError("injected fault: a crash before the trial's second epoch")
    if epoch == 1 and "out_of_memory" in faults:
        # Imported here: torch loads only in the processes that train or evaluate.
        import torch

        torch.empty(1 << 60, dtype=torch.uint8)  # an exbibyte: no allocator can grant it
    if epoch == 2 and "hang" in faults:
        threading.Event().wait()  # forever, without holding the interpreter's lock
    if "print" in faults:
        line = "x" * 999 + "\n"
        for _ in range(PRINTED_BYTES_PER_EPOCH // len(line)):
            sys.stdout.write(line)
        sys.stdout.flush()


def before_other_rank_epoch(faults: frozenset[str], rank: int, epoch: int) -> None:
    """Commit the faults of a data-parallel trial's ranks other than 0 (whose faults are the
    trial's, committed in ``before_epoch``) due before their ``epoch`` trains."""
    if epoch == 2 and rank == 1 and "hang_rank1" in faults:
        threading.Event().wait()
