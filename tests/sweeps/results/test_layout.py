"""The one home of every file and folder name in a sweep's results."""

from ray.tune.result import EXPR_RESULT_FILE

from sweeps.results import layout


def test_the_result_log_is_named_as_tune_writes_it():
    assert layout.RESULT_LOG == EXPR_RESULT_FILE


def test_every_name_is_described_in_the_layout():
    names = {key: value for key, value in vars(layout).items() if key.isupper()}
    assert len(names) >= 13
    for key, value in names.items():
        assert key in layout.__doc__, f"{key} is not in the layout's description"
        assert value in layout.__doc__, value
