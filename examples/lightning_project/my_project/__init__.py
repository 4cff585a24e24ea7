"""An ordinary Lightning project: a digit classifier, its data module and a LightningCLI."""
