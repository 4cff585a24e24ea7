"""PBT on a real run: an exploiting trial continues from the donor's checkpointed weights and
optimizer state, with the mutated learning rate in force (not the donor's, restored with the
optimizer's state)."""

import json

import pyarrow.parquet as pq
import pytest

from lightning_modules.checkpoint import read_checkpoint, state_digest
from tests.conftest import run_launcher

pytestmark = pytest.mark.slow


def checkpoints_of(trial_dir):
    return [
        (path, read_checkpoint(path)) for path in sorted(trial_dir.glob("checkpoint_*/model.ckpt"))
    ]


def test_pbt_exploit_takes_the_donor_weights_and_the_mutated_learning_rate(tmp_path):
    run = run_launcher("local", "tests/fixtures/sweeps/pbt.yaml", "--storage", str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    sweep = tmp_path / "pbt"
    trials = pq.read_table(sweep / "trials.parquet").to_pylist()
    ends = {row["trial_id"]: (row["status"], row["epochs"]) for row in trials}
    assert len(ends) == 2 and all(epochs == 6 for _, epochs in ends.values()), ends
    prefix = trials[0]["trial_id"][:-5]
    steps = [json.loads(line) for line in (sweep / "pbt_global.txt").read_text().splitlines()]
    assert steps, "no exploit happened"

    verified = 0
    for target_tag, donor_tag, _, _, donor_config, new_config in steps:
        target = sweep / f"{prefix}{int(target_tag.split('_')[0]):05d}"
        donor = sweep / f"{prefix}{int(donor_tag.split('_')[0]):05d}"
        # lr is mutated; a mutation past the space's edge stays at the edge (as the donor's may be)
        assert new_config["lr"] != donor_config["lr"] or new_config["lr"] in (1.0e-3, 5.0e-2)
        donor_states = {
            state_digest(state["state_dict"]): state for _, state in checkpoints_of(donor)
        }
        # A checkpoint the target saved after the exploit records what it restored: the donor's
        # weights and optimizer state from one of the donor's checkpoints.
        after = [
            state
            for _, state in checkpoints_of(target)
            if state["sweep_lineage"]
            and state["sweep_lineage"][-1]["weights_sha256"] in donor_states
            and state["sweep_lineage"][-1]["lr"] == pytest.approx(new_config["lr"])
        ]
        if not after:
            # Exploited at the last epoch, the target trains no further and saves nothing new.
            assert any(row["trial_id"] == target.name for row in trials)
            continue
        record = after[0]["sweep_lineage"][-1]
        donor_state = donor_states[record["weights_sha256"]]
        assert (
            record["epoch"] == donor_state["epoch"] + 1
        )  # continues where the donor's checkpoint was
        assert record["optimizer_sha256"] == state_digest(
            donor_state["optimizer_states"][0]["state"]
        )
        assert donor_state["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(
            donor_config["lr"]
        )
        assert after[0]["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(
            new_config["lr"]
        )
        assert after[0]["hyper_parameters"]["config"]["values"]["lr"] == pytest.approx(
            new_config["lr"]
        )
        verified += 1
    assert verified >= 1
