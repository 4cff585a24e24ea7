"""The project's command line: ``python -m cli_optimizer_keys.cli fit --config configs/fit.yaml``.

The model and data classes are fixed, so the config's ``model:`` and ``data:`` sections hold
their arguments directly; ``optimizer:`` and ``lr_scheduler:`` take any class by class path."""

from lightning.pytorch.cli import LightningCLI

from cli_optimizer_keys.data import FrictionData
from cli_optimizer_keys.model import LitRegressor


def main():
    LightningCLI(LitRegressor, FrictionData)


if __name__ == "__main__":
    main()
