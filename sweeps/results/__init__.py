"""The output contract: where a sweep's results live (``storage``), what each epoch and trial end
report (``epoch_results``, ``trial_status``), the result logs, TensorBoard runs and the tables."""

__all__ = [
    "epoch_results",
    "export",
    "metric_values",
    "result_log",
    "storage",
    "tensorboard_logging",
    "trial_status",
]
