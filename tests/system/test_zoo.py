"""Every project of the zoo (tests/zoo/) through every path of the tool, each project as its user
has it: copied into a folder of its own outside the repository and swept from there.

The paths, and the runs that take them (each run checked for every path it takes, so that the
matrix fits the suite's time):

    its own sweep.yaml (random search, ASHA; two trials) with a crash injected before every
        trial's second epoch and one retry:
                                        random + ASHA, crash retried, best.json's test
    PBT, synchronous, two trials:       PBT (exploits counted in the checkpoints' lineage)
    one trial on two data-parallel workers:
                                        workers: 2
    launchers.cluster on a two-node cluster on loopback whose worker node, where the trials run
        (the head has no CPU), cannot see the project (it is shipped): a trial searched by TPE,
        the driver SIGKILLed once it has a checkpoint, then launchers.cluster --resume:
                                        cluster, TPE, kill and --resume
    launchers.evaluate on every project's best checkpoint, launchers.report on each sweep

Each cell is ``works`` or the one line that says why it does not; the table in
docs/your-own-model.md is this test's outcome, and every cell must be what it says. After a
change that rightly changes a cell, write the table anew:

    SWEEP_ZOO_TABLE=write .venv/bin/python -m pytest tests/system/test_zoo.py

``SWEEP_ZOO_ONLY=objects_in_hparams,cli_injection`` runs those projects alone (while working on
one); the table is only written from a run of every project. The sweeps on this machine run in
two queues, each one after another on an embedded Ray of its own (tests/helpers/
sweeps_on_one_ray.py), beside the cluster's; each cell's seconds are printed (pytest -s).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from lightning_modules.checkpoint import read_checkpoint
from tests.conftest import ROOT, launcher_env, run_launcher
from tests.helpers.clusters import two_node_cluster
from tests.helpers.processes import results
from tests.helpers.sweeps_on_one_ray import Queue
from tests.helpers.zoo import PROJECTS as EVERY_PROJECT
from tests.helpers.zoo import copy_project

pytestmark = [pytest.mark.slow, pytest.mark.cluster, pytest.mark.timeout(2400)]

PATHS = {
    "asha": "random + ASHA",
    "tpe": "TPE",
    "pbt": "PBT",
    "crash": "crash, retried",
    "resume": "kill, --resume",
    "workers": "workers: 2",
    "cluster": "cluster",
    "test": "best.json test",
    "evaluate": "evaluate",
    "report": "report",
}
# The runs on a shared embedded Ray: each one's --set options and the faults its trials commit.
QUEUED = {
    "own": (
        [
            "trials.num_samples=2",
            "trials.max_concurrent=1",
            "checkpoint.every=1",
            "failure.max_retries=1",
        ],
        {"crash": {}},
    ),
    "pbt": (
        [
            "scheduler={name: pbt, synch: true, perturbation_interval: 2}",
            "trials.num_samples=2",
            "stop.max_epochs=3",
        ],
        None,
    ),
    "ddp": (
        [
            "scheduler={name: fifo}",
            "trials.num_samples=1",
            "stop.max_epochs=1",
            "resources.workers=2",
        ],
        None,
    ),
}
ON_CLUSTER = [
    "searcher={name: tpe}",
    "scheduler={name: fifo}",
    "trials.num_samples=1",
    "stop.max_epochs=3",
    "checkpoint.every=1",
]
ONLY = [name for name in os.environ.get("SWEEP_ZOO_ONLY", "").split(",") if name]
PROJECTS = [project for project in EVERY_PROJECT if not ONLY or project in ONLY]
DOCS = ROOT / "docs" / "your-own-model.md"
TABLE_BEGIN = "<!-- zoo table: written by tests/system/test_zoo.py; do not edit -->"
TABLE_END = "<!-- end of zoo table -->"


@dataclass
class Cell:
    outcome: str  # "works", or why not
    seconds: float = 0.0


Cells = dict[tuple[str, str], Cell]


def run_name(project: str, run: str) -> str:
    return f"{project}-{run}"


def trials_of(folder: Path) -> list[dict]:
    return pq.read_table(folder / "trials.parquet").to_pylist()


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def ended(rows: list[dict]) -> str:
    return f"trials ended {sorted((row['status'], row['epochs']) for row in rows)}"


def every(cells: Cells, project: str, paths: tuple[str, ...], outcome: str, seconds: float) -> None:
    for path in paths:
        cells[project, path] = Cell(outcome, seconds)


# The project's own sweep, with a crash; PBT ------------------------------------------------------


def check_own(folder: Path) -> tuple[str | None, str | None]:
    """(what is wrong with random search and ASHA, what is wrong with the crash's retries)."""
    rows = trials_of(folder)
    statuses = {row["status"] for row in rows}
    search = None
    if not statuses <= {"completed", "stopped"} or "completed" not in statuses:
        search = ended(rows)
    else:
        search = check_outputs(folder)
    crashed = [row for row in rows if row["epochs"] >= 2]
    if not crashed:
        return search, "no trial trained past the crash"
    for row in crashed:
        errors = (folder / row["trial_id"] / "error.txt").read_text()
        if errors.count("Failure #") != 1 or "injected fault: a crash" not in errors:
            return search, f"trial {row['trial_id']} did not fail exactly once, at the crash"
    reported = [
        (row["trial_id"], row["epoch"])
        for row in pq.read_table(folder / "metrics.parquet").to_pylist()
    ]
    if len(reported) != len(set(reported)) or len(reported) != sum(row["epochs"] for row in rows):
        return search, f"epochs reported more or less than once: {sorted(reported)}"
    return search, None


def check_user_loggers(project: Path, folder: Path) -> str | None:
    """A project's own CSV logger (its config's trainer.logger) kept, one folder per trial."""
    fit = project / "configs" / "fit.yaml"
    config = (yaml.safe_load(fit.read_text()) if fit.is_file() else None) or {}
    logger = (config.get("trainer") or {}).get("logger")
    if not isinstance(logger, dict) or not logger["class_path"].endswith("CSVLogger"):
        return None
    logs = project / logger["init_args"]["save_dir"] / folder.name
    for row in trials_of(folder):
        if row["epochs"] and not (logs / f"trial_{row['trial_id']}" / "metrics.csv").is_file():
            return f"its own CSVLogger wrote no {logs}/trial_{row['trial_id']}/metrics.csv"
    return None


def check_outputs(folder: Path) -> str | None:
    """The sweep's metric in the tables and in the best trial's TensorBoard run."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    metric = yaml.safe_load((folder / "sweep.yaml").read_text())["metric"]
    if metric not in pq.read_table(folder / "metrics.parquet").column_names:
        return f"metrics.parquet has no column {metric!r}"
    best = json.loads((folder / "best.json").read_text())
    run = EventAccumulator(str(folder / "tensorboard" / best["trial_id"]))
    run.Reload()
    if metric not in run.Tags()["scalars"]:
        return f"the best trial's TensorBoard run has no scalar {metric!r}"
    return None


def check_pbt(folder: Path) -> str | None:
    rows = trials_of(folder)
    if not {row["status"] for row in rows} <= {"completed", "stopped"}:
        return ended(rows)
    restores = max(
        len(read_checkpoint(file).get("sweep_lineage") or [])
        for file in folder.glob("*/checkpoint_*/model.ckpt")
    )
    return None if restores else "no exploit is recorded in any checkpoint's lineage"


def check_workers(folder: Path) -> str | None:
    (row,) = trials_of(folder)
    if row["status"] != "completed":
        return f"the trial ended {row['status']}: {row['error']}"
    world = read_checkpoint(row["checkpoint"]).get("world_size")
    return None if world == 2 else f"its checkpoint was written by {world} process(es)"


def queued_cells(cells: Cells, storage: Path, project: str, outcomes: dict) -> None:
    own = outcomes.get(run_name(project, "own"))
    if own is None or "error" in own:
        why = last_line(own["error"]) if own else "never ran (its queue stopped before it)"
        every(cells, project, ("asha", "crash"), why, own["seconds"] if own else 0.0)
    else:
        search, crash = check_own(storage / run_name(project, "own"))
        cells[project, "asha"] = Cell(search or "works", own["seconds"])
        cells[project, "crash"] = Cell(crash or "works", own["seconds"])
    for run, path, check in (("pbt", "pbt", check_pbt), ("ddp", "workers", check_workers)):
        outcome = outcomes.get(run_name(project, run))
        if outcome is None or "error" in outcome:
            why = last_line(outcome["error"]) if outcome else "never ran (its queue stopped)"
            cells[project, path] = Cell(why, outcome["seconds"] if outcome else 0.0)
        else:
            problem = check(storage / run_name(project, run))
            cells[project, path] = Cell(problem or "works", outcome["seconds"])


def run_queue(storage: Path, folders: dict[str, Path], runs: tuple[str, ...]) -> dict:
    """The ``runs`` of every project, one after another on one embedded Ray."""
    requests = [
        {
            "path": "sweep.yaml",
            "cwd": str(folders[project]),
            "name": run_name(project, run),
            "overrides": QUEUED[run][0],
            "faults": QUEUED[run][1],
        }
        for run in runs
        for project in folders
    ]
    pythonpath = os.pathsep.join(str(folder) for folder in folders.values())
    queue = Queue(storage, requests, "-".join(runs), launcher_env(PYTHONPATH=pythonpath))
    return queue.outcomes(timeout_s=1500)


# The paths that need launchers of their own ---------------------------------------------------


def sets(options: list[str]) -> list[str]:
    return [part for option in options for part in ("--set", option)]


def cluster_cells(cells: Cells, folder: Path, storage: Path, address: str, token: str) -> None:
    """TPE on the cluster, its launcher SIGKILLed once a trial has a checkpoint, then resumed."""
    project, started = folder.name, time.monotonic()
    name = run_name(project, "cluster")
    args = ["sweep.yaml", "--address", address, "--storage", str(storage), "--name", name]
    args += sets(ON_CLUSTER)
    paths = ("cluster", "tpe", "resume")
    driver = subprocess.Popen(
        [sys.executable, "-m", "launchers.cluster", *args],
        cwd=folder,
        env=launcher_env(RAY_AUTH_TOKEN=token),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not any(
            any(row.get("checkpoint_dir_name") for row in rows)
            for rows in results(storage / name).values()
        ):
            if driver.poll() is not None:
                why = f"the sweep ended (status {driver.returncode}) before it could be killed"
                return every(cells, project, paths, why, time.monotonic() - started)
            if time.monotonic() > deadline:
                why = "no trial saved a checkpoint within 180 s"
                return every(cells, project, paths, why, time.monotonic() - started)
            time.sleep(0.1)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    resumed = run_launcher(
        "cluster", *args, "--resume", cwd=folder, env=launcher_env(RAY_AUTH_TOKEN=token)
    )
    seconds = time.monotonic() - started
    if resumed.returncode != 0:
        why = f"--resume exited {resumed.returncode}: {last_line(resumed.stderr + resumed.stdout)}"
        return every(cells, project, paths, why, seconds)
    rows = trials_of(storage / name)
    outcome = (
        "works" if [(r["status"], r["epochs"]) for r in rows] == [("completed", 3)] else ended(rows)
    )
    every(cells, project, paths, outcome, seconds)


def reason(text: str) -> str:
    """A one-line reason without the machine's paths in it (``error: /tmp/.../model.ckpt: X``
    reads ``X``), so that the docs' table holds the same text on every run."""
    parts = [part for part in text.removeprefix("error: ").split(": ") if not part.startswith("/")]
    return ": ".join(parts)


