"""``pip install .`` (not editable) gives working launchers in any folder: the package alone,
with the shipped sweeps and the Kubernetes templates as package data, and a console script for
each launcher. The installed copy goes into a folder of its own, put first on the import path;
its dependencies are this environment's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, launcher_env
from tests.helpers.sweep_args import ONE_QUICK_TRIAL

pytestmark = pytest.mark.slow


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """What a build does not need: the environment, caches, and the clone's own outputs."""
    skipped = {name for name in names if name in (".git", ".venv", "__pycache__", ".pytest_cache")}
    if Path(folder) == ROOT:
        skipped |= {
            name for name in names if name in ("build", "results") or name.endswith(".egg-info")
        }
    return skipped


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package built as a wheel and installed into a folder of its own."""
    folder = tmp_path_factory.mktemp("install")
    # Built from a copy of the tree, so that the build leaves nothing in the clone.
    source, wheels, target = folder / "source", folder / "wheels", folder / "site"
    shutil.copytree(ROOT, source, ignore=_not_sources)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        timeout=300,
        cwd=folder,
    )
    [wheel] = wheels.glob("*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, timeout=300
    )
    return target


def run_installed(
    installed, *command: str, cwd, timeout: float = 300
) -> subprocess.CompletedProcess:
    env = launcher_env(PYTHONPATH=str(installed), HOME=str(cwd))
    return subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_installed_launchers_run_a_shipped_sweep_from_another_folder(installed, tmp_path):
    python = sys.executable
    where = run_installed(
        installed,
        python,
        "-c",
        "import sweeps, k8s; print(sweeps.__file__, k8s.__file__)",
        cwd=tmp_path,
    )
    assert all(path.startswith(str(installed)) for path in where.stdout.split()), (
        where.stdout + where.stderr
    )

    run = run_installed(
        installed,
        python,
        "-m",
        "launchers.local",
        "digits_grid",
        "--storage",
        "results",
        *ONE_QUICK_TRIAL,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    best = json.loads((tmp_path / "results" / "digits_grid" / "best.json").read_text())

    run = run_installed(
        installed, python, "-m", "launchers.report", "results/digits_grid", cwd=tmp_path
    )
    assert (
        run.returncode == 0
        and (tmp_path / "results" / "digits_grid" / "report" / "report.html").is_file()
    ), run.stderr
    run = run_installed(
        installed, python, "-m", "launchers.evaluate", best["checkpoint"], "--json", cwd=tmp_path
    )
    assert run.returncode == 0 and "test_accuracy" in json.loads(run.stdout), (
        run.stdout + run.stderr
    )

    run = run_installed(
        installed,
        python,
        "-m",
        "launchers.k8s",
        "sweeps/digits_asha.yaml",
        "--out",
        "manifests",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "manifests" / "rayjob.yaml").is_file()
    run = run_installed(
        installed,
        python,
        "-m",
        "launchers.cluster",
        "digits_asha.yaml",
        "--address",
        "127.0.0.1:6379",
        "--dry-run",
        cwd=tmp_path,
    )
    assert run.returncode == 0 and "sweep      digits_asha" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize(
    "script", ["sweep-local", "sweep-cluster", "sweep-k8s", "sweep-report", "sweep-evaluate"]
)
def test_each_launcher_has_a_console_script(installed, tmp_path, script):
    run = run_installed(
        installed, str(installed / "bin" / script), "--help", cwd=tmp_path, timeout=60
    )
    assert run.returncode == 0 and "usage:" in run.stdout, run.stdout + run.stderr
    assert os.access(installed / "bin" / script, os.X_OK)
