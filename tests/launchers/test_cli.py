"""The launchers' command line, where nothing reaches Ray: --help, --dry-run, and mistakes
refused with exit status 2 before anything starts or is touched."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sweeps.stop_reasons import help_table
from tests.conftest import ROOT, run_launcher


def test_help_lists_the_exit_statuses():
    run = run_launcher("local", "--help")
    assert run.returncode == 0, run.stderr
    assert help_table() in run.stdout
    statuses = run.stdout.split("exit status:", 1)[1].split()
    assert [word for word in statuses if word.isdigit()] == ["0", "1", "2", "3", "4", "5", "130"]


def test_dry_run_validates_and_starts_nothing(tmp_path):
    # The launcher's main, in a process of its own that then lists what it imported (the module
    # entry point ends the process at once, so it is called here instead).
    code = (
        "import sys\nfrom launchers.cli import main\n"
        f"code = main(['sweeps/digits_asha.yaml', '--dry-run', '--storage', {str(tmp_path / 'never')!r}], "
        "prog='python -m launchers.local', description='', cluster=False)\n"
        "assert code == 0, code\n"
        "print('loaded:', sorted(m for m in ('torch', 'ray') if m in sys.modules))"
    )

    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "trials     40" in run.stdout and "loaded: []" in run.stdout
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["tests/fixtures/invalid/inverted_range.yaml"], "space.lr.logfloat: range is inverted"),
        (["sweeps/digits_asha.yaml", "--set", "stop.max_epochs=zero"], "stop.max_epochs"),
        (["no/such/file.yaml"], "no/such/file.yaml: no such file"),
        (["sweeps/digits_asha.yaml", "--resume"], "holds no sweep to resume"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(args, expected, tmp_path):
    run = run_launcher("local", *args, "--storage", str(tmp_path / "s"))
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.strip().count("\n") == 0, run.stderr
    assert expected in run.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (
            ["--overwrite", "--resume"],
            "--resume continues the sweep in its folder and --overwrite deletes it",
        ),
        (
            ["--overwrite"],
            "holds files that are not a sweep's (notes.txt); --overwrite only replaces an earlier sweep",
        ),
        (
            ["--overwrite", "--set", "stop.max_epochs=0"],
            "stop.max_epochs",
        ),  # a refused sweep deletes nothing
    ],
)
def test_overwrite_never_deletes_what_it_should_not(extra, expected, tmp_path):
    folder = tmp_path / "digits_asha"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a sweep")
    run = run_launcher("local", "sweeps/digits_asha.yaml", "--storage", str(tmp_path), *extra)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.strip().count("\n") == 0, run.stderr
    assert expected in run.stderr
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_cluster_launcher_needs_an_address(tmp_path):
    run = run_launcher("cluster", "sweeps/digits_grid.yaml", "--storage", str(tmp_path))
    assert run.returncode == 2 and "no cluster address" in run.stderr
