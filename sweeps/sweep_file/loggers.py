"""The ``loggers:`` key of a sweep file: which trackers record the sweep, and where.

    loggers:
      mlflow: {tracking_uri: http://mlflow.internal:5000, experiment: digits, artifacts: true}
      wandb: {project: digits, mode: offline}

Checked when the sweep file is read: an unknown key, a tracker whose package is not installed, a
tracking URI of no known scheme, or W&B online without an API key is a mistake with nothing
started (W&B would otherwise stop the sweep at its first trial to ask for a key).
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sweeps.errors import Mistakes, SweepError

# What ``pip install lightning-sweeps[<extra>]`` installs for each tracker.
EXTRAS = {"mlflow": "mlflow", "wandb": "wandb"}
URI_SCHEMES = ("http", "https", "file", "sqlite", "postgresql", "mysql", "databricks")


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MLflowOptions(_Options):
    tracking_uri: str | None = Field(
        None, description="the tracking server (default: $MLFLOW_TRACKING_URI, else ./mlruns)"
    )
    experiment: str | None = Field(None, description="the experiment (default: the sweep's name)")
    artifacts: bool = Field(
        False, description="upload each trial's best checkpoint as the trial run's artifact"
    )
    tags: dict[str, str] = Field(default_factory=dict, description="tags of every run")

    @field_validator("tracking_uri")
    @classmethod
    def _known_scheme(cls, uri: str | None) -> str | None:
        if uri is None:
            return uri
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", uri)
        if scheme is not None and scheme[1].lower() not in URI_SCHEMES:
            raise ValueError(
                f"{uri!r} has the scheme {scheme[1]!r}; give one of {', '.join(URI_SCHEMES)}, "
                "or a folder"
            )
        return uri


class WandbOptions(_Options):
    project: str | None = Field(None, description="the project (default: the sweep's name)")
    entity: str | None = Field(None, description="the team or user (default: W&B's own)")
    mode: Literal["online", "offline"] = Field(
        "online", description="offline writes the runs' files only (wandb sync uploads them)"
    )
    dir: str | None = Field(
        None, description="where W&B writes its files (default: the sweep's folder)"
    )
    tags: list[str] = Field(default_factory=list, description="tags of every run")


class LoggerOptions(_Options):
    mlflow: MLflowOptions | None = None
    wandb: WandbOptions | None = None

    @property
    def chosen(self) -> list[str]:
        return [name for name in ("mlflow", "wandb") if getattr(self, name) is not None]


NO_LOGGERS = LoggerOptions()


def check_usable(options: LoggerOptions) -> None:
    """Every chosen tracker's package installed, and W&B online with a key to log in with."""
    mistakes = Mistakes()
    for name in options.chosen:
        if importlib.util.find_spec(EXTRAS[name]) is None:
            mistakes.add(
                SweepError(
                    f"needs the {EXTRAS[name]} package: pip install 'lightning-sweeps[{name}]'",
                    path=f"loggers.{name}",
                )
            )
    if options.wandb is not None and options.wandb.mode == "online" and not _has_wandb_key():
        mistakes.add(
            SweepError(
                "mode online needs a W&B API key (WANDB_API_KEY, or wandb login); or set "
                "mode: offline and upload later with wandb sync",
                path="loggers.wandb.mode",
            )
        )
    mistakes.raise_if_any()


def _has_wandb_key() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    try:
        return "api.wandb.ai" in netrc.read_text()
    except OSError:
        return False
