"""A classifier configured the way LightningCLI's documentation teaches dependency injection: the
optimizer and scheduler are callables that the module calls with its parameters, and the
backbone is any ``nn.Module``, chosen by class path in the config."""
