"""Per-trial overhead, side by side: the same 64 digits-MLP trials (fixed configurations, FIFO)

    (a) plain      back to back in one process, plain torch (no Ray, no Lightning): the fastest
                   plain loop (batches sliced from tensors in memory, Adam's fused kernel); the
                   ideal is its time divided by the parallel slots (the CPUs);
    (b) launcher   python -m launchers.local from a cold start (a subprocess: Ray start-up,
                   trials, export and the test evaluation all counted);
    (c) tune       plain Ray Tune with a Lightning trainable, every setting at its default
                   (Tune's TuneReportCheckpointCallback, Lightning's default Trainer);
    (d) optuna     an in-process Optuna loop over the same trials (plain torch, one core);
    (e) loop       the launcher's own training loop (sweeps/trial/epoch_loop.py: the family's
                   training in plain torch, fused optimizer) back to back in one process, no Ray:
                   what a trial's training costs, apart from Ray, reporting and start-up;
    (f) trainer    64 trials of a user's own LightningModule and data module (the example
                   project's, examples/lightning_project): one hidden layer, a grid over its
                   width, the learning rate and the batch size, as plain ``Trainer.fit`` calls
                   back to back in one process: the ideal for a user's module is its time over
                   the slots;
    (g) user       the same trials, that module swept by class path with
                   ``python -m launchers.local``, from the project's folder;
    (h) pair       the same plain ``Trainer.fit`` calls in one process per slot at once, each
                   taking the next trial when it is done (imports excluded): what the slots give
                   when they all train at once, the best the launcher could do with no cost of its
                   own (they share the machine's caches, memory bandwidth and clock).

    python -m benchmarks.overhead                       # the one-minute workload and the small one
    python -m benchmarks.overhead --long-epochs minute --only plain launcher --repeat 2
    python -m benchmarks.overhead --epochs 10 --only plain launcher

Prints each wall time with its ratio to the ideal and writes JSON (benchmarks/overhead.json).
The one-minute workload's epochs (``--long-epochs``, 100 by default) were chosen so that (a) takes
about a minute on a 2-core machine on a fast day; ``--long-epochs minute`` times the plain loop
first and picks the epochs that make it take about a minute now. The small workload is 64 trials of 10
epochs, where fixed start-up costs weigh most.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (32, 64, 128, 256)
LRS = (0.001, 0.003, 0.01, 0.03)
DEPTHS = (1, 2, 3, 4)
CONFIGS = [
    {"depth": d, "width": w, "lr": lr} for d, w, lr in itertools.product(DEPTHS, WIDTHS, LRS)
]  # 64
BATCH = 64
SEED = 0
METHODS = ("plain", "launcher", "tune", "optuna", "loop", "trainer", "user", "pair")
# A user's module (f, g): one hidden layer, its width, the learning rate and the batch size.
USER_CONFIGS = [
    {"layers": 1, "hidden": width, "lr": lr, "batch_size": batch}
    for width, lr, batch in itertools.product(WIDTHS, LRS, (32, 64, 128, 256))
]  # 64
PROJECT = ROOT / "examples" / "lightning_project"  # the user's project (f, g)


def _splits() -> Any:
    """The digits splits every method trains on (the project's own split and normalisation)."""
    from lightning_modules.configs import DigitsConfig
    from lightning_modules.data.arrays import cached_splits
    from lightning_modules.data.digits import DigitsDataModule

    return cached_splits(DigitsDataModule, DigitsConfig(seed=SEED), SEED, 0)


def _plain_trial(config: dict[str, Any], epochs: int, splits: Any) -> float:
    """One trial in plain torch: the MLP, Adam, shuffled mini-batches; the best validation accuracy."""
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    layers: list[nn.Module] = []
    width_in = splits.train_x[0].numel()
    for _ in range(config["depth"]):
        layers += [nn.Linear(width_in, config["width"]), nn.ReLU()]
        width_in = config["width"]
    model = nn.Sequential(nn.Flatten(), *layers, nn.Linear(width_in, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"], fused=True)
    generator = torch.Generator().manual_seed(SEED)
    best = 0.0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(splits.train_x), generator=generator)
        for start in range(0, len(order), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(splits.train_x[index]), splits.train_y[index])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(splits.val_x).argmax(1) == splits.val_y).float().mean().item()
        best = max(best, accuracy)
    return best


def run_plain(epochs: int) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)  # one trial per core, as in every parallel method
    splits = _splits()
    started = time.perf_counter()
    best = max(_plain_trial(config, epochs, splits) for config in CONFIGS)
    return {"wall_s": time.perf_counter() - started, "best_val_accuracy": best}