def best_test_cell(storage: Path, project: str) -> Cell:
    best = json.loads((storage / run_name(project, "own") / "best.json").read_text())
    test = best.get("test")
    if isinstance(test, dict) and "error" in test:
        return Cell(reason(str(test["error"])))
    if isinstance(test, dict) and test and all(isinstance(v, float) for v in test.values()):
        return Cell("works")
    return Cell(f"best.json's test is {test!r}")


def evaluate_cells(cells: Cells, folders: dict[str, Path], storage: Path) -> None:
    """launchers.evaluate on every project's best checkpoint, in one process (the projects on
    its PYTHONPATH, as each would be from its own folder)."""
    best = {
        project: json.loads((storage / run_name(project, "own") / "best.json").read_text())
        for project in folders
        if cells[project, "asha"].outcome == "works"
    }
    if not best:
        return
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "launchers.evaluate", "--json"]
        + [entry["checkpoint"] for entry in best.values()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=launcher_env(PYTHONPATH=os.pathsep.join(str(folder) for folder in folders.values())),
    )
    seconds = round((time.monotonic() - started) / len(best), 1)
    printed = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    if len(best) == 1 and printed and "checkpoint" not in printed[0]:
        # One checkpoint: the launcher prints its metrics alone (SWEEP_ZOO_ONLY of one project).
        (entry,) = best.values()
        printed = [{"checkpoint": entry["checkpoint"], "metrics": printed[0]}]
    answers = {answer["checkpoint"]: answer for answer in printed}
    for project, entry in best.items():
        answer = answers.get(entry["checkpoint"])
        if answer is None:
            cells[project, "evaluate"] = Cell(f"no answer: {last_line(run.stderr)}", seconds)
        elif "error" in answer:
            cells[project, "evaluate"] = Cell(reason(answer["error"]), seconds)
        elif not isinstance(entry["test"], dict) or answer["metrics"] != pytest.approx(
            entry["test"]
        ):
            why = f"its metrics {answer['metrics']} differ from best.json's {entry['test']}"
            cells[project, "evaluate"] = Cell(why, seconds)
        else:
            cells[project, "evaluate"] = Cell("works", seconds)


