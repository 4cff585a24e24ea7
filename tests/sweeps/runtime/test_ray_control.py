"""What the driver settles before Ray starts: the address (``auto``) and the token it would send.
Against real clusters: tests/system/test_ray_faults.py and test_cluster.py."""

from __future__ import annotations

import pytest

from sweeps.errors import SweepError
from sweeps.runtime.ray_control import UNREACHABLE, ClusterError, find_token, probe, resolve_address
from tests.helpers.processes import free_port


@pytest.fixture
def no_ray_settings(monkeypatch, tmp_path):
    for name in ("RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_TMPDIR", "TMPDIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_the_token_is_looked_up_in_rays_order(no_ray_settings, monkeypatch):
    assert find_token() is None
    home_file = no_ray_settings / "home" / ".ray" / "auth_token"
    home_file.parent.mkdir(parents=True)
    home_file.write_text("from-home\n")
    assert (find_token().value, find_token().source) == (
        "from-home",
        f"~/.ray/auth_token ({home_file})",
    )
    named = no_ray_settings / "token"
    named.write_text("from-path")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(named))
    assert (find_token().value, find_token().source) == (
        "from-path",
        f"RAY_AUTH_TOKEN_PATH ({named})",
    )
    monkeypatch.setenv("RAY_AUTH_TOKEN", "from-variable")
    assert (find_token().value, find_token().source) == ("from-variable", "RAY_AUTH_TOKEN")


def test_auto_is_the_address_variable_or_the_last_ray_start_here(no_ray_settings, monkeypatch):
    monkeypatch.setenv("RAY_TMPDIR", str(no_ray_settings))
    with pytest.raises(ClusterError, match="no Ray cluster was started on this machine"):
        resolve_address("auto")
    (no_ray_settings / "ray").mkdir()
    (no_ray_settings / "ray" / "ray_current_cluster").write_text("10.0.0.5:6379\n")
    assert resolve_address("auto") == "10.0.0.5:6379"
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.7:6380")
    assert resolve_address("auto") == "10.0.0.7:6380"
    assert resolve_address("127.0.0.1:6379") == "127.0.0.1:6379"
    assert resolve_address("ray://head:10001") == "ray://head:10001"


@pytest.mark.parametrize("address", ["head", "head:port", "head:0", ":6379", "head:70000"])
def test_an_address_that_is_not_host_and_port_is_a_mistake(address):
    with pytest.raises(SweepError, match="give HOST:PORT"):
        resolve_address(address)


def test_nothing_listening_is_unreachable_at_once():
    assert probe(f"127.0.0.1:{free_port()}", timeout_s=5) == UNREACHABLE


# What the project relies on beyond Ray's public API: each test fails when Ray changes it. --------


def test_tunes_switches_and_loggers_are_still_there():
    import inspect
    import logging
    import signal

    import ray._private.worker
    import ray.tune.execution.experiment_state
    import ray.tune.execution.tune_controller
    import ray.tune.experimental.output
    import ray.tune.tune
    import ray.tune.utils.callback

    from sweeps.runtime import ray_control

    sources = "".join(
        inspect.getsource(module)
        for module in (
            ray.tune.tune,
            ray.tune.utils.callback,
            ray.tune.execution.experiment_state,
            ray.tune.experimental.output,
        )
    )
    for name in [*ray_control.TUNE_SETTINGS, ray_control.NO_TUNE_SIGINT_HANDLER[0]]:
        assert name in sources, name
    # The event ask_tune_to_stop sets: made by this function, looked up as each run starts, and
    # checked by the run's loop.
    run = inspect.getsource(ray.tune.tune.run)
    assert "experiment_interrupted_event = _setup_signal_catching()" in run
    assert "not experiment_interrupted_event.is_set()" in run
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGUSR1)}
    try:
        with ray_control.stoppable_tune_run():
            ray_control.ask_tune_to_stop()
            assert ray.tune.tune._setup_signal_catching().is_set()
        assert not ray.tune.tune._setup_signal_catching().is_set()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    for name in (
        ray_control.TUNE_RUN_LOGGER,
        ray_control.TUNE_STATE_LOGGER,
        ray_control.TUNE_CONTROLLER_LOGGER,
    ):
        assert logging.getLogger(name) is __import__(name, fromlist=["logger"]).logger
    controller = inspect.getsource(ray.tune.execution.tune_controller)
    assert f'logger.error(f"{ray_control.TRIAL_FAILED_PREFIX} {{trial}}"' in controller
    worker_source = inspect.getsource(ray._private.worker)
    assert ray_control.THREAD_NOTICE.split(" because")[0] in worker_source
    assert logging.getLogger(ray_control.RAY_WORKER_LOGGER) is ray._private.worker.logger
    # The driver prints Ray's notices through this function, looked up as each arrives.
    listener = inspect.getsource(ray._private.worker.listen_error_messages)
    assert "print_to_stdstream(" in listener and '"pid": "raylet"' in listener


