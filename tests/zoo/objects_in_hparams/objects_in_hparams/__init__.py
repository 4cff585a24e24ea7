"""A classifier in the style of Hydra-configured Lightning projects: the network, the optimizer and
the scheduler are objects handed to the module, and the module stores them all as its
hyperparameters."""