def run_loop(epochs: int) -> dict[str, Any]:
    from sweeps.definition.trial_plan import ShippedTrialModel, TrialPlan
    from sweeps.trial.parts import prepare_process, shipped_folds

    plan = TrialPlan(
        model=ShippedTrialModel(
            "mlp", {"optimizer": "adam", "batch_size": BATCH}, "digits", {}, SEED
        ),
        metric="val_accuracy",
        mode="max",
        max_epochs=epochs,
        checkpoint_every=0,
        seed=SEED,
        cpus=1,
        gpus=0,
    )
    prepare_process(plan)  # one thread, as every parallel method
    started = time.perf_counter()
    best = 0.0
    for config in CONFIGS:
        folds = shipped_folds(plan, config, None)
        while (results := folds.next_epoch()) is not None:
            best = max(best, results[0].metrics["val_accuracy"])
    return {"wall_s": time.perf_counter() - started, "best_val_accuracy": best}


def run_optuna(epochs: int) -> dict[str, Any]:
    import optuna
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    splits = _splits()
    study = optuna.create_study(direction="maximize")
    for config in CONFIGS:
        study.enqueue_trial(config)
    study.optimize(
        lambda trial: _plain_trial(
            {
                "depth": trial.suggest_int("depth", 1, 4),
                "width": trial.suggest_categorical("width", list(WIDTHS)),
                "lr": trial.suggest_categorical("lr", list(LRS)),
            },
            epochs,
            splits,
        ),
        n_trials=len(CONFIGS),
    )
    return {"wall_s": time.perf_counter() - started, "best_val_accuracy": study.best_value}


def run_launcher(epochs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="overhead-") as folder:
        sweep = Path(folder) / "overhead.yaml"
        sweep.write_text(
            textwrap.dedent(f"""\
            name: overhead
            model: {{family: mlp, optimizer: adam, batch_size: {BATCH}}}
            data: {{dataset: digits}}
            space:
              depth: {{grid: {list(DEPTHS)}}}
              width: {{grid: {list(WIDTHS)}}}
              lr: {{grid: {list(LRS)}}}
            metric: val_accuracy
            mode: max
            searcher: {{name: grid}}
            scheduler: {{name: fifo}}
            stop: {{max_epochs: {epochs}}}
            seed: {SEED}
            """)
        )
        return _launch(sweep, ROOT, folder)


TUNE_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import pytorch_lightning as pl
import ray
from ray import tune
from ray.tune.integration.pytorch_lightning import TuneReportCheckpointCallback
from lightning_modules.configs import DigitsConfig, MLPConfig
from lightning_modules.data.digits import DigitsDataModule
from lightning_modules.models.mlp import MLPClassifier

EPOCHS, CONFIGS, STORAGE = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]

def trainable(config):
    datamodule = DigitsDataModule(DigitsConfig(seed=0), batch_size=64, seed=0)
    model = MLPClassifier(MLPConfig(optimizer="adam", **config), datamodule.info)
    trainer = pl.Trainer(max_epochs=EPOCHS, callbacks=[TuneReportCheckpointCallback({"val_accuracy": "val_accuracy"})])
    trainer.fit(model, datamodule=datamodule)

ray.init(address="local")
grid = {key: tune.grid_search(sorted({c[key] for c in CONFIGS})) for key in CONFIGS[0]}
results = tune.Tuner(trainable, param_space=grid, tune_config=tune.TuneConfig(metric="val_accuracy", mode="max"),
                     run_config=tune.RunConfig(storage_path=STORAGE)).fit()
with open(STORAGE + "/figures.json", "w") as out:
    json.dump({"wall_s": time.perf_counter() - started, "best_val_accuracy": results.get_best_result().metrics["val_accuracy"]}, out)
"""


def run_tune(epochs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="overhead-tune-") as folder:
        env = {**os.environ, "RAY_AUTH_MODE": "token"}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", TUNE_SCRIPT, str(epochs), json.dumps(CONFIGS), folder],
            cwd=folder,
            capture_output=True,
            text=True,
            env={**env, "PYTHONPATH": str(ROOT)},
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"plain Ray Tune failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        figures = json.loads((Path(folder) / "figures.json").read_text())
    return {"wall_s": wall, "best_val_accuracy": figures["best_val_accuracy"]}


def _user_config(config: dict[str, Any]) -> dict[str, Any]:
    """One of the user's 64 configurations as the example project's Classifier arguments: no
    dropout, weight decay or warm-up, AdamW at the configuration's learning rate."""
    return {
        "layers": config["layers"],
        "hidden": config["hidden"],
        "lr": config["lr"],
        "dropout": 0.0,
        "weight_decay": 0.0,
        "warmup_steps": 0,
    }