def test_finished_trials_join_the_optuna_study_inside_optunasearch():
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    from sweeps.runtime.ray_control import optuna_study

    searcher = OptunaSearch(
        space={"x": optuna.distributions.FloatDistribution(0, 1)}, metric="m", mode="max"
    )
    study = optuna_study(searcher)
    study.add_trial(
        optuna.trial.create_trial(
            params={"x": 0.5},
            distributions={"x": optuna.distributions.FloatDistribution(0, 1)},
            value=1.0,
        )
    )
    assert [trial.params for trial in study.trials] == [{"x": 0.5}]


def test_the_latest_checkpoint_is_read_from_a_trials_saved_run_metadata(tmp_path):
    from ray.train import Checkpoint, CheckpointConfig
    from ray.train._internal.checkpoint_manager import _CheckpointManager
    from ray.train._internal.session import _TrainingResult
    from ray.tune.trainable.metadata import _TrainingRunMetadata

    from sweeps.runtime.ray_control import latest_checkpoint_result

    metadata = _TrainingRunMetadata()
    metadata.checkpoint_manager = _CheckpointManager(CheckpointConfig())
    for epoch in (1, 2):
        folder = tmp_path / f"checkpoint_{epoch}"
        folder.mkdir()
        metadata.checkpoint_manager.register_checkpoint(
            _TrainingResult(checkpoint=Checkpoint(str(folder)), metrics={"epoch": epoch})
        )
    latest = latest_checkpoint_result(metadata.get_json_state())
    assert latest.checkpoint.path == str(tmp_path / "checkpoint_2") and latest.metrics["epoch"] == 2


def test_the_json_result_log_keeps_the_drivers_own_log_on_restore(tmp_path):
    import inspect
    import json

    from ray.tune.logger import JsonLoggerCallback

    from sweeps.runtime.ray_control import json_logger_keeping_the_local_log

    assert "_restore_from_remote" in inspect.getsource(JsonLoggerCallback.log_trial_start)
    (tmp_path / "result.json").write_text('{"epoch": 1}\n')

    class Trial:  # what the logger reads of a trial whose log the driver holds
        local_path = str(tmp_path)
        storage = None
        config: dict = {}

        def init_local_path(self) -> None:
            pass

    trial = Trial()
    logger = json_logger_keeping_the_local_log()()
    logger.log_trial_result(2, trial, {"epoch": 2})
    logger.log_trial_end(trial)
    lines = (tmp_path / "result.json").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_a_trials_storage_names_its_folder_filesystem_and_the_drivers_staging_folder(tmp_path):
    import pyarrow.fs
    from ray.train._internal.storage import StorageContext

    from sweeps.runtime.ray_control import trial_storage

    storage = StorageContext(
        storage_path=str(tmp_path), experiment_dir_name="sweep", trial_dir_name="trial"
    )
    trial = type("Trial", (), {"storage": storage})()
    folder, filesystem = trial_storage(trial)
    assert folder.endswith("sweep/trial") and isinstance(filesystem, pyarrow.fs.FileSystem)
    # The staging folder lies in the running Ray session's folder, so only its name is checked.
    assert isinstance(StorageContext.experiment_driver_staging_path, property)


def answer_of_script(code: str, timeout: float) -> dict:
    """Run ``code`` in a Python process of its own (an embedded instance of its own) and read the
    JSON object its last line prints."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


EMBEDDED_PROCESSES = """
import json, os
from sweeps.runtime import ray_control
from sweeps.runtime.child_processes import descendants

ray_control.settle_embedded_authentication()
ray_control.start_embedded(verbose=False, api_server=False)
import ray  # after the authentication mode is settled: Ray reads it at import

@ray.remote(num_cpus=1)
class Probe:
    def pid(self):
        return os.getpid()

probe = Probe.remote()
ray.get(probe.pid.remote())
commands = []
for pid in descendants(os.getpid()):
    try:
        commands.append(open(f"/proc/{pid}/cmdline").read().replace("\\0", " "))
    except OSError:
        pass

# Tune's trial actors, declared as Tune declares them while a sweep runs on the instance.
from ray.tune.execution.class_cache import _ActorClassCache

class Trainable:
    def environment(self):
        return dict(ray.get_runtime_context().runtime_env), os.environ.get("PL_DISABLE_FORK")

with ray_control.trial_actors_inheriting_environment():
    inheriting = _ActorClassCache().get(Trainable)
