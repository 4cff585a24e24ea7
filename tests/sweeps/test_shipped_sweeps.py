"""Every sweep file shipped in sweeps/ is valid; adding one gets it checked here."""

import pytest

from sweeps.spec import load_sweep
from tests.conftest import SHIPPED_SWEEPS


@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.name)
def test_shipped_sweep_is_valid(path):
    spec = load_sweep(path)
    assert spec.name == path.stem
    assert spec.trial_count >= 1
    assert spec.metric in spec.logged_metrics


def test_default_sweep_is_the_asha_one():
    names = [p.name for p in SHIPPED_SWEEPS]
    assert "digits_asha.yaml" in names and "digits_grid.yaml" in names
    spec = load_sweep(SHIPPED_SWEEPS[names.index("digits_asha.yaml")])
    assert spec.scheduler_name == "asha" and spec.searcher_name == "random"
    grid = load_sweep(SHIPPED_SWEEPS[names.index("digits_grid.yaml")])
    assert grid.searcher_name == "grid" and grid.trial_count == 12
