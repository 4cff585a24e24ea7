"""A shipped family's checkpoint is evaluated with torch alone, and its test metrics are the ones
the family's own LightningModule logs in Lightning's test loop: for every family, a classifier
and a regressor, and the mean over the fold models of a k-fold checkpoint."""

import subprocess
import sys

import pytest

from lightning_modules.checkpoint import checkpoint_files, load_model, read_checkpoint
from lightning_modules.evaluation import evaluate_checkpoint
from lightning_modules.registry import DATASETS
from sweeps.trial.parts import prepare_process, shipped_folds
from tests.conftest import ROOT
from tests.helpers.plans import shipped_plan
from tests.helpers.trainers import quick_trainer

CASES = {
    "mlp-batchnorm-dropout": (
        "mlp",
        {"depth": 2, "width": 16, "norm": "batch", "dropout": 0.3},
        "digits",
        {},
    ),
    "mlp-regression": ("mlp", {"loss": "mse", "width": 16}, "synthetic", {"task": "regression"}),
    "mlp-bce": ("mlp", {"loss": "bce", "width": 16}, "synthetic", {"classes": 2}),
    "mlp-kfold": ("mlp", {"width": 16}, "digits", {"validation": "kfold", "folds": 2}),
    "cnn": ("cnn", {"channels": 4, "norm": "batch"}, "digits", {"layout": "image"}),
    "rnn": ("rnn", {"hidden_size": 8}, "digits", {"layout": "sequence"}),
    "transformer": (
        "transformer",
        {"d_model": 8, "heads": 2, "ff_dim": 16, "layers": 1},
        "digits",
        {"layout": "sequence"},
    ),
    "diffusion": (
        "diffusion",
        {"channels": 4, "blocks": 1, "diffusion_steps": 10},
        "digits",
        {"layout": "image"},
    ),
}


def trained(folder, family, model_args, dataset, data_args):
    plan = shipped_plan(
        family=family,
        model_args=model_args,
        dataset=dataset,
        data_args=data_args,
        metric="val_loss",
        mode="min",
    )
    prepare_process(plan)
    group = shipped_folds(plan, {}, None)
    while group.next_epoch() is not None:
        pass
    group.save(folder)
    return folder


def lightning_test_metrics(file):
    """The module's own test epoch under Lightning's Trainer, on the data module the checkpoint
    names."""
    stored = read_checkpoint(file)
    model = load_model(file)
    entry = DATASETS[stored["dataset"]["name"]]
    datamodule = entry.datamodule_class()(
        entry.config.from_stored(stored["dataset"]["config"]),
        batch_size=model.config.batch_size,
        fold=stored["dataset"]["fold"],
    )
    (metrics,) = quick_trainer().test(model, datamodule=datamodule, verbose=False)
    return metrics


@pytest.mark.parametrize("case", CASES)
def test_the_torch_evaluation_equals_the_modules_own_test_loop(case, tmp_path):
    folder = trained(tmp_path, *CASES[case])
    per_model = [lightning_test_metrics(file) for file in checkpoint_files(folder)]
    expected = {name: sum(m[name] for m in per_model) / len(per_model) for name in per_model[0]}
    assert evaluate_checkpoint(folder) == pytest.approx(expected, rel=1e-5)


def test_a_shipped_checkpoint_is_evaluated_without_importing_lightning(tmp_path):
    """The helper that evaluates the best checkpoint of a shipped family's sweep: warmed up with
    what the runner preloads, then asked for one checkpoint."""
    folder = trained(tmp_path, *CASES["mlp-kfold"])
    code = (
        "import sys\n"
        "from sweeps.driver.checkpoint_evaluation import serve\n"
        "serve(['lightning_modules.evaluation', 'lightning_modules.data.arrays',"
        " 'lightning_modules.networks.mlp', 'lightning_modules.data.sources.digits'])\n"
        "print(sorted(m for m in ('lightning', 'pytorch_lightning', 'lightning_fabric',"
        " 'torchmetrics') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        input=f"{folder}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    answer, loaded = run.stdout.strip().splitlines()[-2:]
    assert '"test_accuracy"' in answer and loaded == "[]"
