"""Finding this test's own processes (by parentage, in /proc) and reading a running sweep's
per-trial results, for the fault tests that SIGKILL processes by PID."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sweeps.runtime.child_processes import (
    descendants,
)  # the launcher's own, re-exported for the tests

RAY = str(Path(sys.executable).with_name("ray"))


def command_line(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode(errors="replace")
            .strip()
        )
    except OSError:
        return ""


def results(sweep_dir: Path) -> dict[str, list[dict]]:
    """Each trial's results so far (Tune's result.json, one line per report), by trial id."""
    found = {}
    for log in sweep_dir.glob("*/result.json"):
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        try:
            found[log.parent.name] = [json.loads(line) for line in lines]
        except json.JSONDecodeError:  # a line being written
            continue
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout_s: float = 60) -> None:
    """Wait until ``process`` accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"{what} did not start"
            assert process.poll() is None, f"{what} exited"
            time.sleep(0.2)


def stop_if_running(process: subprocess.Popen) -> None:
    """SIGKILL a launcher this test started, by its PID, if a failed assertion left it running."""
    if process.poll() is None:
        process.kill()
        process.wait()


@dataclass
class Head:
    address: str
    process: subprocess.Popen  # the `ray start --block` that owns the node's processes
    env: dict[
        str, str
    ]  # what it was started with: RAY_TMPDIR (its record of the cluster), HOME, token


def short_temp_dir() -> str:
    """A folder under /tmp with a short name: Ray's socket paths inside it must stay below the
    107 characters a Unix socket's name may have, which a pytest folder's name can exceed."""
    return tempfile.mkdtemp(prefix="rt", dir="/tmp")


@contextlib.contextmanager
def ray_head(env: dict[str, str], cpus: int = 1) -> Iterator[Head]:
    """A one-node cluster, ``ray start --head --block`` on loopback with ``env`` (its token, if
    any: RAY_AUTH_MODE and RAY_AUTH_TOKEN there) and a temp folder of its own, where it records
    itself as the current cluster; stopped by PID, with every process under it."""
    temp = short_temp_dir()
    env = {**env, "RAY_TMPDIR": temp}
    port = free_port()
    process = subprocess.Popen(
        [
            RAY,
            "start",
            "--head",
            "--block",
            "--port",
            str(port),
            "--num-cpus",
            str(cpus),
            "--include-dashboard",
            "false",
            "--disable-usage-stats",
            "--node-ip-address",
            "127.0.0.1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    head = Head(f"127.0.0.1:{port}", process, env)
    try:
        wait_for_port(port, process, "the head node")
        yield head
    finally:
        kill_head(head)
        shutil.rmtree(temp, ignore_errors=True)


def kill_head(head: Head) -> None:
    """SIGKILL the head and every process under it, as a crash would: its record stays behind."""
    for pid in [*descendants(head.process.pid), head.process.pid]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    head.process.wait(timeout=30)


def gcs_server_of(pid: int) -> int:
    """The GCS server among the processes under ``pid``."""
    found = [child for child in descendants(pid) if "gcs_server" in command_line(child)]
    assert len(found) == 1, found
    return found[0]


def wait_for_epochs(
    sweep_dir: Path, epochs: int, process: subprocess.Popen, timeout_s: float = 120
) -> None:
    """Until some trial of the running sweep has reported ``epochs`` epochs."""
    deadline = time.monotonic() + timeout_s
    while not any(len(rows) >= epochs for rows in results(sweep_dir).values()):
        assert process.poll() is None, "the sweep ended before it could be disturbed"
        assert time.monotonic() < deadline, f"no trial reached epoch {epochs}"
        time.sleep(0.1)


def session_members(session: int) -> list[int]:
    """The processes of a session (``start_new_session=True`` gives a launcher one of its own),
    however they were reparented."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry.name))
    return found
