"""One trial trained data-parallel (``resources.workers`` > 1): Ray Train's ``TorchTrainer`` runs
the trial's Lightning Trainer on every worker, with the same callback as a one-process trial
(sweeps/trial/trainer_loop.py) and Lightning's DDP strategy over the process group Ray Train set up
(gloo on CPU, NCCL on GPU).

Rank 0 holds the trial's session: it decides after each epoch (every rank gets the decision) and
its reports, with the checkpoint files it wrote, travel through a channel (sweeps.trial.channels)
to the trial's own process, which passes them on to Tune. That process keeps the trial's watchdog,
and when Tune stops the trial (a scheduler's decision) it tells rank 0 through a second channel,
which ends the training at the next epoch's end. A checkpoint given by Tune (a retry, a resumed sweep,
a PBT exploit) is sent to every worker, whose Trainer resumes from it.

Ray Train's own retries are off: a failed worker fails the trial, and Tune restarts it from its
last checkpoint (``failure.max_retries``), on whichever nodes are left. Each worker watches its
own epochs (sweeps.trial.stall_watch): a rank that finishes no epoch within the bound sends its
stacks to the trial's process through a third channel and ends itself, which ends the whole group
(Ray Train stops the workers of a run that lost one); the trial then fails with ``TrialStalled``.
A rank that dies ends the group the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sweeps.definition.trial_plan import TrialPlan
from sweeps.errors import first_line
from sweeps.trial import channels
from sweeps.trial.channels import Empty, Full
from sweeps.trial.session import TrialReports, TrialSession
from sweeps.trial.stall_watch import Stall, StallWatch, stalled_error

if TYPE_CHECKING:  # the Trainer's module loads Lightning, which only the workers need
    from sweeps.user_model.trainer_run import TrialIdentity

DRIVER_MEMORY_BYTES = (
    256 * 1024**2
)  # what a distributed trial's own process reserves instead of a CPU
_WAIT_S = 1.0
_STOP_WAIT_S = 120.0
_STALL_SEND_S = 5.0  # a stalled rank's wait for its stall to reach the trial's process
_STALL_GATHER_S = 3.0  # the trial's process's wait for other ranks' stalls after the first
STALLED_EXIT_STATUS = 75  # a stalled rank's own end


def worker_loop(arguments: dict[str, Any]) -> None:
    """Each Ray Train worker: the trial's Trainer under DDP; rank 0 decides and reports."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    import ray
    import ray.train
    import torch

    from sweeps.trial.parts import prepare_process, trainer_run, uses_gpu
    from sweeps.trial.trainer_loop import EpochEnd, fit

    plan: TrialPlan = arguments["plan"]
    config: dict[str, Any] = arguments["config"]
    relay, stop = arguments["relay"], arguments["stop"]
    rank = ray.train.get_context().get_world_rank()
    prepare_process(plan, rank)
    restored = _write_files(
        arguments["checkpoint_files"], tempfile.mkdtemp(prefix="sweep-restore-")
    )
    watch = StallWatch(plan.stall_s, rank, on_stall=_stall_reporter(arguments["stalls"]))
    watch.start()
    try:
        session = None
        if rank == 0:
            node_id = ray.get_runtime_context().get_node_id()
            reports = TrialReports(plan, node_id, send=_relay_sender(relay, stop))
            session = TrialSession(
                plan,
                reports,
                restored,
                arguments["faults"],
                plan.model.patience_of(config),
                watch,
                measures_device=torch.device("cuda") if uses_gpu(plan) else None,
            )
        run, fields = trainer_run(plan, config, arguments.get("identity"))
        end = EpochEnd(
            session,
            fields,
            stop_requested=lambda: not stop.empty(),
            check_first_validation=False,
            watch=watch,
            rank_faults=arguments["faults"],
        )
        fit(run, end, plan.max_epochs, uses_gpu(plan), restored, distributed=True)
    finally:
        watch.close()
        if restored is not None:
            shutil.rmtree(restored, ignore_errors=True)


def _stall_reporter(stalls: Any) -> Any:
    """What a stalled rank does: send its stall to the trial's process, then end itself (its
    stuck thread cannot be stopped), which ends the whole group."""

    def report(stall: Stall) -> None:
        try:
            stalls.put(stall, timeout=_STALL_SEND_S)
        finally:
            os._exit(STALLED_EXIT_STATUS)

    return report


def _relay_sender(relay: Any, stop: Any) -> Any:
    """Rank 0's way of reporting: put the result and its checkpoint's files into the relay, and
    give up once the trial's process has asked it to stop (nobody reads the relay then)."""

    def send(result: dict[str, Any], folder: Path | None, last: bool) -> None:
        item = (result, _read_files(folder) if folder is not None else None, last)
        while True:
            try:
                relay.put(item, timeout=_WAIT_S)
                return
            except Full:
                if not stop.empty():
                    return

    return send


