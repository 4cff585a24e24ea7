"""``python -m launchers.cluster`` against a real two-node Ray cluster on this machine.

The test starts a head and a worker with ``ray start --block`` (each with its own temp dir and
one CPU, token authentication on with a token of its own) and stops both by PID. One CPU per node
and two trials at a time means the sweep must use both nodes.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sweeps.runtime.ray_control import ANSWERED, NEEDS_TOKEN, probe
from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.clusters import two_node_cluster
from tests.helpers.sweep_args import ONE_QUICK_TRIAL

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

RAY = str(Path(sys.executable).with_name("ray"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with two_node_cluster(tmp_path_factory.mktemp("ray")) as (address, token, _):
        yield address, token


def test_cluster_sweep_runs_trials_on_both_nodes(cluster, tmp_path):
    address, token = cluster
    # The driver gets the token but not RAY_AUTH_MODE: the launcher must turn token mode on.
    run = run_launcher(
        "cluster",
        "sweeps/digits_grid.yaml",
        "--address",
        address,
        "--storage",
        str(tmp_path),
        "--set",
        "space.lr={grid: [0.001]}",
        "--set",
        "stop.max_epochs=6",
        "--set",
        "checkpoint.every=3",
        env=launcher_env(RAY_AUTH_TOKEN=token),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    trials = pq.read_table(tmp_path / "digits_grid" / "trials.parquet").to_pylist()
    assert len(trials) == 6 and {row["status"] for row in trials} == {"completed"}
    assert len({row["node_id"] for row in trials}) == 2, "trials should have run on both nodes"
    metrics = pq.read_table(tmp_path / "digits_grid" / "metrics.parquet")
    assert metrics.num_rows == 6 * 6


def test_ray_address_variable_works_too(cluster, tmp_path):
    address, token = cluster
    run = run_launcher(
        "cluster",
        "sweeps/digits_grid.yaml",
        "--storage",
        str(tmp_path),
        "--name",
        "from_env",
        *ONE_QUICK_TRIAL,
        env=launcher_env(RAY_AUTH_TOKEN=token, RAY_ADDRESS=address),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert pq.read_table(tmp_path / "from_env" / "trials.parquet").num_rows == 1


FROM_PYTHON = """
import json, sys
import sweeps

address, storage, overrides = sys.argv[1], sys.argv[2], sys.argv[3:]
embedded = sweeps.run("digits_grid", storage, overrides=overrides, name="embedded_first")
on_cluster = sweeps.run("digits_grid", storage, overrides=overrides, address=address)
print("TOLD " + json.dumps([on_cluster.trials.column("node_id").to_pylist(),
                            embedded.trials.column("status").to_pylist()]))
