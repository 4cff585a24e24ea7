"""The one list of the ways a sweep ends: each exception's reason, and the exit-status tables of
``--help``, the README and docs/running.md made from it."""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest

from sweeps.errors import SweepError
from sweeps.runtime.ray_control import ClusterError
from sweeps.stop_reasons import (
    CLUSTER,
    DISK_FULL,
    DOCUMENTS,
    INTERRUPTED,
    MISTAKE,
    REASONS,
    SweepStopped,
    documented,
    help_table,
    markdown_table,
    reason_of,
)
from tests.conftest import ROOT


def test_every_reason_has_its_own_name_and_a_status_launchers_can_end_with():
    assert len({reason.name for reason in REASONS}) == len(REASONS)
    assert all(0 <= reason.exit_status <= 255 for reason in REASONS)
    # A mistake is refused before anything starts: no reason found later shares its status.
    assert [reason for reason in REASONS if reason.exit_status == MISTAKE.exit_status] == [MISTAKE]


@pytest.mark.parametrize(
    "error, reason",
    [
        (SweepError("bad key", path="model"), MISTAKE),
        (ClusterError("lost the cluster"), CLUSTER),
        (SweepStopped(DISK_FULL, "storage nearly full"), DISK_FULL),
        (KeyboardInterrupt(), INTERRUPTED),
        (OSError(errno.ENOSPC, "No space left on device"), DISK_FULL),
        (OSError(errno.EACCES, "Permission denied"), None),
        (RuntimeError("a fault of the tool"), None),
    ],
)
def test_each_exception_stands_for_one_reason(error, reason):
    assert reason_of(error) is reason


def test_help_lists_each_status_once_in_order():
    lines = help_table().splitlines()
    assert lines[0] == "exit status:"
    statuses = [int(line.split()[0]) for line in lines[1:]]
    assert statuses == sorted(set(statuses)) == sorted({r.exit_status for r in REASONS})


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_documents_tables_are_current(name):
    text = (ROOT / name).read_text()
    assert documented(text) == markdown_table(), "regenerate: python -m sweeps.stop_reasons --write"


def test_the_module_prints_the_table():
    run = subprocess.run(
        [sys.executable, "-m", "sweeps.stop_reasons"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stdout.strip() == markdown_table(), run.stderr


def test_the_python_api_names_the_stop_and_a_lost_cluster_is_one():
    import sweeps

    assert issubclass(sweeps.ClusterError, sweeps.SweepStopped)
    assert ClusterError("gone").reason is CLUSTER and str(ClusterError("gone")) == "gone"
