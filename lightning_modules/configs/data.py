"""Settings every data set shares: seeded splits, input normalisation and training-time
augmentation. Statistics for normalisation always come from the training split only, and
augmentation only ever touches training batches."""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import Field

from lightning_modules.configs.data_info import DataInfo
from lightning_modules.table_files import describe_example, describe_table, example_columns
from typed_config.base import ArgsModel
from typed_config.rules import Rule, knob_needs


def _fractions_leave_training_data(
    values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    if values["validation"] == "kfold":
        # Each fold validates on 1/folds of what the test split leaves and trains on the rest.
        return None
    total = values["val_fraction"] + values["test_fraction"]
    if total > 0.9:
        return f"val_fraction + test_fraction is {total:g}; it must be at most 0.9 so that training data remains"
    return None


def _minmax_range(values: dict[str, Any], given: set[str], data: DataInfo | None) -> str | None:
    if values["minmax_low"] >= values["minmax_high"]:
        return f"minmax_low {values['minmax_low']:g} must be below minmax_high {values['minmax_high']:g}"
    return None


class DataConfig(ArgsModel):
    validation: Literal["holdout", "kfold"] = Field(
        "holdout",
        description="one validation split, or k folds with the trial's metrics averaged over them",
    )
    val_fraction: float = Field(
        0.2, gt=0.0, lt=1.0, description="holdout: validation share (stratified for classes)"
    )
    folds: int = Field(5, ge=2, le=20, description="kfold: number of folds (each trains one model)")
    test_fraction: float = Field(
        0.2,
        ge=0.0,
        le=0.9,
        description="held-out test share (taken first), used only for best.json",
    )
    normalize: Literal["zscore", "minmax", "none"] = Field(
        "zscore", description="statistics from the training split only"
    )
    minmax_low: float = Field(0.0, ge=-1e6, le=1e6, description="minmax: the low end of the range")
    minmax_high: float = Field(
        1.0, ge=-1e6, le=1e6, description="minmax: the high end of the range"
    )
    augment_shift: int = Field(
        0, ge=0, le=64, description="training only: random shift by up to this many steps/pixels"
    )
    augment_noise: float = Field(
        0.0, ge=0.0, le=10.0, description="training only: Gaussian noise of this std"
    )
    augment_scale: float = Field(
        0.0, ge=0.0, lt=1.0, description="training only: scale each sample by 1 +- this"
    )
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="defaults to the sweep's seed")

    mutable: ClassVar[frozenset[str]] = frozenset(
        {"augment_shift", "augment_noise", "augment_scale"}
    )

    data_rules: ClassVar[list[Rule]] = [
        knob_needs("val_fraction", "validation", ("holdout",)),
        knob_needs("folds", "validation", ("kfold",)),
        Rule(("validation", "val_fraction", "test_fraction"), _fractions_leave_training_data),
        knob_needs("minmax_low", "normalize", ("minmax",)),
        knob_needs("minmax_high", "normalize", ("minmax",)),
        Rule(("minmax_low", "minmax_high"), _minmax_range),
    ]

    @classmethod
    def rules(cls) -> list[Rule]:
        return list(cls.data_rules)

    def fold_count(self) -> int:
        """How many models a trial trains: one per fold, or one for a hold-out split."""
        return self.folds if self.validation == "kfold" else 1

    @classmethod
    def resolve(cls, args: dict[str, Any]) -> dict[str, Any]:
        """Fixed arguments made independent of the working directory (trials run elsewhere)."""
        return args

    @abstractmethod
    def info(self) -> DataInfo:
        """The shape of one sample and the number of classes, without loading the data."""


class DigitsConfig(DataConfig):
    """scikit-learn's bundled 8x8 digits (1,797 samples, 10 classes, no download), as flat
    vectors of 64 pixels, 1x8x8 images, or sequences of 8 rows of 8 pixels."""

    layout: Literal["flat", "image", "sequence"] = Field(
        "flat", description="64 features, 1x8x8 image or 8 rows"
    )

    def info(self) -> DataInfo:
        shape = {"flat": (64,), "image": (1, 8, 8), "sequence": (8, 8)}[self.layout]
        kind = {"flat": "vector", "image": "image", "sequence": "sequence"}[self.layout]
        return DataInfo(kind, shape, 10)


