"""Ray as it is on people's machines: another cluster running here, a stale record of a crashed
head, a token left behind, a cluster that goes away mid-sweep, SIGTERM at any moment.

Every cluster here is a real ``ray start --head`` on loopback with a temp folder of its own (and
its record of the current cluster there), stopped by PID; every launcher runs with a HOME of its
own, so no token file of this machine is read or written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sweeps.runtime.child_processes import descendants
from sweeps.runtime.ray_control import ANSWERED, probe
from sweeps.stop_reasons import RAY_DID_NOT_START
from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.processes import (
    command_line,
    free_port,
    gcs_server_of,
    kill_head,
    ray_head,
    results,
    session_members,
    stop_if_running,
    wait_for_epochs,
)
from tests.helpers.sweep_args import ONE_QUICK_TRIAL, two_long_trials

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

QUICK = [
    "sweeps/digits_grid.yaml",
    *ONE_QUICK_TRIAL,
]
EPOCHS = 20
LONG = [
    "sweeps/digits_grid.yaml",
    "--name",
    "long",
    *two_long_trials(EPOCHS),
]


def env_at_home(home: Path, **extra: str) -> dict[str, str]:
    """The launcher's environment with a home folder of its own and no Ray settings but ``extra``."""
    env = {
        k: v for k, v in launcher_env().items() if k not in ("RAY_TMPDIR", "RAY_AUTH_TOKEN_PATH")
    }
    return {**env, "HOME": str(home), **extra}


