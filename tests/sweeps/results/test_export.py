"""Pieces of the results export that the end-to-end sweeps cannot force."""

import json

import pytest

from sweeps.results.export import trial_status, write_atomically


@pytest.mark.parametrize(
    "history, error, expected",
    [
        ([], None, "not_started"),
        ([{"epoch": 1}, {"epoch": 2}], None, "stopped"),
        ([{"epoch": 1}, {"epoch": 3}], None, "completed"),
        ([{"epoch": 1, "diverged": True}], None, "diverged"),
        ([{"epoch": 3}], "boom", "errored"),
    ],
)
def test_trial_status(history, error, expected):
    assert trial_status(history, error, max_epochs=3) == expected


def test_write_atomically_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "best.json"
    write_atomically(target, b'{"old": 1}')
    write_atomically(target, json.dumps({"new": 2}).encode())
    assert json.loads(target.read_text()) == {"new": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["best.json"]