def report_cell(folder: Path, storage: Path) -> Cell:
    started = time.monotonic()
    out = storage / run_name(folder.name, "report")
    swept = storage / run_name(folder.name, "own")
    run = run_launcher("report", str(swept), "--out", str(out), cwd=folder)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        return Cell(f"exited {run.returncode}: {last_line(run.stderr + run.stdout)}", seconds)
    return Cell("works" if (out / "report.html").is_file() else "no report.html", seconds)


# The whole matrix ---------------------------------------------------------------------------


def side_by_side(*jobs: Callable[[], object]) -> list:
    """Run the jobs in threads at once; their results, in order."""
    found: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            found[index] = job()
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return found


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> Cells:
    """Three lanes side by side (the machine's two cores stay busy while one lane waits), each
    about as long as the others: the projects' own sweeps, the launchers that read their results,
    then half of the PBT sweeps; the other half of the PBT sweeps, then the data-parallel ones; the
    cluster's runs."""
    projects_root = tmp_path_factory.mktemp("projects")
    storage = tmp_path_factory.mktemp("results")
    folders = {project: copy_project(project, projects_root) for project in PROJECTS}
    half = len(folders) // 2
    first_half = dict(list(folders.items())[:half])
    second_half = dict(list(folders.items())[half:])
    cells: Cells = {}
    outcomes: dict = {}

    def own_sweeps_then_reading_results() -> None:
        outcomes.update(run_queue(storage, folders, ("own",)))
        for project in folders:
            if (
                run_name(project, "own") not in outcomes
                or "error" in outcomes[run_name(project, "own")]
            ):
                continue
            if check_own(storage / run_name(project, "own"))[0] is None:
                cells[project, "test"] = best_test_cell(storage, project)
                cells[project, "report"] = report_cell(folders[project], storage)
        if first_half:
            outcomes.update(run_queue(storage, first_half, ("pbt",)))

    def other_sweeps() -> None:
        outcomes.update(run_queue(storage, second_half, ("pbt", "ddp")))
        if first_half:
            outcomes.update(run_queue(storage, first_half, ("ddp",)))

    def on_cluster() -> None:
        nodes = tmp_path_factory.mktemp("nodes")
        # The head has no CPU: every trial runs on the worker node, which cannot see the project.
        cluster = two_node_cluster(nodes, hidden=projects_root, cwd=nodes, head_cpus=0)
        with cluster as (address, token, _):
            for folder in folders.values():
                cluster_cells(cells, folder, storage, address, token)

    side_by_side(own_sweeps_then_reading_results, other_sweeps, on_cluster)
    for project in folders:
        queued_cells(cells, storage, project, outcomes)
        if cells[project, "asha"].outcome == "works":
            problem = check_user_loggers(folders[project], storage / run_name(project, "own"))
            if problem:
                cells[project, "asha"] = Cell(problem, cells[project, "asha"].seconds)
        if cells[project, "asha"].outcome != "works":
            why = "its own sweep did not work"
            every(cells, project, ("test", "evaluate", "report"), why, 0.0)
    evaluate_cells(cells, folders, storage)
    for (project, path), cell in sorted(cells.items()):
        print(f"zoo {project:<20} {PATHS[path]:<16} {cell.seconds:6.1f} s  {cell.outcome}")
    return cells


