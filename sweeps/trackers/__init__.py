"""The user's experiment trackers (MLflow, Weights & Biases), written by the driver: one parent
run per sweep and one child run per trial, whatever happens to the trial on its way."""

__all__ = ["callback", "mlflow_tracker", "tracker", "wandb_tracker"]