"""


def test_from_python_an_embedded_sweep_then_a_cluster_sweep_in_one_process(cluster, tmp_path):
    """A sweep with a Ray of its own, then ``sweeps.run(..., address=...)``, in one process: the
    embedded instance's own token is gone with it, and the cluster gets the user's token."""
    address, token = cluster
    overrides = ONE_QUICK_TRIAL[1::2]  # the values of its --set options
    done = subprocess.run(
        [sys.executable, "-c", FROM_PYTHON, address, str(tmp_path), *overrides],
        capture_output=True,
        text=True,
        timeout=300,
        env=launcher_env(RAY_AUTH_TOKEN=token),
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"cluster    {address} (token from RAY_AUTH_TOKEN)" in done.stdout
    nodes, statuses = json.loads(done.stdout.split("TOLD ", 1)[1])
    assert len(nodes) == 1 and nodes[0] and statuses == ["completed"]


def test_the_probe_reads_a_token_cluster(cluster):
    address, token = cluster
    assert probe(address) == NEEDS_TOKEN
    assert probe(address, secrets.token_hex(32)) == NEEDS_TOKEN
    assert probe(address, token) == ANSWERED


def test_a_refused_token_is_one_line_naming_its_source_before_any_trial(cluster, tmp_path):
    address, _ = cluster
    run = run_launcher(
        "cluster",
        "sweeps/digits_grid.yaml",
        "--address",
        address,
        "--storage",
        str(tmp_path),
        env=launcher_env(RAY_AUTH_TOKEN=secrets.token_hex(32)),
        timeout=180,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stderr.strip().splitlines() == [
        f"error: the Ray cluster at {address} refused the token from RAY_AUTH_TOKEN: set RAY_AUTH_TOKEN to the "
        "cluster's token (ray get-auth-token on its head node)"
    ]
    assert not (tmp_path / "digits_grid").exists()


def test_no_token_for_a_token_cluster_is_one_line_before_any_trial(cluster, tmp_path):
    address, _ = cluster
    home = tmp_path / "home"  # no ~/.ray/auth_token there
    run = run_launcher(
        "cluster",
        "sweeps/digits_grid.yaml",
        "--address",
        address,
        "--storage",
        str(tmp_path),
        env=launcher_env(HOME=str(home)),
        timeout=180,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(
        f"error: the Ray cluster at {address} uses token authentication and this driver has no token"
    )
    assert not (tmp_path / "digits_grid").exists()


def can_hide_folders() -> bool:
    probe = ["unshare", "--mount", "--propagation", "private", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(
    not can_hide_folders(), reason="needs mount namespaces (unshare) to hide a folder from a node"
)
def test_storage_that_a_node_cannot_see_is_refused_before_any_trial(tmp_path, tmp_path_factory):
    storage = tmp_path / "results"
    storage.mkdir()
    with two_node_cluster(tmp_path_factory.mktemp("ray"), hidden=storage) as (address, token, _):
        run = run_launcher(
            "cluster",
            "sweeps/digits_grid.yaml",
            "--address",
            address,
            "--storage",
            str(storage),
            env=launcher_env(RAY_AUTH_TOKEN=token),
        )
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"error: storage {storage} is not visible from the node at " in run.stderr, run.stderr
    assert "mounted at the same path on every node" in run.stderr and "s3://" in run.stderr
    assert "Traceback" not in run.stderr
    assert list(storage.iterdir()) == []  # nothing started, nothing left behind


@pytest.mark.skipif(
    not can_hide_folders(), reason="needs mount namespaces (unshare) to hide a folder from a node"
)
def test_a_users_project_is_shipped_to_a_node_that_cannot_see_it(tmp_path, tmp_path_factory):
    """The project lies only in the driver's working directory: the worker node sees an empty
    folder there, so its trials can only import the project that Ray shipped (code:)."""
    import yaml

    from tests.helpers.user_project import write_project

    project = write_project(tmp_path / "project")
    (project / "data").mkdir()
    (project / "data" / "big.bin").write_bytes(b"\0" * 2**20)
    (project / ".gitignore").write_text("data/\n")
    (project / "ship.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "ship",
                "model": {"class_path": "sweepable.models.Classifier"},
                "data": {"class_path": "sweepable.data.Blobs"},
                "space": {"model.lr": {"grid": [0.01, 0.02, 0.03, 0.04]}},
                "searcher": {"name": "grid"},
                "metric": "val/acc",
                "mode": "max",
                "stop": {"max_epochs": 2},
            }
        )
    )
    storage = tmp_path / "results"
    with two_node_cluster(tmp_path_factory.mktemp("ray"), hidden=project) as (address, token, _):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "launchers.cluster",
                "ship.yaml",
                "--address",
                address,
                "--storage",
                str(storage),
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=400,
            env=launcher_env(RAY_AUTH_TOKEN=token),
        )
    assert run.returncode == 0, run.stdout + run.stderr
    trials = pq.read_table(storage / "ship" / "trials.parquet").to_pylist()
    assert [row["status"] for row in trials] == ["completed"] * 4
    assert len({row["node_id"] for row in trials}) == 2, (
        "a trial should have run on the node that cannot see the project"
    )


def test_a_project_over_rays_upload_limit_is_refused_before_anything_starts(tmp_path):
    import yaml

    from tests.helpers.user_project import write_project

    project = write_project(tmp_path / "project")
    (project / "weights").mkdir()
    (project / "weights" / "huge.bin").write_bytes(
        os.urandom(3 * 2**20)
    )  # random bytes: no compression helps
    (project / "big.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "big",
                "model": {"class_path": "sweepable.models.Classifier"},
                "data": {"class_path": "sweepable.data.Blobs"},
                "metric": "val/acc",
                "mode": "max",
            }
        )
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchers.cluster",
            "big.yaml",
            "--address",
            "127.0.0.1:1",
            "--storage",
            str(tmp_path / "r"),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env=launcher_env(
            RAY_max_grpc_message_size=str(2 * 2**20)
        ),  # a 2 MB limit stands for Ray's 512 MB
    )
    assert run.returncode == 2, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(
        f"error: big.yaml: code.working_dir: {project} is 3 MB to upload, over Ray's limit of 2 MB; "
        "the largest: weights/ (3 MB)"
    ), line
    assert not (tmp_path / "r").exists()
