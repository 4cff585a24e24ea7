"""The driver: ``runner.run_sweep`` and what it runs beside Tune (stop requests, resume repair, the disk guard, stop rules, the metric check, progress, the held-out evaluation)."""

__all__ = [
    "checkpoint_evaluation",
    "disk_guard",
    "disk_space",
    "held_out_evaluation",
    "metric_check",
    "progress",
    "resume_repair",
    "runner",
    "stop_requests",
    "stop_rules",
    "storage_check",
]
