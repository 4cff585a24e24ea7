"""Finding this test's own processes (by parentage, in /proc) and reading a running sweep's
per-trial results, for the fault tests that SIGKILL processes by PID."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process started under ``pid``, however deep."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
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
