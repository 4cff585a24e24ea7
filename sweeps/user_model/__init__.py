"""Sweeping a user's own LightningModule and LightningDataModule.

A sweep names the user's classes the way LightningCLI configs do (``class_path`` /
``init_args``, or a fixed-class config with the classes named in the sweep), optionally merges
the user's own LightningCLI config files (``lightning_config:``), or names a blueprint function
``build(hp)`` that asks for its values inline (Keras Tuner style). Searched keys are dotted paths
into that config (``model.init_args.lr``, ``data.batch_size``, ``trainer.gradient_clip_val``).

    paths.py          dotted searched keys and where they point in the config
    classes.py        importing class paths, their Lightning package, close names
    config_files.py   reading and merging LightningCLI configs, both styles
    checking.py       LightningCLI's own parser (jsonargparse) checking the config and values
    blueprint.py      build(hp): the hp object, finding the space by running the blueprint
    model_section.py  the user-model part of a sweep file, checked before anything runs
    hydra_section.py  the same for a Hydra project's config
    recipe.py         what every trial builds the model from (plain values, shipped to Ray workers)
    trial_model.py    that recipe with what a trial does with it (build, reproduce)
    build.py          a trial's module, data and Trainer settings (runs in the workers)
    evaluation.py     a checkpoint's test metrics, through the module's test_step
    code.py           shipping the user's project to a cluster (Ray's runtime_env)
"""

__all__ = [
    "blueprint",
    "build",
    "checking",
    "classes",
    "code",
    "config_files",
    "evaluation",
    "paths",
    "model_section",
    "recipe",
    "trial_model",
]