def start(module: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", f"launchers.{module}", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def ended_within(process: subprocess.Popen, seconds: float) -> tuple[float, str]:
    """Seconds the process took to end (failing past ``seconds``) and its standard error."""
    started = time.monotonic()
    try:
        _, stderr = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        stop_if_running(process)
        pytest.fail(f"the launcher was still running {seconds} s later")
    return time.monotonic() - started, stderr


def cluster_state(head) -> dict:
    """The cluster's node ids and free CPUs, asked by a driver of its own."""
    code = (
        "import json, ray\n"
        f"ray.init(address={head.address!r}, logging_level='ERROR')\n"
        "print(json.dumps({'nodes': [n['NodeID'] for n in ray.nodes() if n['Alive']],"
        " 'cpu': ray.available_resources().get('CPU', 0)}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**head.env, "RAY_AUTH_MODE": "disabled"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def assert_every_trial_and_epoch_once(sweep_dir: Path) -> None:
    trials = pq.read_table(sweep_dir / "trials.parquet").to_pylist()
    assert sorted(row["config/lr"] for row in trials) == [0.001, 0.002]
    assert all((row["status"], row["epochs"]) == ("completed", EPOCHS) for row in trials), trials
    metrics = pq.read_table(sweep_dir / "metrics.parquet").to_pylist()
    for row in trials:
        assert [m["epoch"] for m in metrics if m["trial_id"] == row["trial_id"]] == list(
            range(1, EPOCHS + 1)
        )


@pytest.fixture(scope="module")
def plain_head(tmp_path_factory):
    """A cluster started the plain way: no token authentication."""
    with ray_head(env_at_home(tmp_path_factory.mktemp("home"))) as head:
        yield head


def test_the_probe_reads_a_cluster_without_authentication(plain_head):
    assert probe(plain_head.address) == ANSWERED
    assert probe(plain_head.address, "a token it never asked for") == ANSWERED


def test_local_sweeps_run_side_by_side_on_their_own_ray_beside_a_running_cluster(
    plain_head, tmp_path
):
    # RAY_ADDRESS and the cluster's record both point at the running cluster.
    home = tmp_path / "home"
    env = env_at_home(home, RAY_ADDRESS=plain_head.address, RAY_TMPDIR=plain_head.env["RAY_TMPDIR"])
    before = cluster_state(plain_head)
    launchers = [
        start("local", *QUICK, "--name", name, "--storage", str(tmp_path), env=env)
        for name in ("a", "b")
    ]
    for launcher in launchers:
        _, stderr = ended_within(launcher, 240)
        assert launcher.returncode == 0, stderr
    nodes = {
        row["node_id"]
        for name in ("a", "b")
        for row in pq.read_table(tmp_path / name / "trials.parquet").to_pylist()
    }
    assert len(nodes) == 2 and not nodes & set(before["nodes"]), (
        "each sweep runs on an instance of its own"
    )
    assert cluster_state(plain_head) == before, "the other cluster is untouched"
    assert not (home / ".ray").exists(), (
        "the embedded instance's token stays out of the home folder"
    )


def test_a_stale_token_file_is_not_sent_to_a_cluster_without_authentication(plain_head, tmp_path):
    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text("left-behind-by-an-earlier-local-run")
    run = run_launcher(
        "cluster",
        *QUICK,
        "--address",
        plain_head.address,
        "--storage",
        str(tmp_path),
        env=env_at_home(home),
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"cluster    {plain_head.address} (no token authentication)" in run.stdout


def test_a_stale_record_of_a_killed_head_does_not_hold_up_a_local_sweep(tmp_path):
    home = tmp_path / "home"
    with ray_head(env_at_home(home)) as head:
        record = Path(head.env["RAY_TMPDIR"]) / "ray" / "ray_current_cluster"
        deadline = time.monotonic() + 60
        while not (
            record.exists() and record.read_text().strip().endswith(head.address.rsplit(":", 1)[1])
        ):
            assert time.monotonic() < deadline, "the head wrote no record of itself"
            time.sleep(0.2)
        kill_head(head)
        run = run_launcher(
            "local",
            *QUICK,
            "--storage",
            str(tmp_path),
            timeout=240,
            env=env_at_home(home, RAY_TMPDIR=head.env["RAY_TMPDIR"]),
        )
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_cluster_at_the_address_is_exit_3_and_sigterm_while_connecting_ends_it_within_10_s(
    tmp_path,
):
    address = f"127.0.0.1:{free_port()}"
    args = [*QUICK, "--address", address, "--storage", str(tmp_path)]
    launcher = start("cluster", *args, env=env_at_home(tmp_path))
    time.sleep(3)  # past the imports, into waiting for the cluster
    launcher.send_signal(signal.SIGTERM)
    took, stderr = ended_within(launcher, 10)
    assert launcher.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["interrupted: nothing was started"]
    print(f"SIGTERM while connecting: exit 130 after {took:.1f} s")

    launcher = start("cluster", *args, env=env_at_home(tmp_path))
    took, stderr = ended_within(launcher, 60)
    assert launcher.returncode == 3, stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith(f"error: no Ray cluster answers at {address}") and "--resume" in line
    print(f"no cluster at the address: exit 3 after {took:.1f} s")


def test_the_embedded_gcs_killed_while_ray_starts_is_one_line_and_exit_3_within_60_s(tmp_path):
    launcher = start("local", *QUICK, "--storage", str(tmp_path), env=env_at_home(tmp_path))
    killed = None
    try:
        deadline = time.monotonic() + 60
        while killed is None and launcher.poll() is None and time.monotonic() < deadline:
            gcs = [pid for pid in descendants(launcher.pid) if "gcs_server" in command_line(pid)]
            if gcs:
                os.kill(gcs[0], signal.SIGKILL)
                killed = gcs[0]
            time.sleep(0.01)
        took, stderr = ended_within(launcher, 60)
    finally:
        stop_if_running(launcher)
    assert killed is not None, "the launcher's GCS never showed"
    assert launcher.returncode == RAY_DID_NOT_START.exit_status == 3, stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith("error: Ray did not start on this machine: "), line
    # None of the instance's processes is left (one being reaped may take a moment).
    deadline = time.monotonic() + 10
    while session_members(launcher.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: command_line(pid) for pid in session_members(launcher.pid)}
    assert left == {}, left
    assert not (tmp_path / "digits_grid").exists() or not any((tmp_path / "digits_grid").iterdir())
    print(f"GCS killed while the embedded Ray starts: exit 3 after {took:.1f} s")


def test_the_clusters_gcs_killed_mid_sweep_is_exit_3_then_a_new_cluster_resumes_it(tmp_path):
    home, sweep_dir = tmp_path / "home", tmp_path / "long"
    with ray_head(env_at_home(home), cpus=2) as head:
        launcher = start(
            "cluster",
            *LONG,
            "--address",
            head.address,
            "--storage",
            str(tmp_path),
            env=env_at_home(home),
        )
        try:
            wait_for_epochs(sweep_dir, 5, launcher)
            os.kill(gcs_server_of(head.process.pid), signal.SIGKILL)
            took, stderr = ended_within(launcher, 60)
        finally:
            stop_if_running(launcher)
    assert launcher.returncode == 3, stderr
    assert (
        stderr.strip().splitlines()[-1].startswith(f"error: lost the Ray cluster at {head.address}")
    )
    print(f"GCS killed under launchers.cluster: exit 3 after {took:.1f} s")

    with ray_head(env_at_home(home), cpus=2) as new_head:
        run = run_launcher(
            "cluster",
            *LONG,
            "--address",
            new_head.address,
            "--storage",
            str(tmp_path),
            "--resume",
            env=env_at_home(home),
            timeout=300,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert_every_trial_and_epoch_once(sweep_dir)


def test_sigterm_then_the_embedded_gcs_killed_then_resume_finishes_every_trial_once(tmp_path):
    env, sweep_dir = env_at_home(tmp_path / "home"), tmp_path / "long"
    launcher = start("local", *LONG, "--storage", str(tmp_path), env=env)
    try:
        wait_for_epochs(sweep_dir, 5, launcher)
        launcher.send_signal(signal.SIGTERM)
        took, stderr = ended_within(launcher, 10)
    finally:
        stop_if_running(launcher)
    assert launcher.returncode == 130, stderr
    assert (
        stderr.strip().splitlines()[-1]
        == f"interrupted: the sweep's state is saved in {sweep_dir}; continue with --resume"
    )
    print(f"SIGTERM under launchers.local: exit 130 after {took:.1f} s")

    launcher = start("local", *LONG, "--storage", str(tmp_path), "--resume", env=env)
    try:
        epochs_before = max(len(rows) for rows in results(sweep_dir).values())
        wait_for_epochs(sweep_dir, epochs_before + 3, launcher)
        os.kill(gcs_server_of(launcher.pid), signal.SIGKILL)
        took, stderr = ended_within(launcher, 60)
    finally:
        stop_if_running(launcher)
    assert launcher.returncode == 3, stderr
    assert stderr.strip().splitlines()[-1].startswith("error: lost this sweep's own Ray instance")
    print(f"embedded GCS killed under launchers.local: exit 3 after {took:.1f} s")
    time.sleep(2)
    assert session_members(launcher.pid) == [], "the embedded instance's processes are gone with it"

    run = run_launcher("local", *LONG, "--storage", str(tmp_path), "--resume", env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert_every_trial_and_epoch_once(sweep_dir)
