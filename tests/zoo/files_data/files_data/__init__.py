"""A tabular classifier whose data module works the way file-backed projects do: ``prepare_data``
writes the data set to CSV files once, ``setup`` reads them back on every process, and the
loaders read through worker processes."""
