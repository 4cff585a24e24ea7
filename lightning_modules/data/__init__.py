"""The shipped data sets, one LightningDataModule per module (``dataset:`` in a sweep file), each
reading the source of the same name in ``sources`` (plain NumPy, no Lightning), and what they
share: ``array_module`` (the data module they all are), ``arrays`` (loading once per process,
seeded splits, normalisation), ``augmentation`` and ``batches`` (mini-batches from in-memory
tensors). A user's table is read by ``lightning_modules.table_files``."""

__all__ = [
    "array_module",
    "arrays",
    "augmentation",
    "batches",
    "digits",
    "mnist1d",
    "sources",
    "synthetic",
    "table",
]
