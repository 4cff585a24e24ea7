"""Several sweeps one after another on one embedded Ray instance, each through the runner as the
launcher runs it: starting Ray once instead of once per sweep saves seconds a sweep where many
small sweeps are checked (tests/sweeps/spec/test_shipped_sweeps.py).

    python -m tests.helpers.sweeps_on_one_ray STORAGE REQUESTS.json

REQUESTS.json is a list of ``{"path": SWEEP_FILE, "overrides": ["KEY=VALUE", ...]}``; each sweep
writes into STORAGE as the launcher would, and STORAGE/outcomes.json lists, per sweep file, its
folder or the error that ended it, so that one broken sweep does not hide the others.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from sweeps.run import ray_session
from sweeps.run.runner import run_sweep, start_ray
from sweeps.spec import load_sweep


def main(storage: Path, requests: list[dict]) -> None:
    start_ray(None, verbose=False)
    outcomes = {}
    try:
        for request in requests:
            try:
                spec = load_sweep(request["path"], overrides=request["overrides"])
                outcome = run_sweep(spec, storage, progress_interval_s=3600)
                outcomes[request["path"]] = {"sweep_dir": str(outcome.sweep_dir)}
            except BaseException as error:  # noqa: BLE001 - recorded for the test to show
                outcomes[request["path"]] = {"error": "".join(traceback.format_exception(error))}
                if isinstance(error, KeyboardInterrupt):
                    break
    finally:
        (storage / "outcomes.json").write_text(json.dumps(outcomes, indent=1))
        ray_session.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()))