# The start of (f)'s and (h)'s scripts: the user's module and data module, one thread per process.
USER_SCRIPT_START = """
import json, os, sys, time
import torch
import lightning.pytorch as L
from my_project.data import Digits
from my_project.models import Classifier

torch.set_num_threads(1)  # one trial per core, as in every parallel method
for name in ("lightning.pytorch", "lightning.fabric"):
    __import__("logging").getLogger(name).setLevel("ERROR")


def train(config, batch_size, epochs):
    L.seed_everything(0, verbose=False)
    model, data = Classifier(**config), Digits(batch_size=batch_size)
    trainer = L.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(model, datamodule=data)
    return float(trainer.callback_metrics["val/acc"])
"""

TRAINER_SCRIPT = (
    USER_SCRIPT_START
    + """
EPOCHS, CONFIGS = int(sys.argv[1]), json.loads(sys.argv[2])
started = time.perf_counter()
best = max(train(config, batch_size, EPOCHS) for config, batch_size in CONFIGS)
print(json.dumps({"wall_s": time.perf_counter() - started, "best_val_accuracy": best}))
"""
)


def run_trainer(epochs: int) -> dict[str, Any]:
    """(f): plain Trainer.fit back to back, timed inside the process (imports excluded)."""
    configs = [(_user_config(config), config["batch_size"]) for config in USER_CONFIGS]
    done = subprocess.run(
        [sys.executable, "-c", TRAINER_SCRIPT, str(epochs), json.dumps(configs)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    if done.returncode != 0:
        raise SystemExit(f"plain Trainer.fit failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


PAIR_SCRIPT = (
    USER_SCRIPT_START
    + """
EPOCHS, CONFIGS, CLAIMS = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
sys.stdin.readline()  # every process has imported: go
best = 0.0
for index, (config, batch_size) in enumerate(CONFIGS):
    try:  # the first process to create a trial's marker trains it
        os.close(os.open(os.path.join(CLAIMS, str(index)), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        continue
    best = max(best, train(config, batch_size, EPOCHS))
print(json.dumps({"ended": time.time(), "best_val_accuracy": best}))
"""
)


def run_pair(epochs: int) -> dict[str, Any]:
    """(h): the plain Trainer.fit calls in one process per slot at once, from when all have
    imported torch, Lightning and the project."""
    configs = json.dumps([(_user_config(config), config["batch_size"]) for config in USER_CONFIGS])
    with tempfile.TemporaryDirectory(prefix="overhead-pair-") as claims:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", PAIR_SCRIPT, str(epochs), configs, claims],
                cwd=PROJECT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHONPATH": str(PROJECT)},
            )
            for _ in range(os.cpu_count() or 1)
        ]
        for process in processes:
            assert process.stdout is not None  # piped
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a process of the pair failed to start")
        started = time.time()
        for process in processes:
            assert process.stdin is not None  # piped
            process.stdin.write("go\n")
            process.stdin.flush()
        ends = [
            json.loads(process.communicate()[0].strip().splitlines()[-1]) for process in processes
        ]
    if any(process.returncode for process in processes):
        raise SystemExit("a process of the pair failed")
    return {
        "wall_s": max(end["ended"] for end in ends) - started,
        "best_val_accuracy": max(end["best_val_accuracy"] for end in ends),
    }


def run_user(epochs: int) -> dict[str, Any]:
    """(g): the example project's module swept by class path, from a cold start."""
    space = {
        f"model.{key}": {"grid": sorted({config[key] for config in USER_CONFIGS})}
        for key in ("hidden", "lr")
    }
    space["data.batch_size"] = {"grid": sorted({c["batch_size"] for c in USER_CONFIGS})}
    with tempfile.TemporaryDirectory(prefix="overhead-user-") as folder:
        sweep = Path(folder) / "overhead_user.yaml"
        sweep.write_text(
            json.dumps(
                {
                    "name": "overhead_user",
                    "model": {
                        "class_path": "my_project.models.Classifier",
                        "init_args": {
                            "layers": 1,
                            "dropout": 0.0,
                            "weight_decay": 0.0,
                            "warmup_steps": 0,
                        },
                    },
                    "data": {"class_path": "my_project.data.Digits"},
                    "space": space,
                    "metric": "val/acc",
                    "mode": "max",
                    "searcher": {"name": "grid"},
                    "scheduler": {"name": "fifo"},
                    "stop": {"max_epochs": epochs},
                    "seed": SEED,
                }
            )
        )
        return _launch(sweep, PROJECT, folder)


def _launch(sweep: Path, cwd: Path, storage: str) -> dict[str, Any]:
    """``python -m launchers.local SWEEP`` from ``cwd``, timed from a cold start."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "launchers.local", str(sweep), "--storage", storage],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"the launcher failed on {sweep.name}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    best = json.loads((Path(storage) / sweep.stem / "best.json").read_text())["value"]
    return {"wall_s": wall, "best_val_accuracy": best}


RUNNERS = {
    "plain": run_plain,
    "launcher": run_launcher,
    "tune": run_tune,
    "optuna": run_optuna,
    "loop": run_loop,
    "trainer": run_trainer,
    "user": run_user,
    "pair": run_pair,
}
# What each method's time is compared with: the plain-torch ideal, or for a user's module (run
# through the launcher, or plainly in one process per slot) the plain Trainer.fit ideal.
IDEAL_OF = {"user": "trainer", "pair": "trainer"}


MINUTE = "minute"


def _epochs_or_minute(value: str) -> int | str:
    if value == MINUTE:
        return value
    try:
        epochs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of epochs or {MINUTE!r}") from None
    if epochs < 1:
        raise argparse.ArgumentTypeError("at least one epoch")
    return epochs


def minute_epochs(seconds: float = 60.0) -> int:
    """The epochs per trial for which the plain loop (a) takes about ``seconds`` on this machine
    now: its speed swings by a factor of three between days, while the launcher's fixed costs
    swing less, so a fixed epoch count would measure a different workload each day. Timed as the
    difference between ten epochs and two, which leaves out each trial's slower first epoch; the
    machine's speed also jitters within a minute, so the workload comes out within about a
    fifth of a minute."""
    two, ten = run_plain(2)["wall_s"], run_plain(10)["wall_s"]
    per_epoch = max(ten - two, 1e-3) / 8
    epochs = max(1, round((seconds - two) / per_epoch) + 2)
    print(f"the plain loop takes {per_epoch:.2f} s per epoch of all trials: {epochs} epochs")
    return epochs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--long-epochs",
        type=_epochs_or_minute,
        default=100,
        help="epochs per trial of the one-minute workload, or 'minute': as many as make the plain "
        "loop take about a minute on this machine now (timed over a few epochs first)",
    )
    parser.add_argument(
        "--epochs", type=int, nargs="+", help="workloads to run (default: the long one and 10)"
    )
    parser.add_argument("--only", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the methods, interleaved; each method's fastest round is kept (the one "
        "least slowed by other load on a shared machine)",
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "overhead.json"))
    args = parser.parse_args(argv)
    slots = os.cpu_count() or 1
    if args.epochs:
        workloads = args.epochs
    else:
        long_epochs = minute_epochs() if args.long_epochs == MINUTE else args.long_epochs
        workloads = [long_epochs, 10]
    report: dict[str, Any] = {"trials": len(CONFIGS), "slots": slots, "workloads": {}}
    print(f"{len(CONFIGS)} digits-MLP trials, FIFO, {slots} parallel slots")
    print(f"{'epochs':>6} {'method':<9} {'wall s':>8} {'x ideal':>8} {'best val':>9}")
    for epochs in workloads:
        figures: dict[str, Any] = {}
        wanted = list(
            dict.fromkeys(
                ["plain", *(["trainer"] if {"user", "pair"} & set(args.only) else []), *args.only]
            )
        )
        rounds: dict[str, list[dict[str, Any]]] = {method: [] for method in wanted}
        for _ in range(max(1, args.repeat)):
            for method in wanted:
                rounds[method].append(RUNNERS[method](epochs))
        for method, runs in rounds.items():
            figures[method] = {
                **min(runs, key=lambda run: run["wall_s"]),
                "walls_s": [run["wall_s"] for run in runs],
            }
        ideals = {"plain": figures["plain"]["wall_s"] / slots}
        if "trainer" in figures:
            ideals["trainer"] = figures["trainer"]["wall_s"] / slots
        for method, row in figures.items():
            against = IDEAL_OF.get(method, "plain")
            row["ideal"] = against
            row["ratio_to_ideal"] = row["wall_s"] / ideals[against]
            print(
                f"{epochs:>6} {method:<9} {row['wall_s']:>8.1f} {row['ratio_to_ideal']:>8.2f} {row['best_val_accuracy']:>9.4f}"
                + (f"  (x the {against} ideal)" if against != "plain" else "")
            )
        report["workloads"][str(epochs)] = {
            "ideal_s": ideals["plain"],
            "ideals_s": ideals,
            **figures,
        }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
