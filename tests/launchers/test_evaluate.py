"""``python -m launchers.evaluate`` on several checkpoints at once: each is evaluated in turn in
one process, one that cannot be is its own line, and the exit status is the worst one."""

from __future__ import annotations

import json

from launchers.evaluate import main
from sweeps.trial.parts import prepare_process, shipped_folds
from tests.helpers.plans import shipped_plan


def trained(folder):
    plan = shipped_plan()
    prepare_process(plan)
    folds = shipped_folds(plan, {}, None)
    while folds.next_epoch() is not None:
        pass
    folder.mkdir()
    folds.save(folder)
    return folder


def test_several_checkpoints_are_evaluated_in_one_process(tmp_path, capsys):
    first, second = trained(tmp_path / "first"), trained(tmp_path / "second")
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")

    assert main([str(first), str(second), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["checkpoint"] for line in lines] == [str(first), str(second)]
    assert all(set(line["metrics"]) == {"test_accuracy", "test_loss"} for line in lines)

    assert main([str(first), str(broken)]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == str(first) and out.splitlines()[1].startswith("  test_accuracy")
    assert err.startswith(f"error: {broken}: not a readable checkpoint (")
    assert err.count("\n") == 1

    assert main([str(first), "--json"]) == 0  # one checkpoint: its metrics alone, as before
    assert set(json.loads(capsys.readouterr().out)) == {"test_accuracy", "test_loss"}
