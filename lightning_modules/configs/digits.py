"""Settings of the digits data set (``dataset: digits``): scikit-learn's bundled 8x8 digits."""

from typing import Literal

from pydantic import Field, model_validator

from lightning_modules.configs.base import ArgsModel


class DigitsConfig(ArgsModel):
    """1,797 8x8 images of handwritten digits as 64 features, split into train/validation/test
    with a seeded stratified shuffle. ``seed`` defaults to the sweep's seed."""

    val_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    normalize: Literal["zscore", "none"] = Field(
        "zscore", description="z-score is fitted on the training split only"
    )
    seed: int | None = Field(None, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _splits_leave_training_data(self) -> "DigitsConfig":
        if self.val_fraction + self.test_fraction > 0.9:
            raise ValueError(
                f"val_fraction + test_fraction is {self.val_fraction + self.test_fraction:g}; "
                "it must be at most 0.9 so that training data remains"
            )
        return self
