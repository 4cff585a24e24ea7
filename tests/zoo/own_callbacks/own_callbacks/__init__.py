"""A regression model trained through its own LightningCLI, whose config lists the callbacks the
run uses: Lightning's early stopping, learning-rate monitor and checkpointing, and one of the
project's own that keeps its record in the checkpoint."""
