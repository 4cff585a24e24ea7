"""A TensorBoard server on one sweep, started by a launcher's ``--tensorboard``: a child process
bound to 127.0.0.1 unless told otherwise, on a free port unless one is given, stopped with the
launcher."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time

from sweeps.errors import SweepError
from sweeps.runtime.child_processes import child_setup, die_with_parent

START_TIMEOUT_S = 60.0
RELOAD_INTERVAL_S = 5  # how soon new epochs appear


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class TensorBoardServer:
    def __init__(self, logdir: str, host: str = "127.0.0.1", port: int = 0):
        self.logdir = logdir
        self.host = host
        self.port = port or _free_port(host)
        self.process: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> str:
        """Start the server and wait until it answers; its URL."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tensorboard.main",
                "--logdir",
                self.logdir,
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--reload_interval",
                str(RELOAD_INTERVAL_S),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=child_setup(die_with_parent),
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self.url
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SweepError(
                        f"TensorBoard did not start on {self.host}:{self.port}: {self._last_line()}",
                        path="--tensorboard",
                    ) from None
                time.sleep(0.2)

    def _last_line(self) -> str:
        self._log.seek(0)
        lines = [
            line.strip()
            for line in self._log.read().decode(errors="replace").splitlines()
            if line.strip()
        ]
        return lines[-1] if lines else "it exited without a message"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
