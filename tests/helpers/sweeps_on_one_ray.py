"""Several sweeps one after another on one embedded Ray instance, each through the runner as the
launcher runs it: starting Ray and the test evaluation's helper once instead of once per sweep
saves seconds a sweep where many small sweeps of shipped families are checked
(tests/sweeps/spec/test_shipped_sweeps.py).

    python -m tests.helpers.sweeps_on_one_ray STORAGE REQUESTS.json OUTCOMES.json

REQUESTS.json is a list of ``{"path": SWEEP_FILE, "overrides": ["KEY=VALUE", ...]}``; each sweep
writes into STORAGE as the launcher would, and OUTCOMES.json lists, per sweep file, its folder,
its seconds and whether the shared evaluator was left running, or the error that ended it, so
that one broken sweep does not hide the others.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from sweeps.run import ray_session
from sweeps.run.held_out_evaluation import HeldOutEvaluator
from sweeps.run.runner import run_sweep, start_ray
from sweeps.spec import load_sweep


def main(storage: Path, requests: list[dict], outcomes_file: Path) -> None:
    # One test-evaluation helper for every sweep: it imports torch and Lightning once.
    evaluator = HeldOutEvaluator().start()
    start_ray(None, verbose=False)
    outcomes = {}
    try:
        for request in requests:
            started = time.monotonic()
            try:
                spec = load_sweep(request["path"], overrides=request["overrides"])
                outcome = run_sweep(spec, storage, progress_interval_s=3600, evaluator=evaluator)
                outcomes[request["path"]] = {
                    "sweep_dir": str(outcome.sweep_dir),
                    "seconds": round(time.monotonic() - started, 1),
                    # The runner leaves an evaluator it did not start running for the next sweep.
                    "evaluator_kept": evaluator.process is not None
                    and evaluator.process.poll() is None,
                }
            except BaseException as error:  # noqa: BLE001 - recorded for the test to show
                outcomes[request["path"]] = {"error": "".join(traceback.format_exception(error))}
                if isinstance(error, KeyboardInterrupt):
                    break
    finally:
        outcomes_file.write_text(json.dumps(outcomes, indent=1))
        evaluator.close()
        ray_session.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3]))
