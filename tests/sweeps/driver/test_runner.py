"""Small pieces of the runner that need no Ray."""

import logging
import sys

from sweeps.driver.runner import _vanished_temporary_file


def record_for(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "ray.tune.execution.experiment_state",
        logging.ERROR,
        __file__,
        1,
        "Saving experiment state to storage failed with exception: ",
        None,
        exc_info,
    )


def test_only_a_vanished_temporary_state_file_is_kept_quiet():
    vanished = FileNotFoundError(
        "[errno 2] Failed to open local file '/tmp/x/abc-tmp-basic-variant-state-1.json'"
    )
    assert _vanished_temporary_file(record_for(vanished)) is False
    assert (
        _vanished_temporary_file(record_for(FileNotFoundError("experiment_state-1.json"))) is True
    )
    assert _vanished_temporary_file(record_for(PermissionError("-tmp- but not missing"))) is True
    assert (
        _vanished_temporary_file(
            logging.LogRecord("x", logging.ERROR, __file__, 1, "no exception", None, None)
        )
        is True
    )


def sweep_with(**changes):
    from sweeps.definition import sweep_from_dict

    raw = {
        "name": "warm",
        "model": {"family": "mlp"},
        "data": {"dataset": "digits"},
        "space": {"lr": {"grid": [0.01, 0.1, 0.3, 1.0]}},
        "metric": "val_accuracy",
        "mode": "max",
        "searcher": {"name": "grid"},
        "scheduler": {"name": "fifo"},
        **changes,
    }
    return sweep_from_dict(raw, source="warm.yaml")


def test_trial_processes_are_warmed_only_where_every_cpu_is_a_trials():
    from sweeps.driver.runner import TRIAL_MODULES, warm_trial_processes
    from sweeps.runtime.ray_control import WarmWorkers

    spec = sweep_with()
    two_cpus = {"CPU": 2.0}
    assert warm_trial_processes(spec, two_cpus) == WarmWorkers(
        2, (*TRIAL_MODULES, *spec.model.trial_libraries())
    )
    assert "lightning_modules.networks.mlp" in spec.model.trial_libraries()
    refused = {
        "two CPUs per trial": sweep_with(resources={"cpu": 2}),
        "a GPU per trial": sweep_with(resources={"gpu": 1}),
        "data-parallel trials": sweep_with(resources={"workers": 2}),
        "one trial at a time": sweep_with(trials={"max_concurrent": 1}),
        "fewer trials than CPUs": sweep_with(space={"lr": {"grid": [0.1]}}),
    }
    for why, refused_spec in refused.items():
        assert warm_trial_processes(refused_spec, two_cpus) is None, why
    assert warm_trial_processes(spec, {"CPU": 0.0}) is None
