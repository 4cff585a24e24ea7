"""Shared test helpers: running the launchers as real processes, and checks that no test leaves
a process of its own behind or changes the environment for the tests after it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_SWEEPS = sorted((ROOT / "sweeps").glob("*.yaml"))


def _children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (zombies excluded), read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def no_leaked_processes():
    """Fail a test that leaves a child process of the test runner running."""
    before = _children(os.getpid())
    yield
    deadline = time.monotonic() + 10
    while (leaked := _children(os.getpid()) - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not leaked, f"test left processes running: {sorted(leaked)}"


# Settings made for the whole process on purpose, which a test run in this process may make:
PROCESS_SETTINGS = {
    # a sweep's driver (sweeps.driver.runner, sweeps.runtime.ray_control): Tune's switches and the
    # embedded Ray's authentication
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS",
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S",
    "RAY_AIR_NEW_OUTPUT",
    "RAY_AUTH_MODE",
    "RAY_AUTH_TOKEN",
    "RAY_ADDRESS",
    # a trial's process set-up: Lightning's seed_everything
    "PL_GLOBAL_SEED",
    "PL_SEED_WORKERS",
    # Intel's OpenMP runtime, set by the numerical libraries when first imported
    "KMP_DUPLICATE_LIB_OK",
    "KMP_INIT_AT_FORK",
    "PYTEST_CURRENT_TEST",  # pytest's own
}


@pytest.fixture(scope="session", autouse=True)
def libraries_imported():
    """Import the libraries that set environment variables when first imported (torch's,
    Lightning's, Ray's own settings), so that no test is blamed for them, whichever runs first."""
    import lightning.pytorch  # noqa: F401
    import pytorch_lightning  # noqa: F401
    import ray.train  # noqa: F401
    import ray.tune  # noqa: F401
    import torch  # noqa: F401


@pytest.fixture(autouse=True)
def no_leaked_environment(libraries_imported):
    """Fail a test that changes an environment variable (other than the settings above) and does
    not put it back: the tests after it would run in another environment."""
    before = dict(os.environ)
    yield
    changed = {
        name for name in set(before) | set(os.environ) if before.get(name) != os.environ.get(name)
    }
    assert not changed - PROCESS_SETTINGS, (
        f"test changed the environment: {sorted(changed - PROCESS_SETTINGS)}"
    )


def launcher_env(**extra: str) -> dict[str, str]:
    """This environment without Ray's address and authentication settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN")
    }
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def run_launcher(
    module: str,
    *args: str,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"launchers.{module}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or launcher_env(),
    )


@pytest.fixture(scope="module")
def importable_user_project(tmp_path_factory):
    """A user's project (tests/helpers/user_project.py) written outside the repository and importable in
    this process, as from its own folder; forgotten again afterwards."""
    import sys

    from tests.helpers.user_project import PACKAGE, write_project

    folder = write_project(tmp_path_factory.mktemp("user-project"))
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]