class MNIST1DConfig(DataConfig):
    """MNIST-1D: 10 classes of 40-step 1-D signals, generated locally by the ``mnist1d``
    package's generator (never downloaded), as sequences of 40 steps of one value."""

    num_samples: int = Field(
        5000, ge=100, le=1_000_000, description="generated samples, all splits"
    )

    def info(self) -> DataInfo:
        return DataInfo("sequence", (40, 1), 10)


class SyntheticConfig(DataConfig):
    """A seeded synthetic task for tests and quick experiments: class-dependent Gaussian blobs
    (classification) or a noisy linear target (regression), as vectors or sequences."""

    task: Literal["classification", "regression"] = Field(
        "classification", description="labels or a real target"
    )
    kind: Literal["vector", "sequence"] = Field("vector", description="sample layout")
    samples: int = Field(512, ge=20, le=1_000_000, description="generated samples, all splits")
    features: int = Field(8, ge=1, le=4096, description="features per sample (or per step)")
    length: int = Field(16, ge=1, le=4096, description="steps per sequence (kind sequence)")
    classes: int = Field(3, ge=2, le=1000, description="classification: number of classes")
    noise: float = Field(
        0.5, ge=0.0, le=100.0, description="std of the noise around each centre or target"
    )

    data_rules: ClassVar[list[Rule]] = [
        *DataConfig.data_rules,
        knob_needs("length", "kind", ("sequence",)),
        knob_needs("classes", "task", ("classification",)),
    ]

    def info(self) -> DataInfo:
        shape = (self.length, self.features) if self.kind == "sequence" else (self.features,)
        return DataInfo(self.kind, shape, self.classes if self.task == "classification" else None)


def _table_needs_columns(
    values: dict[str, Any], given: set[str], data: DataInfo | None
) -> str | None:
    if values["path"] is None:
        return "path is required: a Parquet, Feather/Arrow or CSV file, local or a storage URI"
    if values["example"] is None and (not values["features"] or not values["label"]):
        return "features (a list of column names) and label (a column name) are required"
    return None


class TableConfig(DataConfig):
    """A table of your own, read with pyarrow from a local path or a filesystem URI (s3://,
    gs://): the named numeric ``features`` columns and the ``label`` column (classes of any type,
    or a number for ``task: regression``). Missing columns and non-numeric features are refused
    when the sweep is loaded. ``example`` writes one of scikit-learn's bundled tables
    (breast_cancer, wine, diabetes) to ``path`` on first use."""

    path: str | None = Field(
        None, min_length=1, max_length=4096, description="the table file or URI"
    )
    features: list[str] | None = Field(
        None, min_length=1, max_length=10_000, description="feature column names"
    )
    label: str | None = Field(None, min_length=1, description="label column name")
    task: Literal["classification", "regression"] = Field(
        "classification", description="labels or a real target"
    )
    example: Literal["breast_cancer", "wine", "diabetes"] | None = Field(
        None, description="write this bundled example table to path when it is missing"
    )

    data_rules: ClassVar[list[Rule]] = [
        *DataConfig.data_rules,
        Rule(("path", "features", "label", "example"), _table_needs_columns),
    ]

    @classmethod
    def resolve(cls, args: dict[str, Any]) -> dict[str, Any]:

        path = args.get("path")
        if isinstance(path, str) and "://" not in path:
            return {**args, "path": os.path.abspath(os.path.expanduser(path))}
        return args

    def columns(self) -> tuple[tuple[str, ...], str, str]:
        """(features, label, task), from the example when the sweep names one."""
        if self.example is not None:
            features, label, task = example_columns(self.example)
            return tuple(self.features or features), self.label or label, task
        return tuple(self.features or ()), self.label or "", self.task

    def info(self) -> DataInfo:

        features, label, task = self.columns()
        if self.example is not None:
            description = describe_example(self.example)
        else:
            assert self.path is not None  # a table without one is refused by its rules
            description = describe_table(self.path, features, label, task)
        classes = None if description.classes is None else len(description.classes)
        return DataInfo("vector", (len(features),), classes)
