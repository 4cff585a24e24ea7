"""How the driver scales with the number of trials, and the outputs with the size of a sweep.

    (1) sweeps of 1,000, 2,000 and 4,000 trivial trials (a width-8 MLP, one epoch on 60 synthetic
        samples, FIFO, random search) through the runner on the embedded Ray, each in a fresh
        process: wall time, wall time per trial, the driver's CPU time per trial and the driver's
        peak memory (its own process; Ray's processes and the trials' workers are not counted);
    (2) a 10,000-trial result set (20 epochs each, 200,000 metric rows) written by the exporter
        (trials.parquet, metrics.parquet, best.json, pareto.json) and then read by the report
        (summary, importance, PNG plots, the interactive page): the time of each, and of
        ``python -m launchers.report`` over it as a command; then the page opened in Debian's
        chromium (headless, where installed): the time until every plot is drawn and the time a
        hover over a learning curve takes to show its label.

    python -m benchmarks.scale                          # trials 1000 2000 4000, then 10,000 exported
    python -m benchmarks.scale --trials 200 --export-trials 2000

Prints a table and writes JSON (benchmarks/scale.json).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EPOCHS_PER_EXPORTED_TRIAL = 20

SWEEP = """\
name: scale
model: {{family: mlp, depth: 1, width: 8, batch_size: 64}}
data: {{dataset: synthetic, samples: 60, features: 4, val_fraction: 0.25, test_fraction: 0.25}}
space:
  lr: {{logfloat: [1.0e-4, 1.0e-1]}}
  dropout: {{float: [0.0, 0.5]}}
metric: val_accuracy
mode: max
searcher: {{name: random}}
scheduler: {{name: fifo}}
trials: {{num_samples: {trials}}}
stop: {{max_epochs: 1}}
seed: 0
"""

# Run in a fresh process per sweep size, so each driver's memory and CPU time are its own.
DRIVER = """
import json, resource, sys, time
from sweeps.driver.runner import run_sweep
from sweeps.definition import load_sweep
spec = load_sweep(sys.argv[1])
started = time.perf_counter()
outcome = run_sweep(spec, sys.argv[2], progress_interval_s=1e9)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": wall, "driver_cpu_s": usage.ru_utime + usage.ru_stime,
                  "driver_peak_rss_mib": usage.ru_maxrss / 1024, "completed": outcome.status_counts.get("completed", 0)}))
