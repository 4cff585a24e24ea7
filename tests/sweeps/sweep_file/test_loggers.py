"""The loggers: key, checked when the sweep file is read (sweeps.sweep_file.loggers)."""

from __future__ import annotations

import pytest

from sweeps.definition import sweep_from_dict
from sweeps.errors import SweepError
from sweeps.sweep_file.loggers import NO_LOGGERS

BASE = {
    "name": "tracked",
    "model": {"family": "mlp"},
    "data": {"dataset": "digits"},
    "space": {"lr": {"logfloat": [1.0e-3, 1.0e-1]}},
    "metric": "val_accuracy",
    "mode": "max",
}


def load(loggers):
    return sweep_from_dict({**BASE, "loggers": loggers}, source="s.yaml")


def mistakes(loggers) -> list[str]:
    with pytest.raises(SweepError) as caught:
        load(loggers)
    return [str(one) for one in caught.value.every]


def test_both_trackers_with_their_settings_and_defaults():
    spec = load(
        {
            "mlflow": {"tracking_uri": "http://mlflow.internal:5000", "artifacts": True},
            "wandb": {"project": "digits", "mode": "offline", "tags": ["a"]},
        }
    )
    assert spec.loggers.chosen == ["mlflow", "wandb"]
    assert spec.loggers.mlflow.experiment is None  # the sweep's name, when the run opens
    assert spec.loggers.wandb.mode == "offline"
    assert load({"mlflow": None}).loggers.mlflow.tracking_uri is None  # every default
    assert sweep_from_dict(BASE, source="s.yaml").loggers is NO_LOGGERS


def test_every_mistake_in_loggers_is_one_line_at_its_key(monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")
    found = mistakes({"mlflow": {"tracking_uri": "ftp://host/x", "experimnt": "e"}})
    assert any(
        "loggers.mlflow.tracking_uri" in line and "scheme 'ftp'" in line for line in found
    ), found
    assert any(
        "loggers.mlflow.experimnt: unknown key; did you mean experiment?" in line for line in found
    ), found
    (online,) = mistakes({"wandb": {"mode": "online"}})
    assert "loggers.wandb.mode: mode online needs a W&B API key" in online
    assert any("loggers.neptune" in line for line in mistakes({"neptune": {}}))
    assert any("loggers.wandb.mode" in line for line in mistakes({"wandb": {"mode": "disabled"}}))


def test_a_tracker_whose_package_is_missing_is_named_with_its_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    (line,) = mistakes({"mlflow": {}})
    assert (
        "loggers.mlflow: needs the mlflow package: pip install 'lightning-sweeps[mlflow]'" in line
    )
