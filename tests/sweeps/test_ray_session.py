"""What the driver settles before Ray starts: the address (``auto``) and the token it would send.
Against real clusters: tests/launchers/test_ray_faults.py and test_cluster.py."""

from __future__ import annotations

import pytest

from sweeps.errors import SweepError
from sweeps.run.ray_session import UNREACHABLE, ClusterError, find_token, probe, resolve_address
from tests.launchers.processes import free_port


@pytest.fixture
def no_ray_settings(monkeypatch, tmp_path):
    for name in ("RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_TMPDIR", "TMPDIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_the_token_is_looked_up_in_rays_order(no_ray_settings, monkeypatch):
    assert find_token() is None
    home_file = no_ray_settings / "home" / ".ray" / "auth_token"
    home_file.parent.mkdir(parents=True)
    home_file.write_text("from-home\n")
    assert (find_token().value, find_token().source) == (
        "from-home",
        f"~/.ray/auth_token ({home_file})",
    )
    named = no_ray_settings / "token"
    named.write_text("from-path")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(named))
    assert (find_token().value, find_token().source) == (
        "from-path",
        f"RAY_AUTH_TOKEN_PATH ({named})",
    )
    monkeypatch.setenv("RAY_AUTH_TOKEN", "from-variable")
    assert (find_token().value, find_token().source) == ("from-variable", "RAY_AUTH_TOKEN")


def test_auto_is_the_address_variable_or_the_last_ray_start_here(no_ray_settings, monkeypatch):
    monkeypatch.setenv("RAY_TMPDIR", str(no_ray_settings))
    with pytest.raises(ClusterError, match="no Ray cluster was started on this machine"):
        resolve_address("auto")
    (no_ray_settings / "ray").mkdir()
    (no_ray_settings / "ray" / "ray_current_cluster").write_text("10.0.0.5:6379\n")
    assert resolve_address("auto") == "10.0.0.5:6379"
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.7:6380")
    assert resolve_address("auto") == "10.0.0.7:6380"
    assert resolve_address("127.0.0.1:6379") == "127.0.0.1:6379"
    assert resolve_address("ray://head:10001") == "ray://head:10001"


@pytest.mark.parametrize("address", ["head", "head:port", "head:0", ":6379", "head:70000"])
def test_an_address_that_is_not_host_and_port_is_a_mistake(address):
    with pytest.raises(SweepError, match="give HOST:PORT"):
        resolve_address(address)


def test_nothing_listening_is_unreachable_at_once():
    assert probe(f"127.0.0.1:{free_port()}", timeout_s=5) == UNREACHABLE
