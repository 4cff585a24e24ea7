"""The report on one sweep (and others compared with it): a terminal summary, PNG plots, the
importance, the diagnosis, a follow-up sweep file, and one self-contained HTML page."""

from __future__ import annotations

import base64
import functools
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sweeps.analysis import page, plots
from sweeps.analysis.diagnosis import Diagnosis, diagnose
from sweeps.analysis.followup import followup_sweep
from sweeps.analysis.importance import Importance, importance
from sweeps.analysis.results import SweepResults
from sweeps.definition import load_sweep
from sweeps.errors import SweepError
from sweeps.results import schema
from sweeps.results.metric_values import better, is_finite_number
from sweeps.results.trial_status import STATUSES


@dataclass
class Report:
    summary: str
    images: dict[str, Path]
    importance: Importance
    diagnoses: list[Diagnosis]
    followup: Path
    page: Path


def summary(results: SweepResults, top: int, compared: Sequence[SweepResults] = ()) -> str:
    found = [row.get("status") or "running" for row in results.trials]
    counts = {
        status: found.count(status) for status in [*STATUSES, *sorted(set(found) - set(STATUSES))]
    }
    epochs = len(results.epochs)
    wall = _wall_time(results)
    ranked = results.ranked()
    state = "finished" if results.finished else "running (from the result logs so far)"
    lines = [
        f"sweep      {results.name}  ({state}; {results.folder})",
        f"trials     {len(results.trials)}: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n),
        f"epochs     {epochs} spent; wall time {wall:.0f} s from the first epoch's start to the last result"
        if wall is not None
        else f"epochs     {epochs} spent",
    ]
    if ranked:
        best = ranked[0]
        lines.append(
            f"best       {results.metric} = {best[f'best_{results.metric}']:.4f} (trial {best['trial_id']}, "
            f"epoch {best.get('best_epoch', '?')})"
        )
        lines.append(f"top {min(top, len(ranked))}:")
        keys = results.searched
        lines.append(
            "  "
            + "  ".join(
                [f"{'trial':<13}", f"{results.metric:>12}", f"{'status':<10}", f"{'epochs':>6}"]
                + [f"{key:>12}" for key in keys]
            )
        )
        for row in ranked[:top]:
            cells = [
                f"{row['trial_id']:<13}",
                f"{row[f'best_{results.metric}']:>12.4f}",
                f"{row.get('status', ''):<10}",
                f"{row.get('epochs') or 0:>6}",
            ] + [f"{_cell(row.get(schema.CONFIG.named(key=key))):>12}" for key in keys]
            lines.append("  " + "  ".join(cells))
    else:
        lines.append(f"best       no trial has a finite {results.metric} yet")
    if results.others:
        lines += _front_lines(results)
    if compared:
        lines += _comparison(results, compared)
    return "\n".join(lines)


def _front_lines(results: SweepResults) -> list[str]:
    """The objectives, and the trials on their front (trials.parquet's pareto_rank 0)."""
    goals = [(results.metric, results.mode, schema.BEST.named(metric=results.metric))] + [
        (metric, mode, f"at_best_{metric}") for metric, mode in results.others
    ]
    shown = ", ".join(f"{metric} ({mode})" for metric, mode, _ in goals)
    front = [row for row in results.ranked() if row.get(schema.PARETO_RANK.name) == 0]
    if not results.finished:
        return [f"objectives {shown}; the front is known when the sweep ends (pareto.json)"]
    lines = [f"objectives {shown}; front: {len(front)} trial(s) (pareto.json)"]
    for row in front[:10]:
        values = ", ".join(
            f"{metric} = {row[column]:.6g}"
            if is_finite_number(row.get(column))
            else f"{metric} = -"
            for metric, _, column in goals
        )
        lines.append(f"  {row['trial_id']}  {values}")
    return lines


