"""The report's page: one self-contained HTML file of interactive plots.

Everything is inside the file: plotly.js (from the plotly package, about 5 MB), each figure's
data, the summary and the PNGs; nothing is fetched, so the page opens from a bucket, an e-mail or
a laptop offline. plotly.js because its figures are plain JSON that the page draws itself (no
server, no notebook), and it has the interactions a sweep needs built in: hover labels, zoom and
pan, and parallel coordinates whose axes can be brushed to filter the trials.

The figures:

* parallel coordinates of every searched key and every objective (log-searched keys on a log
  axis, choices as their values), coloured by the first objective; drag along an axis to keep
  the trials inside a range;
* learning curves of the first objective, each point's label the trial, its status and config;
* best so far against compute (epochs spent, in the order they finished), this sweep and the
  ones compared with it;
* the importance of each searched key;
* with several objectives, the Pareto front: the objectives' plane for two, every pair of them
  for three or more, the front's trials joined and labelled.

What cannot be drawn point by point stays readable: beyond ``CURVES_DRAWN`` trials the learning
curves are the best ``BEST_CURVES`` trials and a seeded sample of the rest over a band of every
trial's spread, and beyond ``POINTS_DRAWN`` trials the Pareto plots show the front and a sample of
the others; the page says so under each such plot.
"""

from __future__ import annotations

import html
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sweeps.analysis.results import SAMPLE_SEED, SweepResults
from sweeps.results import schema
from sweeps.results.metric_values import better, is_finite_number
from sweeps.results.trial_status import (
    COMPLETED,
    DIVERGED,
    ERRORED,
    OUT_OF_MEMORY,
    RUNNING,
    STOPPED,
    TIMED_OUT,
)

CURVES_DRAWN = 300
BEST_CURVES = 100
POINTS_DRAWN = 3000
STATUS_COLOURS = {
    COMPLETED: "#1f77b4",
    STOPPED: "#7f7f7f",
    RUNNING: "#2ca02c",
    DIVERGED: "#d62728",
    TIMED_OUT: "#ff7f0e",
    OUT_OF_MEMORY: "#ff7f0e",
    ERRORED: "#d62728",
}


@dataclass
class Figure:
    """One plot: the element it is drawn in, its title, plotly's data and layout, and what the
    reader should know about what is drawn (sampling)."""

    id: str
    title: str
    data: list[dict[str, Any]]
    layout: dict[str, Any]
    note: str = ""
    height: int = 460
    extra: dict[str, Any] = field(default_factory=dict)


def objectives(results: SweepResults) -> list[tuple[str, str, str]]:
    """(metric, mode, the trials table's column of its value at the trial's best epoch)."""
    first = [(results.metric, results.mode, schema.BEST.named(metric=results.metric))]
    return first + [(metric, mode, f"at_best_{metric}") for metric, mode in results.others]


def figures(
    results: SweepResults, compared: Sequence[SweepResults], scores: dict[str, float]
) -> list[Figure]:
    found = [
        parallel_coordinates(results),
        learning_curves(results),
        best_so_far([results, *compared]),
        importance(scores),
        *pareto_fronts(results),
    ]
    return [figure for figure in found if figure is not None]


def _config_text(row: dict[str, Any], keys: Sequence[str]) -> str:
    return ", ".join(
        f"{key}={_short(row.get(schema.CONFIG.named(key=key)))}"
        for key in keys
        if row.get(schema.CONFIG.named(key=key)) is not None
    )


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def parallel_coordinates(results: SweepResults) -> Figure | None:
    goals = objectives(results)
    rows = [row for row in results.trials if is_finite_number(row.get(goals[0][2]))]
    if not rows:
        return None
    dimensions = []
    for key in results.searched:
        dimension = _dimension(
            key, [row.get(schema.CONFIG.named(key=key)) for row in rows], results
        )
        if dimension is not None:
            dimensions.append(dimension)
    for metric, mode, column in goals:
        values = [row.get(column) for row in rows]
        dimensions.append(
            {
                "label": f"{metric} ({mode})",
                "values": [value if is_finite_number(value) else math.nan for value in values],
            }
        )
    colour = [row[goals[0][2]] for row in rows]
    return Figure(
        id="parallel-coordinates",
        title="Parallel coordinates",
        data=[
            {
                "type": "parcoords",
                "dimensions": dimensions,
                "line": {
                    "color": colour,
                    "colorscale": "Viridis",
                    "reversescale": results.mode == "min",
                    "showscale": True,
                    "colorbar": {"title": {"text": results.metric}},
                },
            }
        ],
        layout={"margin": {"l": 80, "r": 80, "t": 60, "b": 30}},
        note=f"{len(rows)} trials with a finite {results.metric}; drag along an axis to keep "
        "the trials inside a range (log-searched keys on log axes).",
    )


