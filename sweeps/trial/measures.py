"""The built-in metrics every trial logs (their names and meaning: sweeps.sweep_file.objectives).

``TrialMeasures`` belongs to one trial's session, in the process that decides its epochs (the
trial's own, or rank 0 of a data-parallel trial): the training loop shows it the model and one
validation batch, and after each epoch it gives the epoch's wall time, the trainable parameters,
the peak memory since the trial started and, measured once after the first epoch, the median
forward time of one validation sample. ``parameters_before_training`` counts a configuration's
parameters on torch's meta device, so that a constraint on them is judged before anything is
allocated or trained.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sweeps.sweep_file.objectives import EPOCH_TIME, PARAMS, PEAK_MEMORY, PREDICT_LATENCY

LATENCY_WARMUP = 3
LATENCY_REPEATS = 20
MIB = 2**20


def trainable_parameters(model: nn.Module) -> int | None:
    """Trainable parameters; None while some are not materialised yet (lazy modules)."""
    total = 0
    for parameter in model.parameters():
        if isinstance(parameter, nn.parameter.UninitializedParameter):
            return None
        if parameter.requires_grad:
            total += parameter.numel()
    return total


def parameters_before_training(build: Callable[[], nn.Module]) -> int | None:
    """The trainable parameters of the model ``build`` makes, built on the meta device (no memory
    is allocated, no weights are read); built for real when that fails (a module that loads
    weights from a file while it is made)."""
    try:
        with torch.device("meta"):
            return trainable_parameters(build())
    except Exception:  # noqa: BLE001 - any failure on the meta device: try the plain build
        return trainable_parameters(build())


def one_sample(batch: Any) -> Any:
    """The first sample of a batch, kept as a batch of one (tensors sliced, containers kept)."""
    if isinstance(batch, torch.Tensor):
        # A copy: a view of the first row would keep the whole batch's memory alive.
        return batch[:1].detach().clone() if batch.dim() else batch
    if isinstance(batch, (tuple, list)):
        return type(batch)(one_sample(item) for item in batch)
    if isinstance(batch, dict):
        return {key: one_sample(value) for key, value in batch.items()}
    return batch


def model_inputs(sample: Any) -> tuple[Any, ...]:
    """What ``forward`` takes from a (one-sample) batch: a tensor itself, or a pair's inputs."""
    if isinstance(sample, (tuple, list)) and sample:
        return (sample[0],)
    return (sample,)


class TrialMeasures:
    def __init__(self, device: torch.device | None = None):
        self.device = device
        self.model: nn.Module | None = None
        self.inputs: Callable[[Any], tuple[Any, ...]] = model_inputs
        self.sample: Any = None
        self.params: int | None = None
        self.latency_ms: float | None = None
        self.latency_error: str | None = None
        self.started: float | None = None
        _reset_peak_memory(device)

    def watch(
        self, model: nn.Module, inputs: Callable[[Any], tuple[Any, ...]] | None = None
    ) -> None:
        """The trial's model, and how to get its ``forward`` inputs from a one-sample batch."""
        self.model = model
        if inputs is not None:
            self.inputs = inputs

    def keep_sample(self, batch: Any) -> None:
        if self.sample is None:
            self.sample = one_sample(batch)

    def epoch_starting(self) -> None:
        self.started = time.perf_counter()

    def after_epoch(self) -> dict[str, float]:
        """The built-in metrics after an epoch (those that could be measured)."""
        found: dict[str, float] = {}
        if self.started is not None:
            found[EPOCH_TIME] = time.perf_counter() - self.started
        if self.model is not None:
            if self.params is None:
                self.params = trainable_parameters(self.model)
            if self.params is not None:
                found[PARAMS] = float(self.params)
            if self.latency_ms is None and self.latency_error is None:
                self._measure_latency()
        memory = _peak_memory_mib(self.device)
        if memory is not None:
            found[PEAK_MEMORY] = memory
        if self.latency_ms is not None:
            found[PREDICT_LATENCY] = self.latency_ms
        return found

    def why_unmeasured(self, name: str) -> str | None:
        """Why a built-in metric was not measured, where that is known."""
        if name == PREDICT_LATENCY and self.latency_error is not None:
            return self.latency_error
        return None

    def _measure_latency(self) -> None:
        model, sample = self.model, self.sample
        if model is None:
            return
        if sample is None:
            self.latency_error = "no validation batch was seen to time forward on"
            return
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        inputs = tuple(_to(item, device) for item in self.inputs(sample))
        was_training = model.training
        # The trial's random streams are left as they were: measuring must not change what a
        # trial (or a resumed one) draws next.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            try:
                model.eval()
                times = []
                with torch.no_grad():
                    for repeat in range(LATENCY_WARMUP + LATENCY_REPEATS):
                        _synchronise(device)
                        started = time.perf_counter()
                        model(*inputs)
                        _synchronise(device)
                        if repeat >= LATENCY_WARMUP:
                            times.append(time.perf_counter() - started)
                self.latency_ms = statistics.median(times) * 1000.0
            except Exception as error:  # noqa: BLE001 - a forward that does not take the sample
                lines = str(error).strip().splitlines()
                self.latency_error = (
                    f"{type(model).__name__}.forward on one validation sample raised "
                    f"{type(error).__name__}: {lines[0] if lines else ''}"
                )
            finally:
                model.train(was_training)


def _to(item: Any, device: torch.device) -> Any:
    if isinstance(item, torch.Tensor):
        return item.to(device)
    if isinstance(item, (tuple, list)):
        return type(item)(_to(one, device) for one in item)
    if isinstance(item, dict):
        return {key: _to(value, device) for key, value in item.items()}
    return item


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak_memory(device: torch.device | None) -> None:
    if device is not None and device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    # Linux: writing 5 to clear_refs resets this process's peak resident set (VmHWM), so that a
    # trial reusing a worker process measures its own peak, not an earlier trial's.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_memory_mib(device: torch.device | None) -> float | None:
    if device is not None and device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / MIB
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / MIB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not a Unix
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak * 1024 / MIB
