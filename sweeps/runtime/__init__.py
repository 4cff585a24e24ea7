"""The processes a sweep runs on: Ray's, started, connected to, watched and stopped by
``ray_control`` (with Tune's settings, the only module that touches Ray's private internals), and
the driver's own children (``child_processes``). Imports nothing of the sweep above ``sweeps.errors``,
so the searchers reach Ray's internals here without importing the driver."""

__all__ = ["child_processes", "ray_control"]