def _dimension(key: str, values: list[Any], results: SweepResults) -> dict[str, Any] | None:
    present = [value for value in values if value is not None]
    if not present:
        return None
    numbers = all(
        isinstance(value, (int, float)) and not isinstance(value, bool) for value in present
    )
    if numbers and key in results.log_keys and all(value > 0 for value in present):
        logs = [math.log10(value) if value is not None else math.nan for value in values]
        low, high = (
            math.floor(min(math.log10(v) for v in present)),
            math.ceil(max(math.log10(v) for v in present)),
        )
        decades = list(range(low, high + 1))
        return {
            "label": f"{key} (log)",
            "values": logs,
            "tickvals": decades,
            "ticktext": [f"{10.0**decade:g}" for decade in decades],
            "range": [low, high],
        }
    if numbers:
        return {
            "label": key,
            "values": [value if value is not None else math.nan for value in values],
        }
    categories = sorted({str(value) for value in present})
    position = {category: index for index, category in enumerate(categories)}
    return {
        "label": key,
        "values": [position[str(value)] if value is not None else math.nan for value in values],
        "tickvals": list(range(len(categories))),
        "ticktext": categories,
    }


def learning_curves(results: SweepResults) -> Figure | None:
    metric = results.metric
    curves: dict[str, list[tuple[int, float]]] = {}
    for row in results.epochs:
        value = row.get(metric)
        if is_finite_number(value):
            curves.setdefault(row["trial_id"], []).append((int(row["epoch"]), float(value)))
    if not curves:
        return None
    trials = {row["trial_id"]: row for row in results.trials}
    drawn, total = results.drawn(CURVES_DRAWN, BEST_CURVES)
    note = f"{total} trials, each one line; hover a point for its trial."
    data: list[dict[str, Any]] = []
    if len(drawn) < total:
        best = min(BEST_CURVES, len(drawn))
        note = (
            f"{len(drawn)} of {total} trials drawn: the best {best} and a random "
            f"{len(drawn) - best} of the others. The band is every trial's 10th to 90th "
            "percentile at each epoch, the dashed line their median."
        )
        data += _spread(curves, metric)
    by_status: dict[str, list[str]] = {}
    for trial_id in drawn:
        status = (trials.get(trial_id) or {}).get("status") or "running"
        by_status.setdefault(status, []).append(trial_id)
    for status, trial_ids in by_status.items():
        xs: list[Any] = []
        ys: list[Any] = []
        labels: list[Any] = []
        for trial_id in trial_ids:
            row = trials.get(trial_id) or {}
            text = _config_text(row, results.searched)
            for epoch, value in sorted(curves[trial_id]):
                xs.append(epoch)
                ys.append(value)
                labels.append([trial_id, status, text])
            xs.append(None)  # the next trial's line starts afresh
            ys.append(None)
            labels.append(["", "", ""])
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": status,
                "x": xs,
                "y": ys,
                "customdata": labels,
                "line": {"width": 1, "color": STATUS_COLOURS.get(status, "#9467bd")},
                "marker": {"size": 3},
                "opacity": 0.7,
                "hovertemplate": "trial %{customdata[0]} (%{customdata[1]})<br>epoch %{x}: "
                "%{y:.4g}<br>%{customdata[2]}<extra></extra>",
            }
        )
    return Figure(
        id="learning-curves",
        title=f"Learning curves: {metric}",
        data=data,
        layout={
            # Whole epochs only: a tick every epoch, or every tenth of the longest trial.
            "xaxis": {
                "title": {"text": "epoch"},
                "dtick": max(1, math.ceil(max(e for p in curves.values() for e, _ in p) / 10)),
            },
            "yaxis": {"title": {"text": metric}},
            "hovermode": "closest",
        },
        note=note,
    )