def train_distributed(
    plan: TrialPlan,
    config: dict[str, Any],
    restored: Path | None,
    reports: TrialReports,
    trial_name: str,
    faults: frozenset[str],
    identity: TrialIdentity | None = None,
) -> None:
    """The trial's own process: start the workers, pass rank 0's reports on to Tune, stop the
    workers when the trial ends (its last epoch, a scheduler's stop, a failure)."""
    # Imported here: Ray loads only when a sweep runs, after authentication is settled.
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    actor, opened = channels.open_channels(relay=1, stop=0, stalls=0)
    relay, stop, stalls = opened["relay"], opened["stop"], opened["stalls"]
    storage = Path(tempfile.mkdtemp(prefix="sweep-train-run-"))
    use_gpu = plan.gpus > 0
    trainer = TorchTrainer(
        worker_loop,
        train_loop_config={
            "plan": plan,
            "config": config,
            "relay": relay,
            "stop": stop,
            "stalls": stalls,
            "faults": faults,
            "identity": identity,
            "checkpoint_files": _read_files(restored) if restored is not None else None,
        },
        scaling_config=ScalingConfig(
            num_workers=plan.workers,
            use_gpu=use_gpu,
            resources_per_worker={"CPU": plan.cpus, "GPU": plan.gpus}
            if use_gpu
            else {"CPU": plan.cpus},
        ),
        torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
        run_config=RunConfig(
            name=f"{trial_name}-{time.time_ns()}",
            storage_path=str(storage),
            # Tune retries the trial from its own checkpoints; a Train-level restart would
            # begin again at epoch 1 inside the same trial.
            # ray.train binds Train v2's FailureConfig (which has max_preemption_failures) when v2
            # is on, as it is by default; a type checker sees the first binding, Train v1's.
            failure_config=FailureConfig(  # type: ignore[call-arg]
                max_failures=0, max_preemption_failures=0
            ),
        ),
    )
    failure: list[BaseException] = []
    run = threading.Thread(
        target=_fit, args=(trainer, failure), name="trial-train-run", daemon=True
    )
    run.start()
    try:
        while not reports.ended:
            if not stalls.empty():
                raise stalled_error(_gathered(stalls))
            try:
                result, files, last = relay.get(timeout=_WAIT_S)
            except Empty:
                if run.is_alive():
                    continue
                if relay.empty():
                    break
                continue  # rank 0's last words arrived as its run ended
            if last:
                # Let the workers wind down before the last report: once Tune has it, it may
                # hand this process the next trial.
                run.join(_STOP_WAIT_S)
            folder = (
                _write_files(files, tempfile.mkdtemp(prefix="sweep-checkpoint-"))
                if files is not None
                else None
            )
            try:
                reports.forward(result, folder, last)
            finally:
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
        run.join(_STOP_WAIT_S if reports.ended else 0)
        if failure:
            # A stalled rank ended itself just after sending its stall, which failed the run.
            stalled = _gathered(stalls, first_wait_s=_STALL_SEND_S)
            if stalled:
                raise stalled_error(stalled)
            raise RuntimeError(f"data-parallel training failed: {_worker_error(failure[0])}")
    finally:
        if run.is_alive():
            stop.put(True)  # a scheduler's stop, the watchdog or an error here: rank 0 ends the run
            run.join(_STOP_WAIT_S)
        channels.close(actor)
        shutil.rmtree(storage, ignore_errors=True)


def _gathered(stalls: Any, first_wait_s: float = 0.0) -> list[Stall]:
    """Every stall sent so far, and those the other stalled ranks send within a few seconds (a
    hung rank leaves its peers waiting on it, so they stall at about the same time)."""
    found: list[Stall] = []
    wait = first_wait_s
    while True:
        try:
            found.append(stalls.get(timeout=wait) if wait else stalls.get_nowait())
        except Empty:
            return found
        wait = _STALL_GATHER_S


def _fit(trainer: Any, failure: list[BaseException]) -> None:
    try:
        trainer.fit()
    except BaseException as error:  # raised in the trial's thread
        failure.append(error)


def _worker_error(error: BaseException) -> str:
    """The first line of what went wrong on a worker, without Ray Train's wrapping."""
    for line in str(error).splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(
            ("Traceback", "File ", "ray.", "Training failed", "The Ray Train run")
        ):
            if "Error" in stripped or "error" in stripped:
                return stripped
    return first_line(error)


def _read_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _write_files(files: dict[str, bytes] | None, folder: str) -> Path | None:
    if files is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    path = Path(folder)
    for name, content in files.items():
        (path / name).write_bytes(content)
    return path
