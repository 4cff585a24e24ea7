"""Helper processes the launcher starts (TensorBoard, the held-out evaluator) end with it."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path


def die_with_parent() -> None:
    """In the child, before it starts: ask Linux to SIGTERM it when the launcher dies, even by
    SIGKILL, so that no helper outlives the launcher that started it."""

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# The niceness Ray gives its worker processes (its default for ``RAY_worker_niceness``).
RAY_WORKER_NICENESS = 15


def background_child() -> None:
    """``die_with_parent``, at the priority of Ray's trial workers: below the driver and Ray's own
    processes, sharing the cores fairly with the trials. At the lowest priority (Linux's
    SCHED_IDLE) a helper that imports torch beside trials that keep every core busy would get
    no CPU until they end, and the sweep would then wait on it alone, one core idle."""

    die_with_parent()
    os.nice(max(0, RAY_WORKER_NICENESS - os.nice(0)))


def child_setup(setup: Callable[[], None]) -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocess where Linux offers it."""
    return setup if sys.platform == "linux" else None


def descendants(pid: int) -> list[int]:
    """Every process started under ``pid``, however deep, read from /proc (none where there is no
    /proc to read)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
