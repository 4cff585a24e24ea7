"""Each file in tests/fixtures/invalid/ is a broken sweep whose first line says ``# expect: TEXT``;
loading it must fail with one line that contains TEXT (file, key path and what is allowed)."""

from pathlib import Path

import pytest

from sweeps.definition import load_sweep
from sweeps.errors import SweepError
from tests.conftest import ROOT

INVALID = sorted((ROOT / "tests" / "fixtures" / "invalid").glob("*.yaml"))


def expected_text(path: Path) -> str:
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: '"
    return first.removeprefix("# expect: ")


def test_there_are_many_invalid_examples():
    assert len(INVALID) >= 25


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_sweep_gives_one_clear_line(path):
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    assert expected_text(path) in message, message
