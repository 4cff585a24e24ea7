"""A sweep file (and its --set overrides) is checked whole: every mistake is reported at once,
each on its own line with its key path and, where the file has the key, its line and column."""

from __future__ import annotations

import textwrap

import pytest

from sweeps.definition import load_sweep
from sweeps.errors import MAX_REPORTED, SweepError, SweepErrors, summary
from tests.conftest import run_launcher

FOUR_MISTAKES = textwrap.dedent("""\
    name: four_mistakes
    model:
      family: mlp
      deph: 2
    data:
      dataset: digits
      val_fraction: 2
    space:
      lr: {logfloat: [1.0e-1, 1.0e-4]}
    metric: val_acuracy
    mode: max
    """)


def lines_of(path, **options) -> list[str]:
    with pytest.raises(SweepError) as caught:
        load_sweep(path, **options)
    return [str(error) for error in caught.value.errors]


def test_four_mistakes_are_four_lines_with_line_and_column(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(FOUR_MISTAKES)
    lines = lines_of(path)
    assert len(lines) == 4, lines
    assert lines[0].startswith(f"{path}:4:3: model.deph: unknown key; did you mean depth?")
    assert lines[1].startswith(f"{path}:7:3: data.val_fraction: ")
    assert lines[2].startswith(f"{path}:9:8: space.lr.logfloat: range is inverted")
    assert (
        lines[3].startswith(f"{path}:10:1: metric: got 'val_acuracy'")
        and "did you mean val_accuracy" in lines[3]
    )


def test_set_overrides_are_checked_alike(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(FOUR_MISTAKES)
    lines = lines_of(path, overrides=["trials.num_samples=0", "modle.depth=2", "stop.max_epochs=x"])
    assert lines[0].startswith("--set: unknown key 'modle'; did you mean mode or model?")
    assert f"{path} (after --set trials.num_samples): trials.num_samples: " in "\n".join(lines)
    assert f"{path} (after --set stop.max_epochs): stop.max_epochs: " in "\n".join(lines)
    assert len(lines) == 7, lines


def test_an_unknown_top_level_key_gets_the_closest_names(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(FOUR_MISTAKES.replace("mode: max", "mdoe: max"))
    lines = lines_of(path)
    assert f"{path}:11:1: mdoe: unknown key; did you mean mode" in "\n".join(lines)
    assert f"{path}: mode: required key is missing" in lines


def test_at_most_twenty_are_listed_and_the_last_line_counts_them(tmp_path):
    path = tmp_path / "many.yaml"
    typos = "".join(f"  bad{index}: 1\n" for index in range(30))
    path.write_text(FOUR_MISTAKES.replace("  deph: 2\n", typos))
    with pytest.raises(SweepErrors) as caught:
        load_sweep(path)
    assert len(caught.value.errors) == MAX_REPORTED and caught.value.total == 33
    shown = summary(caught.value, str(path))
    assert (
        shown[-1] == f"33 mistakes in {path} (the first {MAX_REPORTED} shown); nothing was started"
    )


def test_the_launcher_prints_each_mistake_then_the_count_and_exits_2(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(FOUR_MISTAKES)
    run = run_launcher(
        "local", str(path), "--set", "trials.num_samples=0", "--storage", str(tmp_path / "results")
    )
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 6 and all(line.startswith("error: ") for line in lines), run.stderr
    assert lines[-1] == f"error: 5 mistakes in {path}; nothing was started"
    assert not (tmp_path / "results").exists()
