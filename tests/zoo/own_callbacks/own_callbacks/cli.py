"""The project's command line: ``python -m own_callbacks.cli fit --config configs/fit.yaml``."""

from lightning.pytorch.cli import LightningCLI

from own_callbacks.data import WavesDataModule
from own_callbacks.model import WaveRegressor


def main():
    LightningCLI(WaveRegressor, WavesDataModule)


if __name__ == "__main__":
    main()
