"""The shipped model families, one LightningModule per module (``family:`` in a sweep file),
and what they share: ``supervised`` (loss, metrics, optimizer and schedule of every classifier
and regressor) and ``layouts`` (a batch read in the layout a family needs)."""

__all__ = ["cnn", "diffusion", "layouts", "mlp", "rnn", "supervised", "transformer"]
