"""Reading and understanding a sweep's results: the tables (also while the sweep runs, and several
sweeps as one pyarrow dataset), meta-parameter importance, plots, a bias/variance diagnosis with a
follow-up sweep, and the report that puts them together (python -m launchers.report)."""

__all__ = [
    "diagnosis",
    "followup",
    "importance",
    "plots",
    "report",
    "results",
]
