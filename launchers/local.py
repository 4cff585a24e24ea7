"""Run a sweep on this machine, on an embedded Ray (no cluster, no set-up).

python -m launchers.local sweeps/digits_asha.yaml [--storage DIR] [--name NAME] [--resume]
                          [--set KEY=VALUE ...] [--dry-run]
"""

from launchers.cli import run_and_exit


def main() -> None:
    """The launcher's entry point (``python -m launchers.local``, or the ``sweep-local`` command)."""
    run_and_exit(
        prog="python -m launchers.local", description=__doc__.strip().splitlines()[0], cluster=False
    )


if __name__ == "__main__":
    main()