tunes_own = _ActorClassCache().get(Trainable)
actor_environment = ray.get(inheriting.remote().environment.remote())
first_token = os.environ["RAY_AUTH_TOKEN"]
ray_control.shutdown()

# A second instance in the same process (a notebook's second sweep) has a token of its own, which
# the already imported Ray must present instead of the first one's.
ray_control.settle_embedded_authentication()
ray_control.start_embedded(verbose=False, api_server=False)
second = ray.get(Probe.remote().pid.remote()) > 0 and os.environ["RAY_AUTH_TOKEN"] != first_token
ray_control.shutdown()
print(json.dumps({"commands": commands, "actor_environment": actor_environment,
                  "declared": [inheriting._default_options, tunes_own._default_options],
                  "second_instance_answered": second}))
"""


@pytest.mark.slow
def test_an_embedded_instance_starts_only_what_a_local_sweep_uses():
    """No autoscaler monitor, no log monitor and no API server (each a process importing Ray
    while the trials start: the first two are parameters ray.init does not expose, the third a
    step of the head's start-up), no workers prestarted for the first driver (its system
    config), and Tune's trial actors without a runtime environment of their own (it would start
    each through a set-up process): their workers inherit what Tune would set. A second instance
    started by the same process answers (Ray's cached token is reloaded)."""
    answer = answer_of_script(EMBEDDED_PROCESSES, timeout=120)
    commands = answer["commands"]
    assert any("gcs_server" in command for command in commands)  # the instance was read
    assert not any("autoscaler/_private/monitor.py" in command for command in commands)
    assert not any("log_monitor.py" in command for command in commands)
    assert not any("dashboard/dashboard.py" in command for command in commands)
    workers = [  # the raylet names the worker script among its own arguments
        command
        for command in commands
        if (command.startswith("ray::") and "Agent" not in command)
        or ("default_worker.py" in command and "raylet" not in command.split()[0])
    ]
    assert len(workers) == 1 and "Probe" in workers[0], workers
    inheriting, tunes_own = answer["declared"]
    assert "runtime_env" not in inheriting
    assert tunes_own["runtime_env"]["env_vars"] == {"PL_DISABLE_FORK": "1"}  # Tune's, as assumed
    assert answer["actor_environment"] == [{}, "1"]
    assert answer["second_instance_answered"]


WARM_WORKERS = """
import json, os, sys, time
from sweeps.runtime import ray_control
from sweeps.runtime.child_processes import descendants

ray_control.settle_embedded_authentication()
cpus = int(ray_control.this_machines_resources()["CPU"])
warm = ray_control.WarmWorkers(cpus, ("sweeps.trial.trainable",))
ray_control.start_embedded(verbose=False, api_server=False, warm=warm)
import ray  # after the authentication mode is settled: Ray reads it at import
from ray.util.placement_group import placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

def workers():
    found = []
    for pid in descendants(os.getpid()):
        try:
            command = open(f"/proc/{pid}/cmdline").read()
        except OSError:
            continue
        # A worker names itself by what it runs (ray::IDLE while it waits for work).
        if command.startswith("ray::") and "Agent" not in command:
            found.append(pid)
    return found

deadline = time.monotonic() + 60
while len(workers()) < cpus and time.monotonic() < deadline:
    time.sleep(0.2)
started = workers()
# As Tune does: a placement group for each trial it may start, more than the CPUs hold, then
# an actor in each group that is ready.
groups = [placement_group([{"CPU": 1}]) for _ in range(cpus + 2)]
ray.get([group.ready() for group in groups[:cpus]])
time.sleep(2)  # Ray's idle workers would be killed by now

@ray.remote
class Trial:
    def __init__(self):
        self.warm = "sweeps.trial.trainable" in sys.modules  # before this actor imported anything

    def state(self):
        return os.getpid(), self.warm

actors = [
    Trial.options(num_cpus=1, scheduling_strategy=PlacementGroupSchedulingStrategy(group)).remote()
    for group in groups[:cpus]
]
states = ray.get([actor.state.remote() for actor in actors])
ray_control.shutdown()
print(json.dumps({"started": started, "states": states}))
"""


@pytest.mark.slow
def test_warm_workers_start_with_the_instance_and_become_the_trial_actors():
    """An embedded instance given warm workers starts one per CPU, each importing the trials'
    modules, and actors placed as Tune places its trials take them, modules imported, instead
    of Ray killing them once the placement groups hold every CPU and starting others."""
    answer = answer_of_script(WARM_WORKERS, timeout=180)
    pids = [pid for pid, _ in answer["states"]]
    assert len(answer["started"]) == len(pids) >= 1, answer
    assert sorted(pids) == sorted(answer["started"]), answer
    assert all(warm for _, warm in answer["states"]), answer
