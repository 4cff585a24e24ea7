"""The project's own command line: python -m my_project.cli fit --config configs/fit.yaml"""

from lightning.pytorch.cli import LightningCLI

from my_project.data import Digits
from my_project.models import Classifier


def main() -> None:
    LightningCLI(Classifier, Digits)


if __name__ == "__main__":
    main()
