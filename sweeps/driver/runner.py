"""The one runner behind every launcher: SweepDefinition -> Ray Tune Tuner -> results folder -> tables.

    spec = load_sweep("sweeps/digits_asha.yaml")
    outcome = run_sweep(spec, storage="results")            # embedded Ray
    outcome = run_sweep(spec, storage="results", address="auto")  # an existing cluster

Everything a user can get wrong is checked before Ray starts; an existing sweep folder is only
ever continued (``resume=True``), never overwritten.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import importlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sweeps.definition import SweepDefinition
from sweeps.driver import stop_requests
from sweeps.driver.disk_space import check_room
from sweeps.driver.held_out_evaluation import HeldOutEvaluator
from sweeps.driver.storage_check import check_storage_is_shared
from sweeps.errors import SweepError
from sweeps.results.layout import BEST_FILE, PARETO_FILE, SPEC_FILE, STATE_GLOB, TRIALS_FILE
from sweeps.results.storage import Location
from sweeps.results.trial_status import METRIC_MISSING
from sweeps.runtime import ray_control
from sweeps.schedulers import build_scheduler
from sweeps.searchers import build_searcher
from sweeps.stop_reasons import CLUSTER, INTERRUPTED, METRIC_NEVER_LOGGED, SweepStopped
from sweeps.sweep_file.yaml_loading import parse_yaml, read_yaml_file
from sweeps.user_model.code import runtime_env as code_runtime_env

REMOTE_SYNC_PERIOD_S = 30
UNLIMITED_SCHEDULERS = ("hyperband",)  # needs every trial of a bracket started


@dataclass
class SweepOutcome:
    sweep_dir: Path | str  # a local folder, or the sweep's URI
    best: dict[str, Any]
    status_counts: dict[str, int]
    epochs: int
    wall_time_s: float
    front: list[dict[str, Any]] = field(
        default_factory=list
    )  # pareto.json's trials (several objectives)


def sweep_location(spec: SweepDefinition, storage: str | Path) -> Location:
    return Location.parse(storage).child(spec.name)


def sweep_dir_for(spec: SweepDefinition, storage: str | Path) -> Path | str:
    """The sweep's folder: a local path, or its URI."""
    location = sweep_location(spec, storage)
    return str(location) if location.is_remote else location.local()


def check_target(
    spec: SweepDefinition, storage: str | Path, resume: bool, overwrite: bool = False
) -> Location:
    """The sweep folder, after making sure starting or resuming there loses nothing that was not
    asked for: ``overwrite`` allows replacing an earlier sweep, and only a sweep (a folder with
    Tune's state or the sweep file), never a folder of other files that happens to share its name."""
    if resume and overwrite:
        raise SweepError(
            "--resume continues the sweep in its folder and --overwrite deletes it: give one of them"
        )
    location = sweep_location(spec, storage)
    if location.is_remote:
        names = location.names()
        holds_sweep = any(fnmatch.fnmatch(name, STATE_GLOB) for name in names)
        saved = (
            parse_yaml(location.child(SPEC_FILE).read_bytes().decode(), f"{location}/{SPEC_FILE}")
            if resume and SPEC_FILE in names
            else None
        )
        occupied = bool(names)
    else:
        sweep_dir = location.local()
        holds_sweep = sweep_dir.is_dir() and any(sweep_dir.glob(STATE_GLOB))
        saved = (
            read_yaml_file(sweep_dir / SPEC_FILE)
            if resume and (sweep_dir / SPEC_FILE).is_file()
            else None
        )
        if sweep_dir.exists() and not sweep_dir.is_dir():
            raise SweepError(
                f"{location} is a file; the sweep needs a folder there, so pick another name with --name"
            )
        names = sorted(path.name for path in sweep_dir.iterdir()) if sweep_dir.is_dir() else []
        occupied = bool(names)
    if resume:
        if not holds_sweep:
            raise SweepError(
                f"{location} holds no sweep to resume; run without --resume to start it"
            )
        if saved is not None and saved != spec.raw:
            changed = sorted(
                k for k in set(saved) | set(spec.raw) if saved.get(k) != spec.raw.get(k)
            )
            raise SweepError(
                f"differs from the sweep being resumed in {location} (keys: {', '.join(changed)}); "
                f"resume with the same file and --set options, or start a new sweep with --name",
                where=spec.source,
            )
    elif occupied and not overwrite:
        raise SweepError(
            f"{location} already holds a sweep named {spec.name!r}; add --resume to continue it, "
            "--overwrite to replace it, or pick another name with --name"
        )
    elif occupied and not (holds_sweep or SPEC_FILE in names):
        raise SweepError(
            f"{location} holds files that are not a sweep's ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}); "
            "--overwrite only replaces an earlier sweep, so nothing was removed: pick another name with --name"
        )
    return location


