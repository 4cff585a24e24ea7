"""Free space on a sweep's storage (no Ray import: checked before Ray starts). See
sweeps.driver.disk_guard for why a sweep keeps a reserve free."""

from __future__ import annotations

import shutil
from pathlib import Path

from sweeps.errors import SweepError

RESERVE_FLOOR_BYTES = 64 * 2**20
MB = 2**20


def free_bytes(folder: Path) -> int:
    """Free space where ``folder`` is (or would be created)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def check_room(folder: Path) -> None:
    """Refuse to start (or resume) a sweep on storage that is already below the reserve."""
    free = free_bytes(folder)
    if free < RESERVE_FLOOR_BYTES:
        raise SweepError(
            f"storage {folder} has {free / MB:.0f} MB free; a sweep keeps at least "
            f"{RESERVE_FLOOR_BYTES / MB:.0f} MB free for its checkpoints: free some space first"
        )
