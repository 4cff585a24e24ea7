"""The shipped model families, one LightningModule per module (``family:`` in a sweep file),
each training the network of the same name in lightning_modules.networks, and what they share:
``supervised`` (loss, metrics, optimizer and schedule of every classifier and regressor)."""

__all__ = ["cnn", "diffusion", "mlp", "rnn", "supervised", "transformer"]
