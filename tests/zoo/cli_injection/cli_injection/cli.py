"""The project's command line: ``python -m cli_injection.cli fit --config configs/fit.yaml``."""

from lightning.pytorch.cli import LightningCLI

from cli_injection.data import SpiralsData
from cli_injection.model import LitClassifier


def main():
    LightningCLI(LitClassifier, SpiralsData)


if __name__ == "__main__":
    main()
