"""The zoo of real-world Lightning projects (tests/zoo/): each copied into a folder of its own
outside the repository, as its user would have it, and made importable from there as a user's
project is (from its own folder, never installed)."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

ZOO = Path(__file__).resolve().parents[1] / "zoo"
PROJECTS = sorted(path.name for path in ZOO.iterdir() if (path / "sweep.yaml").is_file())


def copy_project(name: str, into: Path) -> Path:
    """The project ``name`` copied to ``into/name`` (its folder: what its user works in)."""
    target = into / name
    shutil.copytree(ZOO / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@contextlib.contextmanager
def importable(name: str, into: Path) -> Iterator[Path]:
    """The project ``name``, copied under ``into``, importable in this process while the block
    runs, then forgotten again (its modules dropped from ``sys.modules``)."""
    folder = copy_project(name, into)
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def trial_plan(folder: Path, *overrides: str, max_epochs: int = 3, checkpoint_every: int = 1):
    """The trial plan of the project's own sweep.yaml (read from ``folder``, its working
    directory), with ``overrides`` as ``--set`` gives them."""
    import dataclasses
    import os

    from sweeps.definition import load_sweep

    here = os.getcwd()
    os.chdir(folder)
    try:
        spec = load_sweep(folder / "sweep.yaml", overrides=list(overrides))
    finally:
        os.chdir(here)
    return dataclasses.replace(
        spec.trial_plan(), max_epochs=max_epochs, checkpoint_every=checkpoint_every
    )
