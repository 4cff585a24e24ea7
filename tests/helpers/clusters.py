"""Real multi-node Ray clusters on this machine for the system tests: a head and a worker, each a
``ray start --block`` with its own temp dir and one CPU, token authentication on with a token of
their own, stopped by PID."""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import launcher_env
from tests.helpers.processes import RAY, free_port, wait_for_port


def stop(process: subprocess.Popen) -> None:
    """Stop one ``ray start --block`` by its PID; it takes its node's processes down with it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def wait_for_nodes(address: str, count: int, env: dict[str, str], timeout: float = 120) -> None:
    probe = (
        "import sys, time, ray\n"
        f"ray.init(address={address!r}, logging_level='ERROR')\n"
        f"deadline = time.time() + {timeout}\n"
        f"while sum(n['Alive'] for n in ray.nodes()) < {count}:\n"
        "    if time.time() > deadline: sys.exit('nodes did not join')\n"
        "    time.sleep(0.5)\n"
    )
    subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        check=True,
        timeout=timeout + 60,
        capture_output=True,
    )


@contextlib.contextmanager
def two_node_cluster(
    temp: Path, hidden: Path | None = None, cwd: Path | None = None, head_cpus: int = 1
) -> Iterator[tuple[str, str, list[subprocess.Popen]]]:
    """A head and a worker (``ray start --block``, one CPU each, token authentication with a
    token of their own): yields the address, the token and the two processes; stops them by PID.
    With ``hidden``, the worker runs in a mount namespace of its own with an empty tmpfs over that
    folder: a node on another machine, which cannot see the driver's folder there. ``cwd``: the
    folder both nodes start in (by default this process's); ``head_cpus`` 0 leaves every trial to
    the worker node."""
    token = secrets.token_hex(32)
    env = launcher_env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--block", "--disable-usage-stats", "--node-ip-address", "127.0.0.1"]
    processes: list[subprocess.Popen] = []
    try:
        head_temp, worker_temp = temp / "head", temp / "worker"
        head_temp.mkdir()
        worker_temp.mkdir()
        processes.append(
            subprocess.Popen(
                [
                    RAY,
                    "start",
                    "--head",
                    "--port",
                    str(port),
                    "--include-dashboard",
                    "false",
                    "--temp-dir",
                    str(head_temp),
                    "--num-cpus",
                    str(head_cpus),
                    *common,
                ],
                env=env,
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for_port(port, processes[0], "the head node")
        worker = [RAY, "start", "--address", address, "--temp-dir", str(worker_temp)]
        worker += ["--num-cpus", "1", *common]
        if hidden is not None:
            worker = [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                'mount -t tmpfs tmpfs "$0" && exec "$@"',
                str(hidden),
                *worker,
            ]
        processes.append(
            subprocess.Popen(
                worker,
                env=env,
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for_nodes(address, 2, env)
        yield address, token, processes
    finally:
        for process in reversed(processes):
            stop(process)