def _comparison(results: SweepResults, compared: Sequence[SweepResults]) -> list[str]:
    """One line per sweep, from the finished sweeps read as one pyarrow dataset."""
    # Imported here: sweeps.analysis.results loads pyarrow, which only this path needs.
    from sweeps.analysis.results import folders_dataset

    sweeps = [results, *compared]
    finished = [sweep for sweep in sweeps if sweep.finished]
    rows = (
        folders_dataset([sweep.folder for sweep in finished]).to_table().to_pylist()
        if finished
        else []
    )
    lines = []
    for sweep in sweeps:
        own = (
            [row for row in rows if row["sweep"] == sweep.folder.name]
            if sweep.finished
            else sweep.trials
        )
        logged = [row.get(schema.BEST.named(metric=sweep.metric)) for row in own]
        values = [value for value in logged if is_finite_number(value)]
        best = functools.reduce(lambda a, b: better(a, b, sweep.mode), values) if values else None
        shown = f"{best:.4f}" if best is not None else "none"
        epochs = sum(row.get("epochs") or 0 for row in own)
        lines.append(
            f"compare    {sweep.name}: best {sweep.metric} {shown}, {len(own)} trials, {epochs} epochs"
        )
    return lines


def write_report(
    results: SweepResults, out: Path, top: int = 5, compared: Sequence[SweepResults] = ()
) -> Report:

    out.mkdir(parents=True, exist_ok=True)
    found = importance(results)
    diagnoses = diagnose(results)
    images = {
        "learning curves": plots.learning_curves(results, out / "learning_curves.png"),
        "best so far": plots.best_so_far([results, *compared], out / "best_so_far.png"),
        "parallel coordinates": plots.parallel_coordinates(
            results, out / "parallel_coordinates.png"
        ),
        "importance": plots.importance_bars(found, out / "importance.png"),
    }
    followup = out / "followup.yaml"
    advice = [f"# {d.text()}" for d in diagnoses] or [
        "# no diagnosis: no trial logged training and validation losses"
    ]
    followup.write_text(
        f"# A follow-up to sweep {results.name}, narrowed around its best trials (python -m launchers.report).\n"
        + "\n".join(advice)
        + "\n"
        + yaml.safe_dump(
            followup_sweep(results, diagnoses), sort_keys=False, default_flow_style=None
        )
    )
    try:
        load_sweep(followup)
    except SweepError as error:  # a bug here, never the user's: say so plainly
        raise SweepError(
            f"the follow-up sweep written to {followup} does not validate: {error}"
        ) from None
    text = summary(results, top, compared)
    page_file = out / "report.html"
    page_file.write_text(_page(results, list(compared), text, images, found, diagnoses, followup))
    return Report(text, images, found, diagnoses, followup, page_file)


def _page(
    results: SweepResults,
    compared: list[SweepResults],
    text: str,
    images: dict[str, Path],
    found: Importance,
    diagnoses: list[Diagnosis],
    followup: Path,
) -> str:
    """One self-contained page: the summary, the interactive plots (sweeps.analysis.page), the
    same plots as images, the importance, the diagnosis and the follow-up sweep."""
    pictures = "".join(
        f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}'>"
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, path in images.items()
    )
    ranking = (
        "".join(f"<li>{html.escape(key)}: {share:.1%}</li>" for key, share in found.scores.items())
        or f"<li>{html.escape(found.note)}</li>"
    )
    advice = (
        "".join(f"<li>{html.escape(d.text())}</li>" for d in diagnoses) or "<li>no diagnosis</li>"
    )
    sections = [
        ("Summary", f"<pre>{html.escape(text)}</pre>"),
        (None, ""),
        (
            "Importance",
            f"<p>{html.escape(found.method)}, over {found.trials} trials.</p><ol>{ranking}</ol>",
        ),
        ("Diagnosis", f"<ul>{advice}</ul>"),
        (
            "Follow-up sweep",
            f"<p>{html.escape(str(followup))}</p><pre>{html.escape(followup.read_text())}</pre>",
        ),
        ("The plots as images", pictures),
    ]
    drawn = page.figures(results, compared, found.scores)
    return page.render(f"Sweep {results.name}", sections, drawn)


def _wall_time(results: SweepResults) -> float | None:
    """From the first epoch's start to the last result, by the result logs' clocks."""
    stamped = [row for row in results.epochs if isinstance(row.get("timestamp"), (int, float))]
    if not stamped:
        return None
    first = min(row["timestamp"] - (row.get("time_this_iter_s") or 0) for row in stamped)
    return max(row["timestamp"] for row in stamped) - first


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if math.isfinite(value) else str(value)
    return str(value)