"""


def run_trials(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="scale-") as folder:
        sweep = Path(folder) / "scale.yaml"
        sweep.write_text(SWEEP.format(trials=count))
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, str(sweep), folder],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=_ray_env(),
        )
        if done.returncode != 0:
            raise SystemExit(
                f"the {count}-trial sweep failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        measured = json.loads(done.stdout.strip().splitlines()[-1])
    measured["trials"] = count
    measured["wall_ms_per_trial"] = 1000 * measured["wall_s"] / count
    measured["driver_cpu_ms_per_trial"] = 1000 * measured["driver_cpu_s"] / count
    return measured


def _ray_env() -> dict[str, str]:
    import os

    return {**os.environ, "RAY_AUTH_MODE": "token", "PYTHONUNBUFFERED": "1"}


def synthetic_records(count: int, spec: Any) -> list[Any]:
    """``count`` finished trials of the scale sweep, each with a learning curve of 20 epochs."""
    from sweeps.driver.output_tables import TrialRecord

    rng = random.Random(0)
    records = []
    for index in range(count):
        lr, dropout = 10 ** rng.uniform(-4, -1), rng.uniform(0, 0.5)
        ceiling = 0.95 - abs(lr - 0.01) * 3 - dropout * 0.1
        history = []
        for epoch in range(1, EPOCHS_PER_EXPORTED_TRIAL + 1):
            accuracy = ceiling * (1 - 0.5**epoch) + rng.gauss(0, 0.01)
            history.append(
                {
                    "epoch": epoch,
                    "val_accuracy": accuracy,
                    "val_loss": 1 - accuracy,
                    "train_accuracy": accuracy + 0.02,
                    "train_loss": 0.9 - accuracy,
                    "timestamp": 1_800_000_000 + index * 30 + epoch,
                    "time_total_s": epoch * 1.5,
                    "diverged": False,
                }
            )
        trial_id = f"scale_{index:05d}"
        records.append(
            TrialRecord(
                trial_id=trial_id,
                status="completed",
                config={"lr": lr, "dropout": dropout},
                history=history,
                checkpoints=[],
                error=None,
                trial_dir=f"/nowhere/{trial_id}",
            )
        )
    return records


def export_and_report(count: int) -> dict[str, Any]:
    import yaml

    from sweeps.analysis.report import write_report
    from sweeps.analysis.results import load_sweep_results
    from sweeps.definition import sweep_from_dict
    from sweeps.driver.output_tables import write_outputs

    spec = sweep_from_dict(yaml.safe_load(SWEEP.format(trials=count)), source="scale")
    records = synthetic_records(count, spec)
    with tempfile.TemporaryDirectory(prefix="scale-export-") as folder:
        out = Path(folder)
        (out / "sweep.yaml").write_text(SWEEP.format(trials=count))
        started = time.perf_counter()
        write_outputs(records, spec, out, test_metrics=lambda checkpoint: {})
        exported = time.perf_counter() - started
        started = time.perf_counter()
        results = load_sweep_results(out)
        write_report(results, out / "report")
        reported = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "launchers.report", str(out), "--out", str(out / "again")],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        command = time.perf_counter() - started
        sizes = {
            name: (out / name).stat().st_size
            for name in ("trials.parquet", "metrics.parquet", "report/report.html")
        }
        browser = page_in_browser(out / "report" / "report.html")
    return {
        "trials": count,
        "metric_rows": count * EPOCHS_PER_EXPORTED_TRIAL,
        "export_s": exported,
        "report_s": reported,
        "report_command_s": command,
        "bytes": sizes,
        **browser,
    }


def page_in_browser(page_file: Path) -> dict[str, Any]:
    """Seconds until every plot of the page is drawn, and until a hover's label shows."""
    chromium = Path("/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if not chromium.is_file():
        return {}
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(chromium), headless=True, args=flags
        )
        page = context.new_page()
        started = time.perf_counter()
        page.goto(page_file.as_uri())
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.figure')).every(f => f.querySelector('.main-svg'))",
            timeout=120_000,
        )
        drawn = time.perf_counter() - started
        x, y = page.evaluate(
            """() => {
                const gd = document.getElementById('learning-curves');
                gd.scrollIntoView({block: 'center'});
                const trace = gd.data.find(t => t.customdata);
                const L = gd._fullLayout, box = gd.getBoundingClientRect();
                return [box.left + L._size.l + L.xaxis.l2p(trace.x[0]),
                        box.top + L._size.t + L.yaxis.l2p(trace.y[0])];
            }"""
        )
        page.mouse.move(x + 20, y + 20)
        started = time.perf_counter()
        page.mouse.move(x, y)
        page.wait_for_function(
            "document.querySelectorAll('#learning-curves .hoverlayer text').length > 0"
        )
        hovered = time.perf_counter() - started
        context.close()
    return {"page_drawn_s": drawn, "hover_s": hovered}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--trials", type=int, nargs="+", default=[1000, 2000, 4000], help="sweep sizes to run"
    )
    parser.add_argument(
        "--export-trials", type=int, default=10_000, help="trials in the exported result set"
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "scale.json"))
    args = parser.parse_args(argv)

    sweeps = []
    print("trials   wall s  wall ms/trial  driver cpu ms/trial  driver peak MiB")
    for count in args.trials:
        row = run_trials(count)
        sweeps.append(row)
        print(
            f"{count:6d} {row['wall_s']:8.1f} {row['wall_ms_per_trial']:14.1f} {row['driver_cpu_ms_per_trial']:20.1f}"
            f" {row['driver_peak_rss_mib']:16.0f}",
            flush=True,
        )
    exported = export_and_report(args.export_trials)
    print(
        f"\nexport of {exported['trials']} trials ({exported['metric_rows']} metric rows): "
        f"{exported['export_s']:.2f} s; report over them: {exported['report_s']:.2f} s "
        f"(python -m launchers.report: {exported['report_command_s']:.2f} s)"
    )
    if "page_drawn_s" in exported:
        print(
            f"the page ({exported['bytes']['report/report.html'] / 2**20:.1f} MiB) in chromium: "
            f"every plot drawn after {exported['page_drawn_s']:.2f} s, a hover's label after "
            f"{exported['hover_s'] * 1000:.0f} ms"
        )
    Path(args.out).write_text(json.dumps({"sweeps": sweeps, "export": exported}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
