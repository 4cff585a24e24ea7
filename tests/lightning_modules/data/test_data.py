"""Data modules: offline data, seeded splits, normalisation from the training split only, and
augmentation that never touches validation or test data."""

import numpy as np
import pytest
import torch

from lightning_modules.configs import DigitsConfig, MNIST1DConfig, SyntheticConfig
from lightning_modules.data.arrays import cached_splits
from lightning_modules.data.augmentation import Augmentation, shift_zero_fill
from lightning_modules.data.batches import TensorBatches
from lightning_modules.data.digits import DigitsDataModule
from lightning_modules.data.mnist1d import MNIST1DDataModule
from lightning_modules.data.synthetic import SyntheticDataModule
from tests.helpers.imports import loaded_after


def test_digits_splits_are_seeded_stratified_and_disjoint():
    config = DigitsConfig(val_fraction=0.2, test_fraction=0.1, seed=0)
    splits = cached_splits(DigitsDataModule, config, 0)
    sizes = [len(splits.train_x), len(splits.val_x), len(splits.test_x)]
    assert (
        sum(sizes) == 1797 and abs(sizes[1] - 0.2 * 1797) <= 2 and abs(sizes[2] - 0.1 * 1797) <= 2
    )
    assert set(splits.val_y.tolist()) == set(range(10))
    assert cached_splits(DigitsDataModule, config, 0) is splits  # loaded once per process
    assert not torch.equal(cached_splits(DigitsDataModule, config, 1).train_y, splits.train_y)
    rows = {tuple(row.tolist()) for row in splits.train_x}
    assert not any(tuple(row.tolist()) in rows for row in splits.test_x[:50])


def test_kfold_holds_out_the_test_rows_first_then_validates_each_fold_on_its_own_part():
    config = DigitsConfig(validation="kfold", folds=4, test_fraction=0.2, normalize="none", seed=0)
    folds = [cached_splits(DigitsDataModule, config, 0, fold) for fold in range(4)]

    def rows(x):
        return {tuple(row.tolist()) for row in x.reshape(len(x), -1)}

    test = rows(folds[0].test_x)
    assert abs(len(folds[0].test_x) - 0.2 * 1797) <= 2
    assert all(
        torch.equal(fold.test_x, folds[0].test_x) for fold in folds
    )  # one test split for all folds
    validated = [rows(fold.val_x) for fold in folds]
    assert sum(len(fold.val_x) for fold in folds) == 1797 - len(
        folds[0].test_x
    )  # every other row once
    for index, fold in enumerate(folds):
        assert len(fold.train_x) + len(fold.val_x) + len(fold.test_x) == 1797
        assert (
            not rows(fold.train_x) & validated[index]
            and not (rows(fold.train_x) | validated[index]) & test
        )
        assert set(fold.val_y.tolist()) == set(range(10))  # stratified
        assert all(not validated[index] & validated[other] for other in range(index + 1, 4))
    assert cached_splits(DigitsDataModule, config, 0, 2) is folds[2]


def test_kfold_normalises_each_fold_with_its_own_training_rows():
    config = DigitsConfig(validation="kfold", folds=3, seed=0)
    for fold in range(3):
        splits = cached_splits(DigitsDataModule, config, 0, fold)
        assert torch.allclose(splits.train_x.mean(dim=0), torch.zeros(64), atol=1e-4)
        assert not torch.allclose(splits.val_x.mean(dim=0), torch.zeros(64), atol=1e-3)
    with pytest.raises(ValueError, match="fold 3 does not exist"):
        DigitsDataModule(config, batch_size=8, fold=3)
    with pytest.raises(ValueError, match="fold 1 does not exist; the data has 1 fold"):
        DigitsDataModule(DigitsConfig(seed=0), batch_size=8, fold=1)


def test_kfold_without_classes_uses_plain_folds():
    config = SyntheticConfig(
        task="regression", samples=100, validation="kfold", folds=5, test_fraction=0.0, seed=0
    )
    folds = [cached_splits(SyntheticDataModule, config, 0, fold) for fold in range(5)]
    assert [len(fold.val_x) for fold in folds] == [20] * 5 and all(
        len(fold.test_x) == 0 for fold in folds
    )
    assert folds[0].val_y.dtype == torch.float32
    holdout = cached_splits(SyntheticDataModule, SyntheticConfig(test_fraction=0.0, seed=0), 0)
    assert len(holdout.test_x) == 0 and holdout.test_x.shape[1:] == holdout.train_x.shape[1:]


@pytest.mark.parametrize(
    "layout, shape", [("flat", (64,)), ("image", (1, 8, 8)), ("sequence", (8, 8))]
)
def test_digits_layouts(layout, shape):
    module = DigitsDataModule(DigitsConfig(layout=layout, seed=0), batch_size=16)
    features, labels = next(iter(module.train_dataloader()))
    assert tuple(features.shape[1:]) == shape == module.info.sample_shape and len(labels) == 16


def test_zscore_is_fitted_on_the_training_split_only():
    splits = cached_splits(DigitsDataModule, DigitsConfig(seed=3), 3)
    flat = splits.train_x.reshape(len(splits.train_x), -1)
    varying = flat.std(dim=0) > 0
    assert torch.allclose(flat.mean(dim=0), torch.zeros(64), atol=1e-4)
    assert torch.allclose(
        flat.std(dim=0, unbiased=False)[varying], torch.ones(int(varying.sum())), atol=1e-3
    )
    assert not torch.allclose(splits.val_x.mean(dim=0), torch.zeros(64), atol=1e-3)