# The table in the docs ----------------------------------------------------------------------


def table(cells: Cells) -> str:
    lines = [
        "| project | " + " | ".join(PATHS.values()) + " |",
        "| --- |" + " --- |" * len(PATHS),
    ]
    for project in PROJECTS:
        row = [cells[project, path].outcome.replace("|", "\\|") for path in PATHS]
        lines.append(f"| `{project}` | " + " | ".join(row) + " |")
    return "\n".join(lines)


def documented() -> dict[tuple[str, str], str]:
    text = DOCS.read_text()
    if TABLE_BEGIN not in text:
        return {}
    body = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0]
    found = {}
    for line in body.strip().splitlines()[2:]:
        parts = [part.strip() for part in re.split(r"(?<!\\)\|", line)[1:-1]]
        project = parts[0].strip("`")
        for path, outcome in zip(PATHS, parts[1:], strict=True):
            found[project, path] = outcome.replace("\\|", "|")
    return found


def write_table(cells: Cells) -> None:
    text = DOCS.read_text()
    block = f"{TABLE_BEGIN}\n\n{table(cells)}\n\n{TABLE_END}"
    if TABLE_BEGIN in text:
        before, rest = text.split(TABLE_BEGIN, 1)
        text = before + block + rest.split(TABLE_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.write_text(text)


@pytest.fixture(scope="module")
def expected(matrix) -> dict[tuple[str, str], str]:
    if os.environ.get("SWEEP_ZOO_TABLE") == "write" and PROJECTS == EVERY_PROJECT:
        write_table(matrix)
    return documented()


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("project", PROJECTS)
def test_every_project_takes_every_path_as_the_docs_say(matrix, expected, project, path):
    cell = matrix[project, path]
    assert (project, path) in expected, f"docs/your-own-model.md has no cell for {project} x {path}"
    assert cell.outcome == expected[project, path]
