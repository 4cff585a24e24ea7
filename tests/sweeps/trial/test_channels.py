"""A data-parallel trial's channels (sweeps.trial.channels): queues with Ray's queue semantics
(a wait that times out is Full or Empty), reachable from another process, all held by one actor."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, launcher_env

pytestmark = pytest.mark.slow

SESSION = """
import json, os, time
from sweeps.runtime import ray_control
from sweeps.runtime.child_processes import descendants

ray_control.settle_embedded_authentication()
ray_control.start_embedded(verbose=False, api_server=False)
import ray  # after the authentication mode is settled: Ray reads it at import

from sweeps.trial import channels
from sweeps.trial.channels import Empty, Full

told = {}
actor, opened = channels.open_channels(relay=1, stop=0)
relay, stop = opened["relay"], opened["stop"]
told["empty_at_first"] = relay.empty() and stop.empty()
relay.put("first", timeout=1)
started = time.monotonic()
try:
    relay.put("second", timeout=0.5)
except Full:
    told["full_after"] = round(time.monotonic() - started, 1)
try:
    stop.get_nowait()
except Empty:
    told["nothing_to_stop"] = True

@ray.remote(num_cpus=0)
def rank(channel, value):
    channel.put(value)  # the channel travels to another process, as to a trial's ranks
    return True

ray.get([rank.remote(stop, value) for value in range(3)])
told["from_ranks"] = sorted(stop.get(timeout=5) for _ in range(3))
told["relay"] = relay.get(timeout=1)
commands = []
for pid in descendants(os.getpid()):
    try:
        commands.append(open(f"/proc/{pid}/cmdline").read())
    except OSError:
        pass
told["actors"] = sorted(c.split()[0] for c in commands if "Channels" in c or "Queue" in c)
channels.close(actor)
ray_control.shutdown()
print("TOLD " + json.dumps(told))
"""


def test_channels_keep_queue_semantics_across_processes_in_one_actor():
    run = subprocess.run(
        [sys.executable, "-c", SESSION],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=launcher_env(),
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("TOLD ")]
    assert lines, run.stdout + run.stderr
    told = json.loads(lines[-1].removeprefix("TOLD "))
    assert told["empty_at_first"] and told["nothing_to_stop"]
    assert 0.4 <= told["full_after"] < 5  # a full channel waits out its timeout, then says so
    assert told["from_ranks"] == [0, 1, 2] and told["relay"] == "first"
    assert len(told["actors"]) == 1 and "TrialChannels" in told["actors"][0], (
        told
    )  # one process for every channel
