"""Run a sweep on this machine, on an embedded Ray (no cluster, no set-up).

    python -m launchers.local sweeps/digits_asha.yaml [--storage DIR] [--name NAME] [--resume]
                              [--set KEY=VALUE ...] [--dry-run]
"""

import sys

from launchers.cli import main

if __name__ == "__main__":
    sys.exit(main(None, prog="python -m launchers.local", description=__doc__.strip().splitlines()[0], cluster=False))
