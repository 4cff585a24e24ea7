"""A real MLflow tracking server on loopback: ``mlflow server`` with a SQLite store and a folder
for artifacts (served through it), started for the tests that log to it and stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.processes import free_port, session_members

MLFLOW = str(Path(sys.executable).with_name("mlflow"))
START_WAIT_S = 120


@contextlib.contextmanager
def mlflow_server(folder: Path) -> Iterator[str]:
    """The server's URI, while it runs."""
    port = free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [
            MLFLOW,
            "server",
            "--backend-store-uri",
            f"sqlite:///{folder / 'mlflow.db'}",
            "--artifacts-destination",
            str(folder / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its workers are found by its session, and stopped with it
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT_S
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (folder / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the MLflow server did not start"
            time.sleep(0.3)
        yield uri
    finally:
        members = session_members(server.pid)
        server.kill()
        server.wait()
        for pid in members:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        log.close()
