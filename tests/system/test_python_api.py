"""``sweeps.run`` as a notebook or a script uses it: several sweeps one after another in one
process (each with an embedded Ray of its own), a sweep from a dict and from a thread, Ctrl-C with
the state saved and then resumed in the same process, the caller's signal handlers given back,
and a mistake raised as one exception that carries every mistake found, with nothing started."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT, launcher_env
from tests.helpers.processes import stop_if_running

pytestmark = pytest.mark.slow

SESSION = """
import json, signal, sys, threading
from pathlib import Path

import yaml

import sweeps

storage = Path(sys.argv[1])
small = {"trials.num_samples": 2, "stop.max_epochs": 30, "scheduler.grace_period": 30}
told = {}

# The caller's own Ctrl-C handler, as a notebook kernel has one: it must be theirs again after.
def callers_handler(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGINT, callers_handler)

# 1. A shipped sweep by name, in the main thread; the test sends Ctrl-C once a trial runs.
try:
    sweeps.run("digits_asha", storage, overrides=small, progress_interval_s=0.5)
    told["interrupted"] = None
except KeyboardInterrupt as stop:
    told["interrupted"] = str(stop)
told["handler_given_back"] = signal.getsignal(signal.SIGINT) is callers_handler
told["handler"] = repr(signal.getsignal(signal.SIGINT))
print("INTERRUPTED", flush=True)

# 2. The same sweep resumed in the same process: its trials continue to the end.
resumed = sweeps.run("digits_asha", storage, overrides=small, resume=True, progress_interval_s=60)
told["resumed"] = {"counts": resumed.status_counts, "trials": resumed.trials.num_rows,
                   "epochs": resumed.metrics.num_rows, "best": resumed.best["trial_id"]}

# 3. A sweep given as a dict, run from another thread (a notebook's background run).
raw = yaml.safe_load(Path("sweeps/digits_asha.yaml").read_text())
raw["name"] = "from_a_dict"
original = json.dumps(raw)
results = {}
def in_thread():
    try:
        results["result"] = sweeps.run(raw, storage, overrides={"trials.num_samples": 2,
                                       "stop.max_epochs": 2, "scheduler.grace_period": 1},
                                       progress_interval_s=60)
    except BaseException as error:
        results["error"] = repr(error)
thread = threading.Thread(target=in_thread)
thread.start()
thread.join()
told["thread_error"] = results.get("error")
threaded = results.get("result")
if threaded is not None:
    told["thread"] = {"best": threaded.best["trial_id"], "page": str(threaded.report()),
                      "loaded": sweeps.load(threaded.folder).trials.num_rows}
    told["dict_kept"] = json.dumps(raw) == original  # the overrides wrote into a copy

# 4. Mistakes: raised together, before anything starts.
try:
    sweeps.run(raw | {"name": "refused"}, storage,
               overrides={"trials.num_samples": 0, "stop.max_epochs": "many"})
except sweeps.SweepError as error:
    told["mistakes"] = [str(one) for one in error.every]
told["refused_left_nothing"] = not (storage / "refused").exists()
print("TOLD " + json.dumps(told), flush=True)
"""


def test_sweeps_one_after_another_in_one_process(tmp_path):
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=launcher_env(),
    )
    lines = []
    try:
        for line in session.stdout:
            lines.append(line)
            if "1 running" in line or "2 running" in line:
                session.send_signal(signal.SIGINT)
                break
        lines += session.stdout.readlines()
        session.wait(timeout=300)
    finally:
        stop_if_running(session)
    output = "".join(lines)
    assert session.returncode == 0, output[-4000:]
    told = json.loads(next(line for line in lines if line.startswith("TOLD "))[5:])

    assert told["interrupted"].startswith("interrupted: the sweep's state is saved in"), told
    assert told["interrupted"].endswith("continue with resume=True")
    assert told["handler_given_back"], told
    assert told["resumed"]["counts"] == {"completed": 2}
    assert told["resumed"]["trials"] == 2 and told["resumed"]["epochs"] == 60

    assert told["thread_error"] is None
    assert told["thread"]["page"].endswith("from_a_dict/report/report.html")
    assert told["thread"]["loaded"] == 2
    assert told["dict_kept"]

    mistakes = told["mistakes"]
    assert len(mistakes) == 2, mistakes
    assert any("trials.num_samples" in one for one in mistakes)
    assert any("stop.max_epochs" in one for one in mistakes)
    assert all(one.startswith("the sweep dict (after overrides[") for one in mistakes)
    assert "Traceback" not in output and "WARNING" not in output  # Ray's notices left out
    assert told["refused_left_nothing"]
