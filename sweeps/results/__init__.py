"""The output contract: every file and folder name of a sweep's results (``layout``), the tables'
columns and the trial statuses as data (``schema``, ``trial_status``), where the results live
(``storage``), and what each epoch reports (``epoch_results``, ``metric_values``)."""

__all__ = [
    "epoch_results",
    "layout",
    "metric_values",
    "schema",
    "storage",
    "trial_status",
]