def start_ray(
    address: str | None,
    verbose: bool,
    runtime_env: dict[str, Any] | None = None,
    spec: SweepDefinition | None = None,
) -> bool:
    """Start this sweep's own Ray (address None) or join the cluster at ``address``; False when
    this process was already connected. ``runtime_env`` ships the user's project to a cluster's
    nodes (sweeps.user_model.code). Given the ``spec``, an embedded instance's one node (this
    machine) is first checked to host a trial of it, so that a refused sweep starts nothing."""
    if ray_control.is_connected():
        return False
    if address is None:
        ray_control.settle_embedded_authentication()
        warm = None
        if spec is not None:
            machine = ray_control.this_machines_resources()
            check_cluster_resources(spec, [machine])
            warm = warm_trial_processes(spec, machine)
        # Tune and the driver's callbacks are imported while Ray's processes start (the main
        # thread mostly waits on them meanwhile).
        ray_control.start_embedded(
            verbose,
            while_starting=_import_driver_modules,
            api_server=spec is None or spec.resources.workers > 1,
            warm=warm,
        )
        stop_requests.add_cleanup(ray_control.stop_own_processes)
    else:
        how = ray_control.connect(address, verbose, runtime_env)
        print(f"cluster    {address} ({how})", flush=True)
    # Starting Ray's core in this process replaced the SIGTERM handler with its own.
    stop_requests.take_back_signals()
    return True


# What every trial process imports before its first epoch, besides the model's libraries.
TRIAL_MODULES = ("ray.tune", "sweeps.trial.trainable")


def warm_trial_processes(
    spec: SweepDefinition, machine: dict[str, float]
) -> ray_control.WarmWorkers | None:
    """The trials' processes of an embedded instance, started with it and importing what a trial
    imports (torch, Lightning, Tune: seconds of CPU each) while the driver starts Tune, where a
    core is otherwise idle. Ray starts one per CPU, so only where each CPU is a trial's: a
    trial of one CPU in one process, and trials enough to fill every CPU at once."""
    cpus = int(machine.get("CPU", 0))
    resources = spec.resources
    if cpus < 1 or resources.cpu != 1 or resources.gpu or resources.workers > 1:
        return None
    if (spec.trials.max_concurrent or cpus) < cpus or spec.trial_count < cpus:
        return None
    return ray_control.WarmWorkers(cpus, (*TRIAL_MODULES, *spec.model.trial_libraries()))


def _import_driver_modules() -> None:

    for name in (
        "ray.tune",
        "sweeps.driver.progress",
        "sweeps.driver.tensorboard_logging",
        "sweeps.driver.result_log",
        "sweeps.driver.resume_repair",
        "sweeps.driver.disk_guard",
        "sweeps.driver.metric_check",
        "sweeps.driver.output_tables",
    ):
        importlib.import_module(name)


def _alive_node_resources() -> list[dict[str, float]]:
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    return [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]