def test_minmax_lands_the_training_split_in_the_range():
    config = DigitsConfig(normalize="minmax", minmax_low=-1.0, minmax_high=2.0, seed=0)
    splits = cached_splits(DigitsDataModule, config, 0)
    assert splits.train_x.min().item() == pytest.approx(
        -1.0
    ) and splits.train_x.max().item() == pytest.approx(2.0)
    per_feature = splits.train_x.reshape(len(splits.train_x), -1)
    varying = per_feature.max(dim=0).values > per_feature.min(dim=0).values
    assert torch.allclose(
        per_feature.max(dim=0).values[varying], torch.full((int(varying.sum()),), 2.0)
    )
    raw = cached_splits(DigitsDataModule, DigitsConfig(normalize="none", seed=0), 0)
    assert raw.train_x.max().item() == 16.0


def test_augmentation_changes_training_batches_only():
    config = DigitsConfig(
        layout="image", augment_shift=2, augment_noise=0.3, augment_scale=0.2, seed=0
    )
    module = DigitsDataModule(config, batch_size=4096)
    plain = DigitsDataModule(DigitsConfig(layout="image", seed=0), batch_size=4096)
    augmented_train, _ = next(iter(module.train_dataloader()))
    assert not torch.equal(
        augmented_train.sort(dim=0).values, module.splits.train_x.sort(dim=0).values
    )
    for name in ("val_dataloader", "test_dataloader"):
        got = torch.cat([x for x, _ in getattr(module, name)()])
        expected = torch.cat([x for x, _ in getattr(plain, name)()])
        assert torch.equal(got, expected)
    assert torch.equal(module.splits.train_x, plain.splits.train_x)  # the stored data is untouched
    assert (
        module.train_dataloader().transform is not None
        and plain.train_dataloader().transform is None
    )


def test_each_augmentation_does_what_it_says():
    x = torch.arange(1.0, 6.0).view(1, 5)
    assert shift_zero_fill(x, 2, 1).tolist() == [[0, 0, 1, 2, 3]]
    assert shift_zero_fill(x, -1, 1).tolist() == [[2, 3, 4, 5, 0]]
    batch = torch.ones(1000, 5)
    scaled = Augmentation(SyntheticConfig(augment_scale=0.25), "vector", 0)(batch)
    assert scaled.min() >= 0.75 and scaled.max() <= 1.25 and scaled.std() > 0.1
    assert torch.allclose(scaled, scaled[:, :1].expand_as(scaled))  # one factor per sample
    noisy = Augmentation(SyntheticConfig(augment_noise=0.5), "vector", 0)(batch)
    assert (noisy - batch).std().item() == pytest.approx(0.5, rel=0.05)
    assert not Augmentation(SyntheticConfig(), "vector", 0).active


def test_mnist1d_is_generated_locally(monkeypatch):
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError("mnist1d must not be downloaded")

    monkeypatch.setattr(requests, "get", refuse)
    state = np.random.get_state()[1].copy()
    config = MNIST1DConfig(num_samples=600, seed=5)
    splits = cached_splits(MNIST1DDataModule, config, 5)
    assert splits.train_x.shape[1:] == (40, 1) and set(splits.train_y.tolist()) == set(range(10))
    assert len(splits.train_x) + len(splits.val_x) + len(splits.test_x) == 600
    assert np.array_equal(np.random.get_state()[1], state)  # the global generator is left alone
    again = MNIST1DDataModule.load_arrays(config, 5)
    assert np.array_equal(again[0], MNIST1DDataModule.load_arrays(config, 5)[0])


@pytest.mark.parametrize(
    "args, shape, classes",
    [
        ({}, (8,), 3),
        ({"kind": "sequence", "length": 5, "features": 2}, (5, 2), 3),
        ({"task": "regression"}, (8,), None),
    ],
)
def test_synthetic(args, shape, classes):
    config = SyntheticConfig(seed=1, **args)
    assert config.info().sample_shape == shape and config.info().num_classes == classes
    splits = cached_splits(SyntheticDataModule, config, 1)
    assert tuple(splits.train_x.shape[1:]) == shape
    assert splits.train_y.dtype == (torch.long if classes else torch.float32)


def test_tensor_batches_are_reproducible():
    x, y = torch.arange(10.0).unsqueeze(1), torch.arange(10)
    first = [b.tolist() for _, b in TensorBatches(x, y, 3, shuffle=True, seed=7)]
    second = [b.tolist() for _, b in TensorBatches(x, y, 3, shuffle=True, seed=7)]
    assert first == second and [len(b) for b in first] == [3, 3, 3, 1]
    assert [b.tolist() for _, b in TensorBatches(x, y, 4, shuffle=False)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]


def test_the_digits_are_scikit_learns_read_without_importing_it():
    from sklearn.datasets import load_digits

    from lightning_modules.data.sources.digits import bundled_digits

    mine, theirs = bundled_digits(), load_digits(return_X_y=True)
    assert all(
        np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(mine, theirs, strict=True)
    )
    code = "from lightning_modules.data.sources.digits import bundled_digits\nbundled_digits()"
    assert loaded_after(code, ("sklearn",)) == []
