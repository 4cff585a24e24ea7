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
