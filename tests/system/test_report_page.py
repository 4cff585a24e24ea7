"""The report's page in a real browser (Debian's chromium, headless, driven by Playwright): a
real sweep of two objectives and its report, opened from the file with the network unreachable.
It loads with no console error, every plot renders, log-searched keys are on log axes, and
hovering a point of the front or of a learning curve shows its trial's id.

SWEEP_REPORT_SCREENSHOT=PATH keeps a screenshot of the whole page there.
"""

from __future__ import annotations

import json
import os
import shutil

import pyarrow.parquet as pq
import pytest

from tests.conftest import run_launcher
from tests.helpers.browser import chromium_page
from tests.helpers.pareto import run_pareto_sweep

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    sweep_dir, _ = run_pareto_sweep(tmp_path_factory.mktemp("report-page"), "trials.num_samples=12")
    run = run_launcher("report", str(sweep_dir))
    assert run.returncode == 0, run.stderr
    return sweep_dir, sweep_dir / "report" / "report.html"


def test_the_page_is_one_file_that_fetches_nothing(report):
    _, page = report
    text = page.read_text()
    assert "<script src" not in text and "<link" not in text
    assert "http://" not in text.split("<script>", 1)[0]  # the head names nothing to fetch


def test_every_plot_renders_without_a_console_error_and_hover_names_the_trial(report, tmp_path):
    sweep_dir, page_file = report
    front = json.loads((sweep_dir / "pareto.json").read_text())["trials"]
    trials = {row["trial_id"] for row in pq.read_table(sweep_dir / "trials.parquet").to_pylist()}
    with chromium_page() as (page, errors):
        page.route(
            "**/*",
            lambda route: (
                route.abort() if not route.request.url.startswith("file:") else route.continue_()
            ),
        )
        page.goto(page_file.as_uri())
        page.wait_for_function("document.querySelectorAll('.figure .main-svg').length > 0")
        figures = page.evaluate("Array.from(document.querySelectorAll('.figure')).map(f => f.id)")
        assert {
            "parallel-coordinates",
            "learning-curves",
            "best-so-far",
            "importance",
            "pareto-front",
        } <= set(figures)
        for figure in figures:
            page.wait_for_function(
                f"document.getElementById('{figure}').querySelector('.main-svg') !== null"
            )
        # Parallel coordinates draw their lines on canvases, one axis per key and objective.
        assert page.evaluate("document.querySelectorAll('#parallel-coordinates canvas').length") > 0
        labels = page.evaluate(
            "document.getElementById('parallel-coordinates').data[0].dimensions.map(d => d.label)"
        )
        assert "width (log)" in labels and "lr (log)" in labels
        assert "val_accuracy (max)" in labels and "model/params (min)" in labels

        shown = hover(page, "pareto-front", trace_name="front", point=0)
        on_front = {trial["trial_id"] for trial in front}
        assert any(f"trial {trial} (rank 0)" in text for text in shown for trial in on_front), shown
        shown = hover(page, "learning-curves", trace_name=None, point=0)
        assert any(trial in text for text in shown for trial in trials), shown
        screenshot = tmp_path / "report.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000
        if os.environ.get("SWEEP_REPORT_SCREENSHOT"):
            shutil.copy(screenshot, os.environ["SWEEP_REPORT_SCREENSHOT"])
        assert errors == []


def hover(page, figure: str, trace_name: str | None, point: int) -> list[str]:
    """Move the mouse onto a point of a figure (as a reader would) and read the hover label."""
    position = page.evaluate(
        """([figure, name, point]) => {
            const gd = document.getElementById(figure);
            gd.scrollIntoView({block: "center"});
            const index = name === null ? gd.data.findIndex(t => t.customdata)
                                        : gd.data.findIndex(t => t.name === name);
            const trace = gd.data[index];
            let i = point;
            while (trace.x[i] === null) i += 1;
            const L = gd._fullLayout;
            const box = gd.getBoundingClientRect();
            return [box.left + L._size.l + L.xaxis.l2p(trace.x[i]),
                    box.top + L._size.t + L.yaxis.l2p(trace.y[i])];
        }""",
        [figure, trace_name, point],
    )
    page.mouse.move(position[0] + 30, position[1] + 30)
    page.mouse.move(position[0], position[1])
    page.wait_for_function(
        f"document.querySelectorAll('#{figure} .hoverlayer text').length > 0", timeout=5000
    )
    return page.evaluate(
        f"Array.from(document.querySelectorAll('#{figure} .hoverlayer text')).map(t => t.textContent)"
    )


def test_the_report_of_ten_thousand_trials_samples_what_it_cannot_draw(tmp_path):
    """10,000 trials of 20 epochs (benchmarks/scale.py's result set): the report is written, the
    page draws every plot and answers a hover, and says what it sampled."""
    import yaml

    from benchmarks.scale import SWEEP, synthetic_records
    from sweeps.definition import sweep_from_dict
    from sweeps.driver.output_tables import write_outputs

    text = SWEEP.format(trials=10_000)
    spec = sweep_from_dict(yaml.safe_load(text), source="scale")
    (tmp_path / "sweep.yaml").write_text(text)
    write_outputs(synthetic_records(10_000, spec), spec, tmp_path, test_metrics=lambda path: {})
    run = run_launcher("report", str(tmp_path))
    assert run.returncode == 0, run.stderr
    with chromium_page() as (page, errors):
        page.goto((tmp_path / "report" / "report.html").as_uri())
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.figure')).every(f => f.querySelector('.main-svg'))",
            timeout=60_000,
        )
        notes = page.evaluate(
            "Array.from(document.querySelectorAll('.note')).map(n => n.textContent)"
        )
        assert any(note.startswith("300 of 10000 trials drawn: the best 100") for note in notes), (
            notes
        )
        assert any(note.startswith("10000 trials with a finite val_accuracy") for note in notes)
        shown = hover(page, "learning-curves", trace_name=None, point=0)
        assert any(text.startswith("trial scale_") for text in shown), shown
        assert errors == []
