"""Entry points: ``python -m launchers.local`` (embedded Ray) and ``python -m launchers.cluster``
(an existing Ray cluster). Both parse arguments, call ``sweeps.run.runner.run_sweep`` and report."""
