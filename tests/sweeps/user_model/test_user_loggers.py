"""The user's own Lightning loggers, kept with one run per trial (sweeps.user_model.user_loggers)."""

from __future__ import annotations

from sweeps.user_model.user_loggers import (
    kept_note,
    logger_entries,
    with_trial_identity,
    without_loggers,
)

FOLDER = "/results/sweep"


def logger(class_path: str, **init_args) -> dict:
    return {"class_path": class_path, "init_args": init_args}


def told(*entries: dict, listed: bool = True) -> list[dict]:
    config = {"trainer": {"logger": list(entries) if listed else entries[0]}, "model": {}}
    result = with_trial_identity(config, "ab12c_00003", "sweep", FOLDER)
    assert config["trainer"]["logger"] == (list(entries) if listed else entries[0])  # untouched
    return logger_entries(result["trainer"]["logger"])


def test_file_loggers_write_one_folder_per_trial():
    csv, tensorboard = told(
        logger("lightning.pytorch.loggers.CSVLogger", save_dir="/p/logs"),
        logger("lightning.pytorch.loggers.TensorBoardLogger", save_dir="/p/tb", name="mine"),
    )
    assert csv["init_args"] == {
        "save_dir": "/p/logs",
        "name": "sweep",
        "version": "trial_ab12c_00003",
    }
    assert tensorboard["init_args"]["name"] == "mine"  # the user's name stays
    assert tensorboard["init_args"]["version"] == "trial_ab12c_00003"


def test_a_wandb_logger_continues_the_trials_one_run():
    (first,) = told(logger("lightning.pytorch.loggers.WandbLogger", project="p"), listed=False)
    (again,) = told(logger("lightning.pytorch.loggers.WandbLogger", project="p"), listed=False)
    assert first["init_args"]["id"] == again["init_args"]["id"]  # a restart: the same run
    assert first["init_args"]["resume"] == "allow"
    assert (first["init_args"]["name"], first["init_args"]["group"]) == ("ab12c_00003", "sweep")
    other = with_trial_identity(
        {"trainer": {"logger": logger("lightning.pytorch.loggers.WandbLogger")}},
        "ab12c_00003",
        "sweep",
        "/results/another",
    )["trainer"]["logger"]
    assert other["init_args"]["id"] != first["init_args"]["id"]  # another sweep: another run


def test_an_mlflow_logger_is_named_and_tagged_by_the_trial(tmp_path):
    (entry,) = told(
        logger(
            "lightning.pytorch.loggers.MLFlowLogger",
            tracking_uri=f"file://{tmp_path}/mlruns",
            tags={"team": "a"},
        )
    )
    init = entry["init_args"]
    assert init["run_name"] == "ab12c_00003" and "run_id" not in init  # no earlier run
    assert init["tags"] == {"team": "a", "sweeps.trial_id": "ab12c_00003", "sweeps.sweep": FOLDER}


def test_objects_and_other_loggers_are_kept_as_they_are():
    other = logger("my_project.loggers.Neptune", project="x")
    (entry,) = told(other)
    assert entry == other
    assert logger_entries(True) == [] and logger_entries(False) == [] and logger_entries(None) == []
    assert kept_note({"logger": [other]}) == (
        "trainer.logger Neptune: kept beside the sweep's TensorBoard and tables, one run per trial"
    )
    assert kept_note({"logger": False}) is None
    assert without_loggers({"trainer": {"logger": other, "max_epochs": 3}}) == {
        "trainer": {"max_epochs": 3}
    }


def test_an_mlflow_logger_continues_the_trials_earlier_run(tmp_path):
    """A restarted trial (a retry, a PBT exploit, --resume) finds its run by the trial's tags in
    a real MLflow store and goes on in it."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("lightning_logs")
    earlier = client.create_run(
        experiment, tags={"sweeps.trial_id": "ab12c_00003", "sweeps.sweep": FOLDER}
    )
    client.create_run(experiment, tags={"sweeps.trial_id": "ab12c_00003", "sweeps.sweep": "/other"})
    (entry,) = told(logger("lightning.pytorch.loggers.MLFlowLogger", tracking_uri=uri))
    assert entry["init_args"]["run_id"] == earlier.info.run_id
