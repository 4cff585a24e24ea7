"""The shipped data sets, one LightningDataModule per module (``dataset:`` in a sweep file), and
what they share: ``arrays`` (loading once per process, seeded splits, normalisation),
``augmentation``, ``batches`` (mini-batches from in-memory tensors) and ``table_files`` (reading
a user's table with pyarrow, for ``table``)."""

__all__ = [
    "arrays",
    "augmentation",
    "batches",
    "digits",
    "mnist1d",
    "synthetic",
    "table",
    "table_files",
]
