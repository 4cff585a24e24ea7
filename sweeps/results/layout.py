"""Every file and folder name of a sweep's results, defined once.

<storage>/<name>/
    sweep.yaml                  SPEC_FILE: the validated sweep as it was started (--resume)
    experiment_state-*.json     STATE_GLOB: Tune's state
    tuner.pkl                   TUNER_FILE: Tune's saved Tuner
    .resume-backup/             BACKUP_DIR: the last whole state, for a damaged one
    trials.parquet              TRIALS_FILE: one row per trial
    metrics.parquet             METRICS_FILE: one row per trial and epoch
    best.json                   BEST_FILE: the best trial, its checkpoint and test metrics
    pareto.json                 PARETO_FILE: the trials on the objectives' Pareto front
    tracker_runs.json           TRACKER_RUNS_FILE: the sweep's and trials' runs in MLflow, W&B
    tensorboard/                TENSORBOARD_DIR: one run per trial
    <trial_id>/result.json      RESULT_LOG: every result the trial reported, one JSON per line
    <trial_id>/checkpoint_*/    a trial's checkpoints, each with:
        metrics.json            CHECKPOINT_METRICS_FILE: the metrics of the epoch it was saved at
        patience.json           PATIENCE_FILE: the trial's early-stopping state
"""

SPEC_FILE = "sweep.yaml"
STATE_GLOB = "experiment_state-*.json"
TUNER_FILE = "tuner.pkl"
BACKUP_DIR = ".resume-backup"
TRIALS_FILE = "trials.parquet"
METRICS_FILE = "metrics.parquet"
BEST_FILE = "best.json"
PARETO_FILE = "pareto.json"
TRACKER_RUNS_FILE = "tracker_runs.json"
TENSORBOARD_DIR = "tensorboard"
# Tune's own name for it (ray.tune.result.EXPR_RESULT_FILE, checked by the tests): Tune writes
# it, sweeps.driver.result_log keeps it safe when a trial restarts.
RESULT_LOG = "result.json"
CHECKPOINT_METRICS_FILE = "metrics.json"
PATIENCE_FILE = "patience.json"
