"""Run a sweep on an existing Ray cluster.

    python -m launchers.cluster sweeps/digits_asha.yaml --address HOST:PORT|auto [--storage DIR]
                                [--name NAME] [--resume] [--set KEY=VALUE ...] [--dry-run]

The address may also come from RAY_ADDRESS (``auto``: the cluster the last ``ray start`` here
recorded). The driver learns whether the cluster uses token authentication before Ray starts and
sends the token found in RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token only then. The
storage folder must be one that every node sees (a shared mount) or a storage URI.
"""

from launchers.cli import run_and_exit


def main() -> None:
    """The launcher's entry point (``python -m launchers.cluster``, or the ``sweep-cluster`` command)."""
    run_and_exit(
        prog="python -m launchers.cluster",
        description=__doc__.strip().splitlines()[0],
        cluster=True,
    )


if __name__ == "__main__":
    main()
