"""How a shipped family's network is trained and scored, in plain torch (no Lightning): the loss,
the epoch metrics, the optimizer and schedule, clipping, checkpoint hooks and restores, in an
``nn.Module`` whose methods carry Lightning's hook names. ``supervised`` serves every classifier
and regressor, ``denoising`` the diffusion model.

The sweep's lean loop trains these modules directly; each family's LightningModule
(lightning_modules.models) is the same class under Lightning's base, for Lightning's Trainer
(data-parallel trials, ``load_model``). Both store the network under ``network.``, so their
checkpoints are interchangeable."""

__all__ = ["denoising", "supervised"]