def _spread(curves: dict[str, list[tuple[int, float]]], metric: str) -> list[dict[str, Any]]:
    by_epoch: dict[int, list[float]] = {}
    for points in curves.values():
        for epoch, value in points:
            by_epoch.setdefault(epoch, []).append(value)
    epochs = sorted(by_epoch)
    low, middle, high = [], [], []
    for epoch in epochs:
        values = sorted(by_epoch[epoch])
        low.append(_quantile(values, 0.1))
        middle.append(_quantile(values, 0.5))
        high.append(_quantile(values, 0.9))
    band = {"width": 0, "color": "rgba(31,119,180,0.15)"}
    return [
        {"type": "scatter", "x": epochs, "y": low, "mode": "lines", "line": band,
         "name": "10th percentile", "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "x": epochs, "y": high, "mode": "lines", "line": band,
         "fill": "tonexty", "fillcolor": "rgba(31,119,180,0.15)", "name": "10th to 90th percentile",
         "hoverinfo": "skip"},
        {"type": "scatter", "x": epochs, "y": middle, "mode": "lines", "name": f"median {metric}",
         "line": {"dash": "dash", "color": "#1f77b4"}, "hovertemplate": "median at epoch %{x}: %{y:.4g}<extra></extra>"},
    ]  # fmt: skip


def _quantile(values: list[float], share: float) -> float:
    position = share * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def best_so_far(sweeps: Sequence[SweepResults]) -> Figure | None:
    data = []
    for results in sweeps:
        rows = [row for row in results.epochs if is_finite_number(row.get(results.metric))]
        if not rows:
            continue
        # In the order the epochs finished (the result logs' clocks), else trial by trial.
        if all(is_finite_number(row.get("timestamp")) for row in rows):
            rows.sort(key=lambda row: row["timestamp"])
        xs, ys, labels = [], [], []
        best: float | None = None
        for spent, row in enumerate(rows, start=1):
            value = float(row[results.metric])
            if best is None or better(best, value, results.mode) != best:
                best = value
                xs.append(spent)
                ys.append(best)
                labels.append(row["trial_id"])
        assert best is not None  # rows is not empty
        xs.append(len(rows))  # the line runs on to the compute spent in all
        ys.append(best)
        labels.append(labels[-1])
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "line": {"shape": "hv"},
                "name": results.name,
                "x": xs,
                "y": ys,
                "customdata": labels,
                "hovertemplate": f"{html.escape(results.name)}: best %{{y:.4g}} after %{{x}} epochs"
                "<br>trial %{customdata}<extra></extra>",
            }
        )
    if not data:
        return None
    return Figure(
        id="best-so-far",
        title=f"Best {sweeps[0].metric} so far against compute",
        data=data,
        layout={
            "xaxis": {"title": {"text": "epochs spent (in the order they finished)"}},
            "yaxis": {"title": {"text": f"best {sweeps[0].metric}"}},
            "hovermode": "closest",
        },
        note="Each marker is a new best; hover for the trial that set it.",
        height=380,
    )


def importance(scores: dict[str, float]) -> Figure | None:
    if not scores:
        return None
    keys = list(scores)[::-1]  # the most important on top
    return Figure(
        id="importance",
        title="Importance of each searched key",
        data=[
            {
                "type": "bar",
                "orientation": "h",
                "x": [scores[key] for key in keys],
                "y": keys,
                "hovertemplate": "%{y}: %{x:.1%}<extra></extra>",
            }
        ],
        layout={"xaxis": {"tickformat": ".0%"}, "margin": {"l": 160}},
        height=max(260, 40 * len(keys) + 120),
    )


def pareto_fronts(results: SweepResults) -> list[Figure]:
    """The objectives' plane (two), or one plot per pair of them (three or more)."""
    goals = objectives(results)
    if len(goals) < 2:
        return []
    ranked = [
        row
        for row in results.trials
        if row.get(schema.PARETO_RANK.name) is not None
        and all(is_finite_number(row.get(column)) for _, _, column in goals)
    ]
    infeasible = [
        row
        for row in results.trials
        if row.get(schema.FEASIBLE.name) is False
        and all(is_finite_number(row.get(column)) for _, _, column in goals)
    ]
    front = [row for row in ranked if row[schema.PARETO_RANK.name] == 0]
    others = [row for row in ranked if row[schema.PARETO_RANK.name] != 0] + infeasible
    note = (
        f"{len(front)} trials on the front (joined), {len(ranked) - len(front)} others behind it"
        + (f", {len(infeasible)} infeasible" if infeasible else "")
        + "; hover a point for its trial."
    )
    if len(others) > POINTS_DRAWN:
        others = random.Random(SAMPLE_SEED).sample(others, POINTS_DRAWN)
        note += f" {POINTS_DRAWN} of the trials off the front are drawn, a random sample."
    figures = []
    pairs = [(a, b) for a in range(len(goals)) for b in range(a + 1, len(goals))]
    for a, b in pairs:
        x_goal, y_goal = goals[a], goals[b]
        traces = []
        for name, rows, marker in (
            ("behind the front", [r for r in others if r.get(schema.FEASIBLE.name) is not False],
             {"color": "#aaaaaa", "size": 6}),
            ("infeasible", [r for r in others if r.get(schema.FEASIBLE.name) is False],
             {"color": "#d62728", "size": 6, "symbol": "x"}),
            ("front", sorted(front, key=lambda r: r[x_goal[2]]),
             {"color": "#1f77b4", "size": 10}),
        ):  # fmt: skip
            if not rows:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers" if name == "front" and len(goals) == 2 else "markers",
                    "name": name,
                    "x": [row[x_goal[2]] for row in rows],
                    "y": [row[y_goal[2]] for row in rows],
                    "customdata": [
                        [
                            row["trial_id"],
                            row.get(schema.PARETO_RANK.name),
                            _config_text(row, results.searched),
                        ]
                        for row in rows
                    ],
                    "marker": marker,
                    "line": {"shape": "hv", "width": 1},
                    "hovertemplate": f"trial %{{customdata[0]}} (rank %{{customdata[1]}})<br>"
                    f"{html.escape(x_goal[0])} %{{x:.4g}}, {html.escape(y_goal[0])} %{{y:.4g}}"
                    "<br>%{customdata[2]}<extra></extra>",
                }
            )
        suffix = "" if len(pairs) == 1 else f"-{a}-{b}"
        figures.append(
            Figure(
                id=f"pareto-front{suffix}",
                title=f"Pareto front: {x_goal[0]} ({x_goal[1]}) against {y_goal[0]} ({y_goal[1]})",
                data=traces,
                layout={
                    "xaxis": {"title": {"text": f"{x_goal[0]} ({x_goal[1]})"}},
                    "yaxis": {"title": {"text": f"{y_goal[0]} ({y_goal[1]})"}},
                    "hovermode": "closest",
                },
                note=note,
                height=420,
            )
        )
    return figures


def plotly_script() -> str:
    """plotly.js itself, to inline (the plotly package ships it)."""
    # Imported here: only the page needs it.
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _as_script(value: Any) -> str:
    """JSON inside a <script>: NaN stays NaN (JavaScript reads it), and no text can end the
    script early."""
    return json.dumps(value, allow_nan=True).replace("</", "<\\/")


def render(
    title: str,
    sections: list[tuple[str | None, str]],
    drawn: list[Figure],
) -> str:
    """The page: ``sections`` (a heading and its HTML, before the plots' and after them: the
    plots go where the heading is ``None``) and the figures, drawn by plotly.js when it opens."""
    plots = "".join(
        f"<section class='plot'><h3>{html.escape(figure.title)}</h3>"
        f"<div id='{figure.id}' class='figure' style='height:{figure.height}px'></div>"
        + (f"<p class='note'>{html.escape(figure.note)}</p>" if figure.note else "")
        + "</section>"
        for figure in drawn
    )
    body = "".join(
        f"<h2>Plots</h2>{plots}" if heading is None else f"<h2>{html.escape(heading)}</h2>{content}"
        for heading, content in sections
    )
    specs: list[dict[str, Any]] = [
        {"id": figure.id, "data": figure.data, "layout": {**figure.layout, "autosize": True}}
        for figure in drawn
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}
pre{{background:#f6f6f6;padding:1em;overflow:auto}} .note{{color:#555;font-size:90%}}
section.plot{{margin-bottom:2em}} figure{{display:inline-block;margin:0.5em}} img{{max-width:520px}}</style>
<script>{plotly_script()}</script></head>
<body><h1>{html.escape(title)}</h1>{body}
<script>
const FIGURES = {_as_script(specs)};
for (const figure of FIGURES) {{
  Plotly.newPlot(figure.id, figure.data, figure.layout, {{responsive: true, displaylogo: false}});
}}
</script></body></html>
"""
