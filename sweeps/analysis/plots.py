"""The report's PNG plots (matplotlib, no display needed): learning curves of every trial
(stopped trials end in a cross), best-so-far against epochs spent, parallel coordinates of the
searched keys coloured by the metric, and importance bars."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from sweeps.analysis.importance import Importance
from sweeps.analysis.results import SAMPLE_SEED, SweepResults
from sweeps.results import schema
from sweeps.results.metric_values import better, is_finite_number
from sweeps.results.trial_status import COMPLETED, DIVERGED, ERRORED, RUNNING, STOPPED

# Beyond these, the plots draw the best trials and a seeded sample of the others, and say so.
CURVES_DRAWN = 300
BEST_CURVES = 100
LINES_DRAWN = 1000
ENDS = {
    COMPLETED: ("o", "ended at max_epochs"),
    STOPPED: ("x", "stopped early"),
    DIVERGED: ("v", "diverged"),
    ERRORED: ("s", "errored"),
    RUNNING: (">", "still running"),
}


def _pyplot() -> Any:
    # Imported here: matplotlib loads only to draw the report's plots.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def learning_curves(results: SweepResults, path: Path) -> Path:
    """Each trial's curve of the sweep's metric (beyond ``CURVES_DRAWN`` trials, the best and a
    sample, as the page draws them); the three best thick, each curve's end marked by status."""
    plt = _pyplot()
    from matplotlib.collections import LineCollection

    figure, axes = plt.subplots(figsize=(9, 5.5))
    drawn, total = results.drawn(CURVES_DRAWN, BEST_CURVES)
    statuses = {row["trial_id"]: row.get("status") for row in results.trials}
    best = [row["trial_id"] for row in results.ranked()[:3]]
    thin: list[list[tuple[float, float]]] = []
    ends: dict[str, list[tuple[float, float]]] = {}
    for trial_id in drawn:
        points = [
            (row["epoch"], row[results.metric])
            for row in results.history(trial_id)
            if is_finite_number(row.get(results.metric))
        ]
        if trial_id in best:
            axes.plot(*zip(*points, strict=True), linewidth=2.0, label=f"{trial_id} (top)")
        else:
            thin.append(points)
        ends.setdefault(statuses.get(trial_id) or "running", []).append(points[-1])
    axes.add_collection(LineCollection(thin, linewidths=0.8, alpha=0.45, colors="tab:gray"))
    for status, points in ends.items():
        marker, meaning = ENDS.get(status, ("o", status))
        axes.plot(*zip(*points, strict=True), marker=marker, markersize=6, linestyle="none",
                  color="tab:gray", alpha=0.8, label=meaning)  # fmt: skip
    axes.autoscale()
    shown = (
        f"{len(drawn)} of {total} trials: the best {BEST_CURVES} and a sample"
        if len(drawn) < total
        else f"{total} trials"
    )
    axes.set(
        xlabel="epoch", ylabel=results.metric, title=f"{results.name}: learning curves ({shown})"
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right" if results.mode == "max" else "upper right")
    return _save(figure, path, plt)


def best_so_far(runs: list[SweepResults], path: Path) -> Path:
    """Best metric reached against epochs spent across the sweep, epochs in the order they ended."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 5))
    for results in runs:
        spent, best, steps = 0, None, []
        ordered = sorted(
            results.epochs, key=lambda h: (h.get("timestamp") or 0, h.get("time_total_s") or 0)
        )
        for epoch in ordered:
            spent += 1
            value = epoch.get(results.metric)
            if is_finite_number(value):
                best = value if best is None else better(best, value, results.mode)
            steps.append((spent, best))
        steps = [(x, y) for x, y in steps if y is not None]
        if steps:
            axes.step(
                [x for x, _ in steps], [y for _, y in steps], where="post", label=results.name
            )
    axes.set(
        xlabel="epochs spent (all trials)",
        ylabel=f"best {results.metric if runs else ''} so far",
        title="best so far against compute",
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, path, plt)


def parallel_coordinates(results: SweepResults, path: Path) -> Path:
    """Every searched key an axis, one line per trial coloured by its best metric (beyond
    ``LINES_DRAWN`` trials, the best and a sample)."""
    plt = _pyplot()
    from matplotlib.collections import LineCollection

    ranked = results.ranked()
    total = len(ranked)
    if total > LINES_DRAWN:
        top = ranked[:BEST_CURVES]
        ranked = top + random.Random(SAMPLE_SEED).sample(
            ranked[BEST_CURVES:], LINES_DRAWN - len(top)
        )
        ranked.sort(
            key=lambda row: row[schema.BEST.named(metric=results.metric)],
            reverse=results.mode == "max",
        )
    keys = results.searched
    figure, axes = plt.subplots(figsize=(max(6, 1.6 * len(keys) + 2), 5))
    if ranked and keys:
        scale = {
            key: _axis(
                [row.get(schema.CONFIG.named(key=key)) for row in ranked], key in results.log_keys
            )
            for key in keys
        }
        values = [row[schema.BEST.named(metric=results.metric)] for row in ranked]
        low, high = min(values), max(values)
        colours = plt.get_cmap("viridis")
        lines, shades = [], []
        for row in reversed(ranked):  # best drawn last, on top
            lines.append(
                [
                    (index, scale[key](row.get(schema.CONFIG.named(key=key))))
                    for index, key in enumerate(keys)
                ]
            )
            shade = (
                (row[schema.BEST.named(metric=results.metric)] - low) / (high - low)
                if high > low
                else 1.0
            )
            shades.append(1 - shade if results.mode == "min" else shade)
        axes.add_collection(
            LineCollection(
                lines, colors=[colours(shade) for shade in shades], alpha=0.75, linewidths=1.2
            )
        )
        axes.set_xlim(-0.1, max(len(keys) - 1, 0) + 0.4)
        for index, key in enumerate(keys):
            axes.axvline(index, color="black", linewidth=0.6)
            for label, y in scale[key].ticks:
                axes.text(index + 0.03, y, label, fontsize=7, va="center")
        mappable = plt.cm.ScalarMappable(cmap=colours, norm=plt.Normalize(low, high))
        figure.colorbar(mappable, ax=axes, label=f"best {results.metric}")
    axes.set_xticks(range(len(keys)), keys, rotation=20)
    axes.set_yticks([])
    axes.set_ylim(-0.08, 1.08)
    shown = (
        f"; {len(ranked)} of {total} trials: the best and a sample" if len(ranked) < total else ""
    )
    axes.set_title(f"{results.name}: searched keys (absent: below the axis){shown}")
    return _save(figure, path, plt)


def importance_bars(result: Importance, path: Path) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 0.45 * max(3, len(result.scores)) + 1.2))
    keys = list(result.scores)[::-1]
    axes.barh(keys, [result.scores[key] for key in keys], color="tab:blue")
    axes.set(
        xlabel="share of importance",
        title=f"importance over {result.trials} trials\n{result.method}",
    )
    if not keys:
        axes.text(
            0.5, 0.5, result.note, ha="center", va="center", transform=axes.transAxes, wrap=True
        )
    return _save(figure, path, plt)


class _Axis:
    def __init__(self, place: Any, ticks: list[tuple[str, float]]):
        self.place, self.ticks = place, ticks

    def __call__(self, value: Any) -> float:
        return self.place(value)


def _axis(values: list[Any], log: bool) -> _Axis:
    """Where each value of a key sits on its axis (0..1): numbers min-max (of their logarithms
    for a key searched on a log scale), choices evenly spaced, absent values at -0.05."""
    present = [value for value in values if value is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        low, high = min(present), max(present)
        use_log = log and low > 0
        lo, hi = (math.log10(low), math.log10(high)) if use_log else (low, high)

        def place(value: Any) -> float:
            if value is None:
                return -0.05
            v = math.log10(value) if use_log else value
            return (v - lo) / (hi - lo) if hi > lo else 0.5

        return _Axis(place, [(f"{low:.3g}", place(low)), (f"{high:.3g}", place(high))])
    choices = sorted({str(value) for value in present})
    spots = {choice: (index + 0.5) / len(choices) for index, choice in enumerate(choices)}
    return _Axis(lambda value: -0.05 if value is None else spots[str(value)], list(spots.items()))


def _save(figure: Any, path: Path, plt: Any) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
