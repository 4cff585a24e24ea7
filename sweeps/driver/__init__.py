"""The driver: ``runner.run_sweep`` and what it runs beside Tune (Ray's session, stop requests,
resume repair, the disk guard, stop rules, the metric check, progress, the held-out evaluation)."""

__all__ = [
    "checkpoint_evaluation",
    "child_processes",
    "disk_guard",
    "disk_space",
    "held_out_evaluation",
    "metric_check",
    "progress",
    "ray_session",
    "resume_repair",
    "runner",
    "stop_requests",
    "stop_rules",
    "storage_check",
]
