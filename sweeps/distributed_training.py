"""One trial trained data-parallel: a Ray Train ``TorchTrainer`` whose workers run Lightning with
Ray's DDP strategy, driven an epoch at a time by the trial (``resources.workers`` > 1).

The trial's Tune function stays the driver: it decides after each epoch whether to go on, save a
checkpoint or stop, exactly as for a trial trained in its own process, so reporting,
checkpointing, early stopping and every scheduler (ASHA stops, PBT exploits, HyperBand pauses)
work unchanged. The workers obey through a small ``TrialLink`` actor: every rank gets each order;
rank 0 alone answers with the epoch's metrics (already summed over the ranks by the model) and
writes the checkpoint, whose files travel back to the driver, which reports them to Tune. A
checkpoint given by Tune (a retry, a resumed sweep, a PBT exploit) is sent to every worker.

Ray Train's own retries are off: a failed worker fails the trial, and Tune restarts it from its
last checkpoint (``failure.max_retries``), on whichever nodes are left.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import ray

from sweeps.errors import first_line
from sweeps.fold_training import EpochResult
from sweeps.trial_config import TrialPlan

EPOCH, SAVE, STOP = "epoch", "save", "stop"
DRIVER_MEMORY_BYTES = 256 * 1024**2  # what a distributed trial's driver reserves instead of a CPU
_POLL_S = 1.0
_STOP_WAIT_S = 120.0


@ray.remote(num_cpus=0)
class TrialLink:
    """Orders from the trial to each rank, and rank 0's answers back."""

    def __init__(self, ranks: int):
        self._orders: list[asyncio.Queue] = [asyncio.Queue() for _ in range(ranks)]
        self._answers: asyncio.Queue = asyncio.Queue()

    async def order(self, order: str) -> None:
        for queue in self._orders:
            queue.put_nowait(order)

    async def next_order(self, rank: int) -> str:
        return await self._orders[rank].get()

    async def answer(self, answer: tuple[str, Any]) -> None:
        self._answers.put_nowait(answer)

    async def next_answer(self, timeout_s: float) -> tuple[str, Any] | None:
        try:
            return await asyncio.wait_for(self._answers.get(), timeout_s)
        except asyncio.TimeoutError:
            return None


def worker_loop(arguments: dict[str, Any]) -> None:
    """Each Ray Train worker: build the trial's folds with the DDP strategy and obey the trial."""
    import ray.train

    from sweeps.trainable import build_folds, prepare_process

    plan: TrialPlan = arguments["plan"]
    link = arguments["link"]
    rank = ray.train.get_context().get_world_rank()
    prepare_process(plan, rank)
    restored = _write_files(arguments["checkpoint_files"], "sweep-restore-")
    group = None
    try:
        group = build_folds(plan, arguments["config"], restored, distributed=True)
        while True:
            order = ray.get(link.next_order.remote(rank))
            if order == EPOCH:
                results = group.next_epoch()
                if rank == 0:
                    ray.get(link.answer.remote((EPOCH, results)))
            elif order == SAVE:
                folder = Path(tempfile.mkdtemp(prefix="sweep-checkpoint-"))
                try:
                    group.save(folder)  # every rank takes part; rank 0 writes
                    if rank == 0:
                        ray.get(link.answer.remote((SAVE, _read_files(folder))))
                finally:
                    shutil.rmtree(folder, ignore_errors=True)
            else:
                return
    finally:
        if group is not None:
            group.close()
        if restored is not None:
            shutil.rmtree(restored, ignore_errors=True)


class DistributedTraining:
    """The driver's side: the same ``next_epoch`` / ``save`` / ``close`` as a ``FoldGroup``."""

    def __init__(self, plan: TrialPlan, config: dict[str, Any], restored: Path | None, trial_name: str):
        from ray.train import FailureConfig, RunConfig, ScalingConfig
        from ray.train.torch import TorchConfig, TorchTrainer

        self.link = TrialLink.remote(plan.workers)
        self._storage = Path(tempfile.mkdtemp(prefix="sweep-train-run-"))
        use_gpu = plan.gpus > 0
        self._trainer = TorchTrainer(
            worker_loop,
            train_loop_config={
                "plan": plan,
                "config": config,
                "link": self.link,
                "checkpoint_files": _read_files(restored) if restored is not None else None,
            },
            scaling_config=ScalingConfig(
                num_workers=plan.workers,
                use_gpu=use_gpu,
                resources_per_worker={"CPU": plan.cpus, "GPU": plan.gpus} if use_gpu else {"CPU": plan.cpus},
            ),
            torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
            run_config=RunConfig(
                name=f"{trial_name}-{time.time_ns()}",
                storage_path=str(self._storage),
                # Tune retries the trial from its own checkpoints; a Train-level restart would
                # begin again at epoch 1 inside the same trial.
                failure_config=FailureConfig(max_failures=0, max_preemption_failures=0),
            ),
        )
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._fit, name="trial-train-run", daemon=True)
        self._thread.start()
        self._stopped = False

    def _fit(self) -> None:
        try:
            self._trainer.fit()
        except BaseException as error:  # raised to the trial by _answer
            self._error = error

    def _answer(self, expected: str) -> Any:
        while True:
            answer = ray.get(self.link.next_answer.remote(_POLL_S))
            if answer is not None:
                kind, payload = answer
                if kind != expected:
                    raise RuntimeError(f"the trial's workers answered {kind!r} to {expected!r}")
                return payload
            if not self._thread.is_alive():
                raise RuntimeError(f"data-parallel training failed: {_worker_error(self._error)}")

    def next_epoch(self) -> list[EpochResult] | None:
        self.link.order.remote(EPOCH)
        return self._answer(EPOCH)

    def save(self, folder: Path) -> None:
        self.link.order.remote(SAVE)
        _write_files(self._answer(SAVE), folder=folder)

    def close(self) -> None:
        """Stop the workers (their ``fit`` returns) and wait for the Train run to end."""
        if not self._stopped:
            self._stopped = True
            try:
                self.link.order.remote(STOP)
            except Exception:
                pass  # the link is gone with its node; the Train run ends on its own
            self._thread.join(_STOP_WAIT_S)
        try:
            ray.kill(self.link)
        except Exception:
            pass  # already gone with its node
        shutil.rmtree(self._storage, ignore_errors=True)


def _worker_error(error: BaseException | None) -> str:
    """The first line of what went wrong on a worker, without Ray Train's wrapping."""
    if error is None:
        return "the workers stopped without a result"
    text = str(error)
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("Traceback", "File ", "ray.", "Training failed", "The Ray Train run")):
            if "Error" in stripped or "error" in stripped:
                return stripped
    return first_line(error)


def _read_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _write_files(files: dict[str, bytes] | None, prefix: str = "", folder: Path | None = None) -> Path | None:
    if files is None:
        return None
    folder = folder or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder
