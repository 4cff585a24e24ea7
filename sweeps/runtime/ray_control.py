"""The driver's Ray: a private embedded instance, or a cluster reached at an address.

* ``launchers.local`` starts an instance of its own (``address="local"``): never one that
  ``RAY_ADDRESS`` or the record of the last ``ray start`` points at. Its token lives in the
  environment of the processes it starts, never in ``~/.ray/auth_token``.
* Before Ray is imported for a cluster, the driver asks the cluster's GCS whether it uses token
  authentication and, if it does, whether it takes the token found here; a cluster that cannot be
  reached, wants a token this driver lacks or refuses it is one line (``ClusterError``, exit
  status 3) before any trial. Ray itself reads the authentication mode once, at import.
* While the sweep runs, ``ClusterWatch`` asks the GCS every second whether it is there, and once
  it has not answered for ``LOST_AFTER_S`` the run is stopped (sweeps.driver.stop_requests), instead of
  Ray's own warnings every few seconds until its 60 s limit kills the process.

The probe is one gRPC call of Ray's wire protocol (``GetClusterId``, an empty request); a test
runs it against real clusters with and without authentication.

Every other use of Ray beyond its public API is here too, at the end of this module, each with a
test in tests/sweeps/runtime/test_ray_control.py that fails when Ray changes what is relied on: the
embedded head's services that ``ray.init`` cannot turn off, the runtime environment Tune gives its
trial actors, the event that stops Tune's run, its environment switches and logger names, the Optuna study
inside OptunaSearch, the JSON result log's restore hook, a trial's run metadata in Tune's state and
the staging folder of a trial's storage. Ray is imported inside the functions: this module is
imported before the authentication mode is settled.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweeps.errors import SweepError, first_line
from sweeps.runtime.child_processes import descendants
from sweeps.stop_reasons import CLUSTER, RAY_DID_NOT_START, SweepStopped

LOST_AFTER_S = 10.0  # the GCS not answering this long ends the run
PROBE_TIMEOUT_S = 2.0
CONNECT_WAIT_S = 10.0  # an address that does not answer this long is not a cluster
_GCS_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"

ANSWERED, NEEDS_TOKEN, UNREACHABLE = "answered", "needs_token", "unreachable"


class ClusterError(SweepStopped):
    """The Ray cluster could not be reached, was lost, or refused this driver."""

    def __init__(self, line: str):
        super().__init__(CLUSTER, line)


@dataclass(frozen=True)
class Token:
    value: str
    source: str  # where it was found, as the user would set it


def find_token() -> Token | None:
    """The token Ray's driver would send, looked up in Ray's order."""
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return Token(os.environ["RAY_AUTH_TOKEN"].strip(), "RAY_AUTH_TOKEN")
    if os.environ.get("RAY_AUTH_TOKEN_PATH"):
        path = Path(os.environ["RAY_AUTH_TOKEN_PATH"]).expanduser()
        return Token(_read_token(path), f"RAY_AUTH_TOKEN_PATH ({path})") if path.is_file() else None
    path = Path.home() / ".ray" / "auth_token"
    return Token(_read_token(path), f"~/.ray/auth_token ({path})") if path.is_file() else None


def _read_token(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as error:
        raise ClusterError(f"cannot read the Ray token in {path}: {error.strerror}") from None


def resolve_address(address: str) -> str:
    """HOST:PORT for ``address``. ``auto`` is RAY_ADDRESS when set (a Ray job's entrypoint has
    it), else the cluster the last ``ray start`` here recorded. A Ray Client address (``ray://``)
    is kept as it is."""
    if address == "auto" and os.environ.get("RAY_ADDRESS", "auto") != "auto":
        address = os.environ["RAY_ADDRESS"]
    if address.startswith("ray://"):
        return address
    if address == "auto":
        record = _current_cluster_record()
        try:
            address = record.read_text().strip()
        except OSError:
            raise ClusterError(
                f"--address auto: no Ray cluster was started on this machine ({record} is "
                "missing): give the head's HOST:PORT, or start one with ray start --head"
            ) from None
        if not address:
            raise ClusterError(f"--address auto: {record} is empty: give the head's HOST:PORT")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SweepError(
            f"address {address!r}: give HOST:PORT of the head node (e.g. 10.0.0.5:6379), or auto"
        )
    return address


def _current_cluster_record() -> Path:
    # Where `ray start` records its head, as Ray finds it (ray._common.utils), computed here
    # because importing Ray would settle the authentication mode too early.
    temp = os.environ.get("RAY_TMPDIR") or os.environ.get("TMPDIR") or "/tmp"
    return Path(temp) / "ray" / "ray_current_cluster"


def probe(address: str, token: str | None = None, timeout_s: float = PROBE_TIMEOUT_S) -> str:
    """ANSWERED, NEEDS_TOKEN (it refused the request: no token, or not this one) or UNREACHABLE."""
    # Imported here: gRPC loads only to ask a cluster.
    import grpc

    metadata = [("authorization", f"Bearer {token}")] if token else None
    # Never through an HTTP proxy from the environment: the GCS is reached directly, as Ray does.
    with grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)]) as channel:
        call = channel.unary_unary(_GCS_METHOD, request_serializer=None, response_deserializer=None)
        try:
            call(b"", timeout=timeout_s, metadata=metadata)
            return ANSWERED
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                return NEEDS_TOKEN
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                return UNREACHABLE
            return ANSWERED  # it answered, if not to this request: it is there


def settle_authentication(address: str, wait_s: float = CONNECT_WAIT_S) -> str:
    """Wait (up to ``wait_s``) for the cluster at ``address`` to answer, then set RAY_AUTH_MODE
    to what it uses. Returns how the driver authenticates, for the start-up line."""
    deadline = time.monotonic() + wait_s
    while (answer := probe(address)) == UNREACHABLE:
        if time.monotonic() >= deadline:
            raise ClusterError(
                f"no Ray cluster answers at {address} (waited {wait_s:g} s): check the address, or start the "
                "cluster (ray start --head), then run again (--resume continues a started sweep)"
            )
        time.sleep(0.5)
    if answer == ANSWERED:
        # Sending a token to a cluster without authentication makes its workers fail to start.
        os.environ["RAY_AUTH_MODE"] = "disabled"
        reload_authentication()
        return "no token authentication"
    token = find_token()
    if token is None:
        raise ClusterError(
            f"the Ray cluster at {address} uses token authentication and this driver has no token "
            "(none in RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token): set RAY_AUTH_TOKEN to the "
            "cluster's token (ray get-auth-token on its head node)"
        )
    if probe(address, token.value) == NEEDS_TOKEN:
        raise ClusterError(
            f"the Ray cluster at {address} refused the token from {token.source}: set RAY_AUTH_TOKEN to the "
            "cluster's token (ray get-auth-token on its head node)"
        )
    os.environ["RAY_AUTH_MODE"] = "token"
    reload_authentication()
    return f"token from {token.source}"


def settle_embedded_authentication() -> None:
    """The environment of an embedded instance, set before Ray is first imported (Ray reads the
    authentication mode once, at import)."""
    # Explicit token mode keeps authentication on and spares the user Ray's notice about the
    # default. The token is in this process's environment, which the processes Ray starts
    # inherit; Ray writes none to ~/.ray/auth_token, where a later driver would take it for
    # another cluster's. The address variable must not lead any of them elsewhere.
    os.environ.pop("RAY_ADDRESS", None)
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    if os.environ["RAY_AUTH_MODE"].lower() == "token":
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
        os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    reload_authentication()


def is_connected() -> bool:
    """Whether this process is connected to a Ray instance already."""
    if "ray" not in sys.modules:
        return False
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    return ray.is_initialized()


def start_embedded(
    verbose: bool,
    while_starting: Callable[[], None] | None = None,
    api_server: bool = True,
    warm: WarmWorkers | None = None,
) -> None:
    """A new Ray instance of this process's own, with the token of its own that
    ``settle_embedded_authentication`` set. ``api_server``: whether the head starts Ray's API
    server, which Ray Train's data-parallel trials ask about their actors. ``warm``: worker
    processes started with the instance, for the trials' actors (see ``WarmWorkers``)."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    helper = threading.Thread(target=while_starting, daemon=True) if while_starting else None
    if helper is not None:
        helper.start()
    global _inherited_environment
    os.environ.update(TRIAL_ACTOR_ENVIRONMENT)
    _inherited_environment = dict(os.environ)  # what the instance's workers will inherit
    without_thread_notice()
    # address="local": always a new instance, never one already running here.
    try:
        with _head_without_idle_services(keep_log_monitor=verbose, keep_api_server=api_server):
            ray.init(
                address="local",
                include_dashboard=False,
                logging_level=logging.WARNING,
                log_to_driver=verbose,
                # A new dict each time: Ray writes the instance's spilling folder into the dict
                # it is given, which the next instance of this process would take for the user's.
                _system_config=embedded_system_config(warm),
            )
    except Exception as error:  # noqa: BLE001 - whatever Ray raised, the sweep cannot start
        stop_own_processes()
        raise SweepStopped(
            RAY_DID_NOT_START, f"Ray did not start on this machine: {first_line(error)}"
        ) from None
    without_worker_death_notices()
    if helper is not None:
        helper.join()


def stop_own_processes() -> None:
    """SIGKILL every process under this one: the embedded instance's, when its GCS is gone and
    Ray's shutdown would wait on it (the agents its node manager started would outlive it). Each
    is stopped (SIGSTOP) first, until no new one shows: a stopped process starts no other, and
    one started by a process already killed would be handed to init, out of reach."""
    held: list[int] = []
    for _ in range(100):  # a few rounds in practice; bounded all the same
        new = [pid for pid in descendants(os.getpid()) if pid not in held]
        if not new:
            break
        for pid in new:
            _send(pid, signal.SIGSTOP)
        held += new
    for pid in held:
        _send(pid, signal.SIGKILL)


def _send(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass  # gone already


def connect(address: str, verbose: bool, runtime_env: dict[str, Any] | None = None) -> str:
    """Join the cluster at ``address`` (authentication settled first); returns the line saying how."""
    if is_client_address(address):
        # The Ray Client server speaks another protocol than the GCS: it is asked nothing first,
        # and gets the token when one is there.
        token = find_token()
        os.environ.setdefault("RAY_AUTH_MODE", "token" if token else "disabled")
        how = f"Ray Client, token from {token.source}" if token else "Ray Client, no token"
    else:
        how = settle_authentication(address)
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    without_thread_notice()
    try:
        ray.init(
            address=address,
            logging_level=logging.WARNING,
            log_to_driver=verbose,
            runtime_env=runtime_env,
        )
    except ConnectionError as error:
        raise ClusterError(
            f"cannot connect to the Ray cluster at {address}: {first_line(error)}"
        ) from None
    except Exception as error:
        if type(error).__name__ == "AuthenticationError":
            raise ClusterError(
                f"the Ray cluster at {address} refused this driver: {first_line(error)}"
            ) from None
        raise
    without_worker_death_notices()
    return how


def is_client_address(address: str | None) -> bool:
    return address is not None and address.startswith("ray://")


def gcs_address() -> str:
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    return ray.get_runtime_context().gcs_address


class ClusterWatch:
    """Asks the GCS at ``address`` every second whether it is there; calls ``on_lost`` once, when
    it has not answered for ``lost_after_s``."""

    def __init__(
        self, address: str, on_lost: Callable[[str], None], lost_after_s: float = LOST_AFTER_S
    ):
        self.address = address
        self.on_lost = on_lost
        self.lost_after_s = lost_after_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cluster-watch", daemon=True)

    def start(self) -> ClusterWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        token = find_token() if os.environ.get("RAY_AUTH_MODE", "").lower() == "token" else None
        silent_since = None
        while not self._stop.wait(1.0):
            if probe(self.address, token.value if token else None) != UNREACHABLE:
                silent_since = None
                continue
            now = time.monotonic()
            silent_since = silent_since or now
            if now - silent_since >= self.lost_after_s:
                self.on_lost(self.address)
                return


def shutdown() -> None:
    """Disconnect this driver from Ray and, when the instance is its own, end the instance's
    processes at once. Ray's own shutdown gives the node manager a second to end gracefully and
    waits for it; with the sweep over (every result in, every state file written) there is
    nothing left for it to finish, so each process of the instance is SIGKILLed once the driver
    has left (a third of a second instead of over a second, at the end of every local sweep)."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    global _inherited_environment
    _inherited_environment = None
    if not ray.is_initialized():
        return
    node = _take_own_node()
    ray.shutdown()  # with the node taken, this only disconnects the driver
    if node is None:
        return
    processes = [info.process for infos in node.all_processes.values() for info in infos]
    pids = {process.pid for process in processes}
    for process in processes:
        pids.update(descendants(process.pid))  # the node manager's workers and agents
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for process in processes:
        process.wait()


# Ray's private names and undocumented behaviours -------------------------------------------------

# Tune's switches, read from the environment when a run starts.
TUNE_SETTINGS = {
    # Only the JSON result log of Tune's default loggers (sweeps.driver.result_log): its
    # TensorBoard logger is replaced by sweeps.driver.tensorboard_logging.
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    # Keeping few checkpoints makes Tune snapshot its state after each one, which is what lets it
    # delete old checkpoints safely; its warning about that would repeat every epoch.
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    # Tune's older output engine: at verbose 0 it prints nothing, where the newer one prints boxes
    # (the experiment's configuration, every failed trial's last result) at any verbosity. The
    # launcher prints its own progress, and one line per failed trial.
    "RAY_AIR_NEW_OUTPUT": "0",
}
# Tune would replace the SIGINT handler during its run with one of its own.
NO_TUNE_SIGINT_HANDLER = ("TUNE_DISABLE_SIGINT_HANDLER", "1")
# Where Tune logs what the launcher says in its own words, or what is not worth a line.
TUNE_RUN_LOGGER = "ray.tune.tune"
TUNE_ANALYSIS_LOGGER = "ray.tune.analysis.experiment_analysis"
TUNE_STATE_LOGGER = "ray.tune.execution.experiment_state"
# Where Tune logs each failed trial's traceback, which it also writes to the trial's error.txt.
TUNE_CONTROLLER_LOGGER = "ray.tune.execution.tune_controller"
TRIAL_FAILED_PREFIX = "Trial task failed for trial"
TRIAL_ERROR_FILE = "error.txt"


# Ray prints a notice on the driver's console whenever a worker process dies while running a
# task; for a trial's process the progress table says so in one line naming the trial's error
# file, which holds Ray's whole account of the death (the notice's text included).
WORKER_DIED_NOTICE = "A worker died or was killed while executing a task"


def reload_authentication() -> None:
    """Make an already imported Ray see the authentication mode and token now in the environment.
    Ray reads both once and keeps them (its config and its token loader), so without this the
    second sweep of a process (a notebook, a script, a benchmark) would present the first
    instance's token to its new instance, which refuses it and never finishes starting."""
    if "ray" not in sys.modules:
        return  # Ray reads the environment when it is first imported
    # Both are in Ray's compiled _raylet, whose bundled stub does not declare them.
    from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


# Ray's warning when ``ray.init`` runs outside the main thread (a sweep run from a notebook's
# background thread): it cannot set its SIGTERM handler there, which the sweep does not need.
RAY_WORKER_LOGGER = "ray._private.worker"
THREAD_NOTICE = "SIGTERM handler is not set because current thread is not the main thread"


def _not_the_thread_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(THREAD_NOTICE)


def without_thread_notice() -> None:
    logger = logging.getLogger(RAY_WORKER_LOGGER)
    if _not_the_thread_notice not in logger.filters:
        logger.addFilter(_not_the_thread_notice)


def without_worker_death_notices() -> None:
    """Ray's notices of a dead worker left out of the console (its other notices stay): Ray's
    driver prints them through ``print_to_stdstream`` of its worker module, looked up when each
    arrives."""
    from ray._private import worker

    original = worker.print_to_stdstream
    if getattr(original, "without_worker_deaths", False):
        return

    def filtered(data: dict[str, Any], ignore_prefix: bool) -> None:
        if data.get("pid") == "raylet":
            lines = [line for line in data.get("lines", []) if WORKER_DIED_NOTICE not in line]
            if not lines:
                return
            data = {**data, "lines": lines}
        original(data, ignore_prefix)

    filtered.without_worker_deaths = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = filtered


def this_machines_resources() -> dict[str, float]:
    """What an embedded instance started now would offer (CPU, GPU, memory...), by Ray's own
    detection, asked before it starts: a sweep this machine cannot host is refused with nothing
    started. Authentication must be settled first (``settle_embedded_authentication``)."""
    from ray._private.resource_and_label_spec import ResourceAndLabelSpec

    return ResourceAndLabelSpec().resolve(is_head=True).to_resource_dict()


@dataclass(frozen=True)
class WarmWorkers:
    """Worker processes an embedded instance starts with it, one per CPU, each importing
    ``modules`` before it takes work: Tune's trial actors take them, the imports done."""

    cpus: int
    modules: tuple[str, ...]


def embedded_system_config(warm: WarmWorkers | None) -> dict[str, Any]:
    """Ray's settings for an embedded instance. Ray starts a worker for each CPU when the first
    driver connects, meant for tasks; without ``warm`` there are none, since Tune's trial actors
    would start workers of their own and these would sit idle until Ray killed them (about half
    a second of a core each, at the busiest moment of a sweep's start). With it they import the
    trials' modules while the driver starts Tune, and the actors take them: Ray gives an actor
    an idle worker of its job that has run no task. Its soft limit on workers is set to the
    CPUs: left to its default, Ray kills the idle workers once Tune's placement groups hold
    every CPU, and starts new ones for the actors."""
    if warm is None:
        return {"prestart_worker_first_driver": False}
    return {
        "prestart_worker_first_driver": True,
        "num_workers_soft_limit": warm.cpus,
        "preload_python_modules": list(warm.modules),
    }


# What Tune sets in each trial actor's runtime environment (ray.tune.execution.class_cache), set
# instead in the environment an embedded instance starts with.
TRIAL_ACTOR_ENVIRONMENT = {"PL_DISABLE_FORK": "1"}
_inherited_environment: dict[str, str] | None = None  # an embedded instance's, while it runs


@contextlib.contextmanager
def trial_actors_inheriting_environment() -> Iterator[None]:
    """While Tune runs on this process's embedded instance: its trial actors are declared without
    the runtime environment Tune gives them (a few environment variables) when the instance's
    workers inherit those variables already. An actor with a runtime environment starts through
    Ray's runtime-environment agent and a set-up process that imports Ray before the worker does
    (about 1.7 s before the trial's first call, at the busiest moment of a sweep's start).
    Elsewhere (a cluster, whose workers do not inherit this process's environment, or a variable
    of Tune's missing from the inherited environment) Tune's own declaration stands."""
    if _inherited_environment is None:
        yield
        return
    import ray
    from ray.tune.execution import class_cache

    inherited = _inherited_environment
    original = class_cache._ActorClassCache.get

    def get(self: Any, trainable_cls: type) -> Any:
        wanted = dict(class_cache.DEFAULT_ENV_VARS)
        wanted.update(
            (name, os.environ[name])
            for name in class_cache.ENV_VARS_TO_PROPAGATE
            if name in os.environ
        )
        if any(inherited.get(name) != value for name, value in wanted.items()):
            return original(self, trainable_cls)
        if trainable_cls not in self._cache:
            self._cache[trainable_cls] = ray.remote(trainable_cls)
        return self._cache[trainable_cls]

    class_cache._ActorClassCache.get = get  # type: ignore[method-assign]
    try:
        yield
    finally:
        class_cache._ActorClassCache.get = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _head_without_idle_services(keep_log_monitor: bool, keep_api_server: bool) -> Iterator[None]:
    """While an embedded instance starts: no autoscaler monitor (one node, nothing to scale),
    unless the driver shows the workers' output no log monitor (it only forwards that output),
    and unless Ray Train needs it no API server. Each is a Python process importing Ray beside
    the start-up of the trials, about half a second of a core; ``ray.init`` takes neither of the
    first two settings, so they are given to the parameters it builds the head node from. With
    the dashboard off, the API server serves little more than Ray's usage statistics, yet
    ``ray.init`` waits for it to import and register before it starts the node manager (a
    second or more at every sweep's start); Ray Train's data-parallel trials ask it about their
    actors, and without it wait on those calls."""
    from ray._private import node, parameter

    original = parameter.RayParams.__init__
    original_api_server = node.Node.start_api_server

    def lean(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["no_monitor"] = True
        if not keep_log_monitor:
            kwargs["include_log_monitor"] = False
        original(self, *args, **kwargs)

    def no_api_server(self: Any, **_: Any) -> None:
        pass

    parameter.RayParams.__init__ = lean  # type: ignore[method-assign]
    if not keep_api_server:
        node.Node.start_api_server = no_api_server  # type: ignore[method-assign]
    try:
        yield
    finally:
        parameter.RayParams.__init__ = original  # type: ignore[method-assign]
        node.Node.start_api_server = original_api_server  # type: ignore[method-assign]


def _take_own_node() -> Any:
    """The Ray node this process started (None for a cluster it joined), taken from Ray's
    worker module so that ``ray.shutdown`` does not stop it in its own, slower way; its
    spilled-object storage is removed as Ray's shutdown would."""
    from ray._private import worker

    node = worker._global_node
    if node is None or not node.all_processes:
        return None
    if node.is_head():
        node.destroy_external_storage()
    worker._global_node = None
    return node


class _TuneStop:
    """The event Tune's run loop checks to end a run as on Ctrl-C (it saves its state and stops
    the trials), taken from where Tune makes it. Tune sets it from its SIGINT and SIGUSR1
    handlers, which it installs only in the main thread: setting it directly stops a run in any
    thread (a sweep started from a notebook's background thread) and needs no signal to this
    process."""

    event: threading.Event | None = None
    asked = False


def ask_tune_to_stop() -> None:
    """End the current (or the next starting) Tune run: it saves its state and stops the trials."""
    _TuneStop.asked = True
    if _TuneStop.event is not None:
        _TuneStop.event.set()


def forget_tune_stop() -> None:
    """A new sweep of the process: a stop asked for an earlier one does not carry over."""
    _TuneStop.asked = False


@contextlib.contextmanager
def stoppable_tune_run() -> Iterator[None]:
    """While ``Tuner.fit`` runs: the event of its run is kept for ``ask_tune_to_stop``, and a
    stop asked for before the run began is passed on when it begins."""
    from ray.tune import tune

    original = tune._setup_signal_catching

    def keep_event() -> threading.Event:
        event = original()
        _TuneStop.event = event
        if _TuneStop.asked:
            event.set()
        return event

    tune._setup_signal_catching = keep_event
    try:
        yield
    finally:
        tune._setup_signal_catching = original
        _TuneStop.event = None
        _TuneStop.asked = False


@contextlib.contextmanager
def tune_run_without_callback_census() -> Iterator[None]:
    """While ``Tuner.fit`` runs on this process's embedded instance: Tune does not count the
    driver's callbacks for Ray's usage statistics. To count them it imports its MLflow, W&B,
    Comet and Aim integrations, and with them mlflow and wandb themselves: about a second of the
    driver's CPU before the first trial can start, in every sweep, trackers or not. An embedded
    instance runs no dashboard, the process that would send those statistics anywhere."""
    from ray.air._internal import usage

    original = usage.tag_callbacks

    def uncounted(callbacks: Any) -> bool:
        return False  # what Tune's census returns when it records nothing

    usage.tag_callbacks = uncounted
    try:
        yield
    finally:
        usage.tag_callbacks = original


def optuna_study(searcher: Any) -> Any:
    """The Optuna study inside Tune's OptunaSearch (to add finished trials to it)."""
    return searcher._ot_study


def optuna_trial(searcher: Any, trial_id: str) -> Any:
    """The Optuna trial behind one of Tune's OptunaSearch trials, or None."""
    return searcher._ot_trials.get(trial_id)


def told_optuna(searcher: Any, trial_id: str) -> bool:
    """Whether Tune's OptunaSearch has told Optuna how the trial ended."""
    return trial_id in searcher._completed_trials


def mark_told_optuna(searcher: Any, trial_id: str) -> None:
    """Record in Tune's OptunaSearch that the trial's end was told to Optuna directly."""
    searcher._completed_trials.add(trial_id)


def latest_checkpoint_result(metadata_json: str) -> Any:
    """The latest checkpoint result recorded in a trial's run metadata in Tune's saved state."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray.tune.trainable.metadata import _TrainingRunMetadata

    manager = _TrainingRunMetadata.from_json_state(metadata_json).checkpoint_manager
    assert manager is not None  # every Trial makes its checkpoint manager when it is created
    return manager.latest_checkpoint_result


def trial_storage(trial: Any) -> tuple[str, Any]:
    """A trial's folder in the sweep's storage and the pyarrow filesystem it lies on."""
    return trial.storage.trial_fs_path, trial.storage.storage_filesystem


def staging_folder(trial: Any) -> str:
    """The driver's staging folder of a sweep stored at a URI, which Tune uploads."""
    return trial.storage.experiment_driver_staging_path


def json_logger_keeping_the_local_log() -> type:
    """Tune's JSON result logger, except that a resumed trial whose log the driver still holds
    keeps it instead of fetching the older copy in storage (Tune's restore hook)."""

    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray.tune.logger import JsonLoggerCallback

    class JsonLogger(JsonLoggerCallback):
        def _restore_from_remote(self, file_name: str, trial: Any) -> None:
            if Path(trial.local_path, file_name).exists():
                return  # the driver's own log is the newest there is
            super()._restore_from_remote(file_name, trial)

    return JsonLogger
