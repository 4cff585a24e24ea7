"""The shipped families' networks in plain torch, one module per family, each built by its
``build(config, data, outputs)`` from the family's typed config and the data's shape.

A family's LightningModule (lightning_modules.models) trains the network built here and stores it
under ``network.`` in its checkpoints. Nothing here imports Lightning, so a checkpoint's weights
can be loaded and evaluated by a process that imports torch alone; ``layouts`` holds the
sample layouts the families share."""

__all__ = ["cnn", "diffusion", "layouts", "mlp", "rnn", "transformer"]
