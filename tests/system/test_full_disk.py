"""A disk filling up during a sweep: the sweep stops with a clear message before anything fails
to write, and continues with --resume once space is freed. The storage is a real small tmpfs
(mounting needs root; elsewhere the test is skipped)."""

from __future__ import annotations

import subprocess

import pyarrow.parquet as pq
import pytest

from sweeps.driver.disk_space import RESERVE_FLOOR_BYTES, free_bytes
from sweeps.stop_reasons import DISK_FULL
from tests.conftest import run_launcher

pytestmark = pytest.mark.slow

SWEEP = "tests/fixtures/sweeps/disk_filling.yaml"
MB = 2**20


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_filling_disk_stops_the_sweep_resumably(small_disk):
    ballast = small_disk / "ballast"
    # Leave 6 MB above the reserve: a few epochs' checkpoints of the two trials, so that the guard
    # trips with many epochs to spare even when a loaded machine slows the driver down.
    ballast.write_bytes(b"\0" * (free_bytes(small_disk) - RESERVE_FLOOR_BYTES - 6 * MB))
    run = run_launcher("local", SWEEP, "--storage", str(small_disk))
    assert run.returncode == DISK_FULL.exit_status == 5, run.stdout + run.stderr
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert f"error: storage {small_disk / 'disk_filling'} is nearly full" in run.stderr
    assert "free some space, then continue it with --resume" in run.stderr
    assert free_bytes(small_disk) > 4 * MB  # stopped before the disk was full
    sweep_dir = small_disk / "disk_filling"
    assert not (sweep_dir / "trials.parquet").exists()
    trained = {
        path.parent.name: len(path.read_text().splitlines())
        for path in sweep_dir.glob("*/result.json")
    }
    assert trained and all(epochs < 24 for epochs in trained.values()), trained

    ballast.unlink()
    resumed = run_launcher("local", SWEEP, "--storage", str(small_disk), "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rows = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert [(row["status"], row["epochs"]) for row in rows] == [("completed", 24)] * 2
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    for row in rows:
        assert sorted(m["epoch"] for m in metrics if m["trial_id"] == row["trial_id"]) == list(
            range(1, 25)
        )


def test_a_sweep_is_not_started_on_a_disk_already_below_the_reserve(small_disk):
    (small_disk / "ballast").write_bytes(
        b"\0" * (free_bytes(small_disk) - RESERVE_FLOOR_BYTES // 2)
    )
    run = run_launcher("local", SWEEP, "--storage", str(small_disk))
    assert run.returncode == 2 and run.stderr.strip().count("\n") == 0, run.stdout + run.stderr
    assert "MB free; a sweep keeps at least 64 MB free" in run.stderr
    assert not (small_disk / "disk_filling").exists()


def test_tables_written_to_a_full_disk_keep_their_previous_version_whole(small_disk):
    import errno

    from sweeps.results.storage import write_atomically

    table = small_disk / "trials.parquet"
    write_atomically(table, b"the previous table")
    (small_disk / "ballast").write_bytes(b"\0" * (free_bytes(small_disk) - MB))
    with pytest.raises(OSError) as full:
        write_atomically(table, b"\1" * (4 * MB))
    assert full.value.errno == errno.ENOSPC
    assert table.read_bytes() == b"the previous table"
    assert sorted(path.name for path in small_disk.iterdir()) == [
        "ballast",
        "trials.parquet",
    ]  # no temporaries
