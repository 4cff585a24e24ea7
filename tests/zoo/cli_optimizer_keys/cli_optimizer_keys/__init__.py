"""A regressor trained through LightningCLI with the optimizer and learning-rate scheduler chosen
in the config's top-level ``optimizer:`` and ``lr_scheduler:`` sections: the LightningModule has
no ``configure_optimizers`` of its own, LightningCLI adds one from those sections."""
