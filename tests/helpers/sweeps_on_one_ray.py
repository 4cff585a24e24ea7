"""Several sweeps one after another on one embedded Ray instance, each through the runner as the
launcher runs it: starting Ray and the test evaluation's helper once instead of once per sweep
saves seconds a sweep where many small sweeps are checked (tests/sweeps/definition/test_shipped_sweeps.py,
tests/system/test_zoo.py).

    python -m tests.helpers.sweeps_on_one_ray STORAGE REQUESTS.json OUTCOMES.json

REQUESTS.json is a list of ``{"path": SWEEP_FILE, "overrides": ["KEY=VALUE", ...]}``, each
optionally with ``"cwd"`` (the folder the sweep is run from, as a user's project is: its
relative paths and class paths are read from there), ``"name"`` (--name) and ``"faults"`` (the
faults its trials commit, sweeps.trial.fault_injection). Each sweep writes into STORAGE as the
launcher would, and OUTCOMES.json lists, per request (by its name, else its path), its folder, its
seconds and whether the shared evaluator was left running, or the error that ended it, so that one
broken sweep does not hide the others. The projects' folders must be on PYTHONPATH, for the
trials' processes, which start with this process's environment.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from sweeps.definition import load_sweep
from sweeps.driver.held_out_evaluation import HeldOutEvaluator
from sweeps.driver.runner import run_sweep, start_ray
from sweeps.runtime import ray_control
from sweeps.trial.fault_injection import VARIABLE


def main(storage: Path, requests: list[dict], outcomes_file: Path) -> None:
    # Every trial reads its faults from this file, which each request rewrites before it runs.
    faults = Path(tempfile.mkdtemp(prefix="sweep-faults-")) / "faults.json"
    faults.write_text("{}")
    os.environ[VARIABLE] = f"@{faults}"
    # One test-evaluation helper for every sweep: it imports torch and Lightning once.
    evaluator = HeldOutEvaluator().start()
    start_ray(None, verbose=False)
    outcomes = {}
    home = os.getcwd()
    try:
        for request in requests:
            key = request.get("name") or request["path"]
            started = time.monotonic()
            faults.write_text(json.dumps(request.get("faults") or {}))
            os.chdir(request.get("cwd") or home)
            try:
                spec = load_sweep(
                    request["path"], overrides=request["overrides"], name=request.get("name")
                )
                outcome = run_sweep(spec, storage, progress_interval_s=3600, evaluator=evaluator)
                outcomes[key] = {
                    "sweep_dir": str(outcome.sweep_dir),
                    "seconds": round(time.monotonic() - started, 1),
                    # The runner leaves an evaluator it did not start running for the next sweep.
                    "evaluator_kept": evaluator.process is not None
                    and evaluator.process.poll() is None,
                }
            except BaseException as error:  # noqa: BLE001 - recorded for the test to show
                outcomes[key] = {
                    "error": "".join(traceback.format_exception(error)),
                    "seconds": round(time.monotonic() - started, 1),
                }
                if isinstance(error, KeyboardInterrupt):
                    break
            finally:
                os.chdir(home)
    finally:
        outcomes_file.write_text(json.dumps(outcomes, indent=1))
        evaluator.close()
        ray_control.shutdown()
        faults.unlink()
        faults.parent.rmdir()


class Queue:
    """This module run as a process of its own over ``requests`` (see the module's docstring),
    started at once; ``outcomes()`` waits for it. Its Ray instance's processes share its
    session, so that a queue left running is stopped by its process group."""

    def __init__(self, storage: Path, requests: list[dict], label: str, env: dict[str, str]):
        # Imported here: this module is also the queue's own entry point.
        import subprocess

        requests_file = storage / f"requests-{label}.json"
        requests_file.write_text(json.dumps(requests))
        self.outcomes_file = storage / f"outcomes-{label}.json"
        self.log = storage / f"queue-{label}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    __spec__.name,
                    str(storage),
                    str(requests_file),
                    str(self.outcomes_file),
                ],
                cwd=Path(__file__).resolve().parents[2],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def outcomes(self, timeout_s: float) -> dict:
        try:
            self.process.wait(timeout=timeout_s)
        finally:
            self.stop()
        assert self.outcomes_file.is_file(), self.log.read_text()[-6000:]
        return json.loads(self.outcomes_file.read_text())

    def stop(self) -> None:
        """SIGKILL the queue and its Ray instance, by its process group, if still running."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3]))