def worker_slots(spec: SweepDefinition, nodes: list[dict[str, float]]) -> int:
    """How many processes with a trial's (or one DDP worker's) CPUs and GPUs the nodes can hold."""
    cpu, gpu = spec.resources.cpu, spec.resources.gpu
    slots = 0
    for node in nodes:
        fits = int(node.get("CPU", 0) // cpu)
        if gpu > 0:
            fits = min(fits, int(node.get("GPU", 0) // gpu))
        slots += fits
    return slots


def check_cluster_resources(spec: SweepDefinition, nodes: list[dict[str, float]]) -> None:
    """Fail fast, instead of trials pending forever, when the ``nodes`` (each one's resources)
    cannot host one trial."""
    cpu, gpu, workers = spec.resources.cpu, spec.resources.gpu, spec.resources.workers
    each = "per trial" if workers == 1 else "per worker"
    if not any(node.get("CPU", 0) >= cpu for node in nodes):
        most = max((node.get("CPU", 0) for node in nodes), default=0)
        raise SweepError(
            f"asks for {cpu:g} CPUs {each} but the largest node has {most:g}",
            path="resources.cpu",
            where=spec.source,
        )
    if gpu > 0 and not any(node.get("GPU", 0) >= gpu for node in nodes):
        most = max((node.get("GPU", 0) for node in nodes), default=0)
        raise SweepError(
            f"asks for {gpu:g} GPUs {each} but the largest node has {most:g}",
            path="resources.gpu",
            where=spec.source,
        )
    slots = worker_slots(spec, nodes)
    if workers > slots:
        wanted = f"{cpu:g} CPU" + (f" and {gpu:g} GPU" if gpu else "")
        raise SweepError(
            f"asks for {workers} data-parallel workers per trial ({wanted} each) but the cluster can place only {slots}",
            path="resources.workers",
            where=spec.source,
        )


def with_distributed_concurrency(spec: SweepDefinition) -> SweepDefinition:
    """A data-parallel trial's driver holds no CPU (its workers hold the trial's resources), so
    Tune alone would start every trial at once, each waiting for its workers. Unless the sweep
    says otherwise, run as many trials as the cluster can place all the workers of. HyperBand
    needs its whole bracket started and is left as it is."""
    if (
        spec.resources.workers == 1
        or spec.trials.max_concurrent is not None
        or spec.scheduler_name in UNLIMITED_SCHEDULERS
    ):
        return spec
    trials_at_once = max(1, worker_slots(spec, _alive_node_resources()) // spec.resources.workers)
    return dataclasses.replace(
        spec, trials=spec.trials.model_copy(update={"max_concurrent": trials_at_once})
    )


def _vanished_temporary_file(record: logging.LogRecord) -> bool:
    """False (drop the record) for Tune's error about a state file that vanished while its copy
    to storage ran: a searcher's temporary file, renamed into place meanwhile. The next copy
    carries the renamed file, so nothing is lost; any other failure to save is still shown."""
    error = record.exc_info[1] if record.exc_info else None
    return not (isinstance(error, FileNotFoundError) and "-tmp-" in str(error))


def _not_tunes_stop_notice(record: logging.LogRecord) -> bool:
    """False for Tune's notices of a stop, which tell how to resume with Tune's Python API (the
    launcher says in its own line how to continue the sweep), and for its list of the trials that
    failed (the launcher said so when each failed, and counts them at the end)."""
    return not record.getMessage().startswith(
        ("Stop signal received", "Experiment has been interrupted", "Trials did not complete")
    )


def _not_a_trial_traceback(record: logging.LogRecord) -> bool:
    """False for Tune's log of a failed trial's traceback: the trial's error.txt holds it, and
    the progress table says in one line what failed and where that file is."""
    return not record.getMessage().startswith(ray_control.TRIAL_FAILED_PREFIX)


def build_trainable(spec: SweepDefinition, folder: str = "") -> Any:
    """Tune's trainable of the sweep whose results are in ``folder`` (a path or URI)."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray import tune

    from sweeps.trial.entry import train_trial

    resources: dict[str, float]
    if spec.resources.workers > 1:
        from sweeps.trial.distributed import DRIVER_MEMORY_BYTES

        # The trial's function only drives its Ray Train workers, which reserve the CPUs and GPUs.
        resources = {"cpu": 0, "gpu": 0, "memory": DRIVER_MEMORY_BYTES}
    else:
        resources = {"cpu": spec.resources.cpu, "gpu": spec.resources.gpu}
    return tune.with_resources(
        tune.with_parameters(train_trial, plan=spec.trial_plan(folder)), resources
    )


def build_tuner(spec: SweepDefinition, location: Location, progress_interval_s: float) -> Any:
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray import tune
    from ray.tune import Callback

    from sweeps.driver.progress import ProgressTable
    from sweeps.driver.result_log import ResultLog
    from sweeps.driver.resume_repair import StateBackup
    from sweeps.driver.tensorboard_logging import TensorBoardCallback

    search_alg, param_space = build_searcher(
        spec.searcher_name, spec.searcher, spec.search_problem()
    )
    scheduler = build_scheduler(spec.scheduler_name, spec.scheduler, spec.schedule_problem())
    searched = list(spec.space)
    callbacks: list[Callback] = [
        # Tune's own result log (what the tables are built from); its TensorBoard logger is
        # left out because TensorBoardCallback writes one run per trial with HParams data.
        ResultLog(upload_on_checkpoint=location.is_remote),
        # With a URI, TensorBoard data goes to Tune's staging folder, which Tune uploads.
        TensorBoardCallback(
            None if location.is_remote else str(location),
            dict(zip(spec.metrics, spec.modes, strict=True)),
            spec.logged_metrics,
            searched,
        ),
        ProgressTable(
            spec.metric,
            spec.mode,
            spec.stop.max_epochs,
            spec.trial_count,
            searched,
            progress_interval_s,
            max_retries=spec.failure.max_retries,
            others=tuple((o.metric, o.mode) for o in spec.objectives[1:]),
        ),
    ]
    if not location.is_remote:
        from sweeps.driver.disk_guard import DiskGuard

        # Object stores replace whole objects, so only a local folder can hold half-written state.
        callbacks.append(StateBackup(str(location)))
        callbacks.append(DiskGuard(str(location)))
    if spec.loggers.chosen:
        from sweeps.trackers.callback import TrackerCallback
        from sweeps.trackers.tracker import SweepRun

        callbacks.append(
            TrackerCallback(
                spec.loggers,
                SweepRun(
                    spec.name,
                    str(location),
                    tracker_params(spec),
                    yaml.safe_dump(spec.raw, sort_keys=False),
                ),
                spec.stop.max_epochs,
                dict(zip(spec.metrics, spec.modes, strict=True)),
                searched,
            )
        )
    from sweeps.driver.metric_check import MetricCheck

    stopper: Any = MetricCheck()
    if (
        spec.stop.target is not None
        or spec.stop.plateau_trials is not None
        or spec.stop.epoch_budget is not None
    ):
        from ray.tune.stopper import CombinedStopper

        from sweeps.driver.stop_rules import SweepStopRules

        stop_rules = SweepStopRules(
            spec.metric,
            spec.mode,
            spec.stop.target,
            spec.stop.plateau_trials,
            spec.stop.plateau_min_delta,
            spec.stop.epoch_budget,
        )
        callbacks.append(stop_rules)  # it counts trial ends as well as judging results
        stopper = CombinedStopper(stopper, stop_rules)
    return tune.Tuner(
        build_trainable(spec, str(location)),
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=spec.metric,
            mode=spec.mode,
            search_alg=search_alg,
            scheduler=scheduler,
            num_samples=spec.trials.num_samples,
            time_budget_s=spec.stop.time_budget_s,
            # Many short trials: keep worker processes (and their loaded data) between trials.
            reuse_actors=True,
            trial_dirname_creator=lambda trial: trial.trial_id,
        ),
        run_config=tune.RunConfig(
            name=spec.name,
            stop=stopper,
            storage_path=str(location).rsplit("/", 1)[0],
            # With a URI, the driver's files (state, result logs, TensorBoard) are uploaded this
            # often, so TensorBoard reading the bucket stays close to live.
            sync_config=tune.SyncConfig(sync_period=REMOTE_SYNC_PERIOD_S)
            if location.is_remote
            else None,
            checkpoint_config=tune.CheckpointConfig(
                num_to_keep=spec.checkpoint.keep,
                checkpoint_score_attribute=spec.metric,
                checkpoint_score_order=spec.mode,
            ),
            failure_config=tune.FailureConfig(max_failures=spec.failure.max_retries),
            callbacks=callbacks,
            verbose=0,
        ),
    )


def tracker_params(spec: SweepDefinition) -> dict[str, Any]:
    """How the sweep searches, as its parent run in a tracker shows it."""
    return {
        "model": spec.model.short_name,
        "objectives": ", ".join(f"{o.metric} ({o.mode})" for o in spec.objectives),
        "searcher": spec.searcher_name,
        "scheduler": spec.scheduler_name,
        "num_samples": spec.trials.num_samples,
        "trials": spec.trial_count,
        "max_epochs": spec.stop.max_epochs,
        "searched": ", ".join(spec.space),
        "seed": spec.seed,
    }


def run_sweep(
    spec: SweepDefinition,
    storage: str | Path = "results",
    *,
    resume: bool = False,
    address: str | None = None,
    verbose: bool = False,
    progress_interval_s: float = 10.0,
    overwrite: bool = False,
    evaluator: HeldOutEvaluator | None = None,
) -> SweepOutcome:
    """``evaluator``: a started test-evaluation helper that the caller keeps (and closes) across
    several sweeps of shipped families in one process; by default each sweep starts its own."""
    location = check_target(spec, storage, resume, overwrite)
    if not location.is_remote:
        check_room(location.local())
    for name, value in ray_control.TUNE_SETTINGS.items():
        os.environ.setdefault(name, value)
    started = time.monotonic()
    stop_requests.reset()
    stop_requests.set_resume_hint("continue with --resume" if resume else "nothing was started")
    # A shipped family's test evaluation has a helper that imports torch while Ray starts
    # (mostly waiting on its processes), so that it answers at once when the sweep is over; a
    # user's module is evaluated in this process (sweeps.definition.model_kinds).
    own_evaluator = evaluator is None
    if evaluator is None:
        evaluator = HeldOutEvaluator()
        preload = spec.model.evaluator_modules()
        if preload is not None:
            evaluator.start(preload)
    try:
        return _run(
            spec,
            storage,
            location,
            evaluator,
            started,
            resume=resume,
            address=address,
            verbose=verbose,
            progress_interval_s=progress_interval_s,
            overwrite=overwrite,
        )
    finally:
        if own_evaluator:
            evaluator.close()  # its teardown is not waited for


def _run(
    spec: SweepDefinition,
    storage: str | Path,
    location: Location,
    evaluator: HeldOutEvaluator,
    started: float,
    *,
    resume: bool,
    address: str | None,
    verbose: bool,
    progress_interval_s: float,
    overwrite: bool,
) -> SweepOutcome:
    runtime_env = None
    if address is not None and (spec.model.is_users_own or spec.code is not None):
        try:
            runtime_env = code_runtime_env(spec.code)  # checked (size included) before Ray starts
        except SweepError as error:
            raise error.located(spec.source) from None
    started_here = start_ray(address, verbose, runtime_env, spec)
    embedded = started_here and address is None
    watch = None
    if started_here and not ray_control.is_client_address(
        address
    ):  # a Ray Client driver has no GCS to ask
        watch = ray_control.ClusterWatch(
            ray_control.gcs_address(), _cluster_lost(address, location)
        ).start()
    try:
        return _sweep(
            spec,
            storage,
            location,
            evaluator,
            started,
            embedded,
            resume=resume,
            address=address,
            progress_interval_s=progress_interval_s,
            overwrite=overwrite,
        )
    finally:
        if watch is not None:
            watch.stop()


def _cluster_lost(address: str | None, location: Location) -> Any:
    def on_lost(gcs: str) -> None:
        what = (
            f"the Ray cluster at {address}"
            if address
            else f"this sweep's own Ray instance (its GCS at {gcs})"
        )
        stop_requests.request(
            CLUSTER,
            f"lost {what}: it has not answered for {ray_control.LOST_AFTER_S:g} s; the sweep stopped with its state "
            f"as last saved in {location}: continue with --resume"
            + (" once the cluster is back" if address else ""),
        )

    return on_lost


def _finish_trackers(outputs: Path, best: dict[str, Any]) -> None:
    """The sweep's outcome to its trackers' runs: each trial's row, the best trial, the files."""
    from sweeps.trackers.callback import TrackerCallback

    trackers = TrackerCallback.active
    if trackers is None:
        return
    import pyarrow.parquet as pq

    rows = pq.read_table(outputs / TRIALS_FILE).to_pylist()
    trackers.sweep_finished(rows, best, [outputs / BEST_FILE, outputs / TRIALS_FILE])
    _close_trackers(interrupted=False)


def _close_trackers(interrupted: bool) -> None:
    """Wait for the trackers (a minute at most), then say what they could not log."""
    if "sweeps.trackers.callback" not in sys.modules:
        return  # no tracker in this sweep
    from sweeps.trackers.callback import TrackerCallback

    trackers = TrackerCallback.active
    if trackers is None:
        return
    for line in trackers.close(interrupted=interrupted):
        print(f"warning: {line}", file=sys.stderr, flush=True)


def _sweep(
    spec: SweepDefinition,
    storage: str | Path,
    location: Location,
    evaluator: HeldOutEvaluator,
    started: float,
    embedded: bool,
    *,
    resume: bool,
    address: str | None,
    progress_interval_s: float,
    overwrite: bool,
) -> SweepOutcome:
    if not embedded:
        check_cluster_resources(spec, _alive_node_resources())
    spec = with_distributed_concurrency(spec)
    if address is not None:
        check_storage_is_shared(Location.parse(storage))

    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray import tune

    spec_text = yaml.safe_dump(spec.raw, sort_keys=False).encode()
    if overwrite and location.exists():
        # Only now, with every check passed and Ray up: a refused sweep leaves the old one intact.
        location.remove_folder()
        print(f"overwrite: removed the earlier sweep in {location}", flush=True)
    if resume:
        from sweeps.driver.resume_repair import repair_missing_checkpoints, restore_damaged_state

        # Only a local folder can hold a half-written state file (object stores replace whole
        # objects); checkpoints deleted after the last snapshot happen everywhere.
        notes = [] if location.is_remote else restore_damaged_state(location.local())
        for note in notes + repair_missing_checkpoints(location):
            print(f"resume: {note}", flush=True)
        tuner = tune.Tuner.restore(
            str(location), trainable=build_trainable(spec, str(location)), resume_unfinished=True
        )
    else:
        if location.is_remote:
            location.child(SPEC_FILE).write_bytes(spec_text)
        else:
            from sweeps.results.storage import write_atomically

            location.local().mkdir(parents=True, exist_ok=True)
            write_atomically(location.local() / SPEC_FILE, spec_text)
        if spec.warm_start:
            print(f"warm start: {spec.warm_start.summary()}", flush=True)
        tuner = build_tuner(spec, location, progress_interval_s)
    stop_requests.set_resume_hint(
        f"the sweep's state is saved in {location}; continue with --resume"
    )
    # Trials a stop rule or the time budget ended before they started have no results; the
    # tables list them as not_started, so Tune's warning about each would only repeat that.
    logging.getLogger(ray_control.TUNE_ANALYSIS_LOGGER).setLevel(logging.ERROR)
    logging.getLogger(ray_control.TUNE_STATE_LOGGER).addFilter(_vanished_temporary_file)
    logging.getLogger(ray_control.TUNE_RUN_LOGGER).addFilter(_not_tunes_stop_notice)
    logging.getLogger(ray_control.TUNE_CONTROLLER_LOGGER).addFilter(_not_a_trial_traceback)
    ray_stopping = None
    finished = False
    try:
        with (
            ray_control.stoppable_tune_run(),
            stop_requests.tune_run(),
            ray_control.trial_actors_inheriting_environment(),
            ray_control.tune_run_without_callback_census()
            if embedded
            else contextlib.nullcontext(),
        ):
            result_grid = tuner.fit()
        stopped = stop_requests.requested()
        if stopped is not None and stopped.reason is CLUSTER:
            raise ray_control.ClusterError(stopped.message)
        if stopped is not None and stopped.reason is INTERRUPTED:
            raise KeyboardInterrupt
        if stopped is not None:
            raise SweepStopped(stopped.reason, stopped.message)
        if embedded:
            # Every result is in: the embedded Ray stops while the tables are written and the
            # best checkpoint evaluated.
            ray_stopping = threading.Thread(target=ray_control.shutdown, daemon=True)
            ray_stopping.start()

        from sweeps.driver.output_tables import records_from_results, write_outputs

        records = records_from_results(result_grid, spec, location)
        missing = next(
            (record.error for record in records if record.status == METRIC_MISSING), None
        )
        if location.is_remote:
            with tempfile.TemporaryDirectory(prefix="sweep-outputs-") as outputs:
                best = write_outputs(
                    records, spec, Path(outputs), test_metrics=evaluator.test_metrics
                )
                front = json.loads((Path(outputs) / PARETO_FILE).read_text())["trials"]
                location.upload(Path(outputs))
                _finish_trackers(Path(outputs), best)  # before the files go
        else:
            best = write_outputs(
                records, spec, location.local(), test_metrics=evaluator.test_metrics
            )
            front = json.loads((location.local() / PARETO_FILE).read_text())["trials"]
            _finish_trackers(location.local(), best)
        finished = True
    finally:
        if ray_stopping is not None:
            ray_stopping.join()
        _close_trackers(interrupted=not finished)
    if missing is not None:
        mistake = SweepError(
            f"{missing} (fix metric:, then start again with --overwrite)",
            where=spec.source,
            path="metric",
        )
        raise SweepStopped(METRIC_NEVER_LOGGED, str(mistake))
    counts: dict[str, int] = {}
    for record in records:
        counts[record.status] = counts.get(record.status, 0) + 1
    epochs = sum(int(record.history[-1]["epoch"]) for record in records if record.history)
    sweep_dir = str(location) if location.is_remote else location.local()
    return SweepOutcome(
        sweep_dir,
        best,
        counts,
        epochs,
        time.monotonic() - started,
        front if spec.several_objectives else [],
    )
