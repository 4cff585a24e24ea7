"""The progress table's line for a failed trial: one line, naming the trial, the last line of its
own exception (not the Ray error that carried it), what happens next and where the traceback is."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from ray import cloudpickle
from ray.exceptions import RayTaskError

from sweeps.driver.progress import ProgressTable


@dataclass
class FailedTrial:
    trial_id: str
    path: str
    pickled_error_file: str | None
    num_failures: int = 1
    checkpoint: object | None = None
    last_result: dict = field(default_factory=dict)


def table(stream: io.StringIO) -> ProgressTable:
    return ProgressTable("val/acc", "max", 3, 4, [], stream=stream, max_retries=1)


def test_a_failed_trial_is_one_line_with_its_own_exception(tmp_path):
    cause = RuntimeError("CUDA error: device-side assert triggered\nmore detail")
    error = RayTaskError("train", "Traceback (most recent call last): ...", cause)
    file = tmp_path / "error.pkl"
    file.write_bytes(cloudpickle.dumps(error))
    trial = FailedTrial("a_00001", "/sweeps/s/a_00001", str(file), last_result={"epoch": 2})
    out = io.StringIO()

    table(out).on_trial_recover(0, [], trial)
    trial.checkpoint = object()
    table(out).on_trial_recover(0, [], trial)
    table(out).on_trial_error(0, [], trial)

    assert out.getvalue().splitlines() == [
        "failed     trial a_00001 after epoch 2: RuntimeError: CUDA error: device-side assert "
        "triggered (retry 1 of 1, from the start; traceback in /sweeps/s/a_00001/error.txt)",
        "failed     trial a_00001 after epoch 2: RuntimeError: CUDA error: device-side assert "
        "triggered (retry 1 of 1, from its last checkpoint; traceback in "
        "/sweeps/s/a_00001/error.txt)",
        "failed     trial a_00001 after epoch 2: RuntimeError: CUDA error: device-side assert "
        "triggered (no retries left; traceback in /sweeps/s/a_00001/error.txt)",
    ]


def test_a_failure_without_a_recorded_error_still_says_where_to_look():
    trial = FailedTrial("a_00002", "/sweeps/s/a_00002", str(Path("/nonexistent/error.pkl")))
    out = io.StringIO()
    table(out).on_trial_error(0, [], trial)
    assert out.getvalue() == (
        "failed     trial a_00002 after epoch 0: failed (no error recorded) (no retries left; "
        "traceback in /sweeps/s/a_00002/error.txt)\n"
    )
