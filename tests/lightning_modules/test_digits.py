"""The digits data module: offline data, seeded stratified splits, z-score from training rows."""

import torch

from lightning_modules.batches import TensorBatches
from lightning_modules.configs import DigitsConfig
from lightning_modules.digits import DigitsDataModule, load_splits


def test_splits_are_seeded_stratified_and_disjoint():
    config = DigitsConfig(val_fraction=0.2, test_fraction=0.1, seed=0)
    splits = load_splits(config, 0)
    sizes = [len(splits.train_x), len(splits.val_x), len(splits.test_x)]
    assert sum(sizes) == 1797 and abs(sizes[1] - 0.2 * 1797) <= 2 and abs(sizes[2] - 0.1 * 1797) <= 2
    assert set(splits.val_y.tolist()) == set(range(10))  # stratified: every class in validation
    assert load_splits(config, 0) is splits  # loaded once per process
    other = load_splits(config, 1)
    assert not torch.equal(other.train_y, splits.train_y)
    rows = {tuple(row.tolist()) for row in splits.train_x}
    assert not any(tuple(row.tolist()) in rows for row in splits.test_x[:50])


def test_zscore_is_fitted_on_the_training_split_only():
    splits = load_splits(DigitsConfig(seed=3), 3)
    varying = splits.train_x.std(dim=0) > 0
    assert torch.allclose(splits.train_x.mean(dim=0), torch.zeros(64), atol=1e-4)
    assert torch.allclose(splits.train_x.std(dim=0, unbiased=False)[varying], torch.ones(int(varying.sum())), atol=1e-3)
    assert not torch.allclose(splits.val_x.mean(dim=0), torch.zeros(64), atol=1e-3)
    raw = load_splits(DigitsConfig(seed=3, normalize="none"), 3)
    assert raw.train_x.max() == 16.0 and torch.isfinite(splits.train_x).all()


def test_no_test_split():
    splits = load_splits(DigitsConfig(test_fraction=0.0, seed=0), 0)
    assert len(splits.test_x) == 0 and len(splits.train_x) + len(splits.val_x) == 1797


def test_datamodule_batches_cover_the_training_rows_once_per_epoch():
    module = DigitsDataModule(DigitsConfig(seed=0), batch_size=100, seed=0)
    loader = module.train_dataloader()
    batches = list(loader)
    assert len(batches) == len(loader) and all(len(x) <= 100 for x, _ in batches)
    seen = torch.cat([y for _, y in batches])
    assert sorted(seen.tolist()) == sorted(module.splits.train_y.tolist())
    assert not torch.equal(torch.cat([y for _, y in loader]), seen)  # reshuffled next epoch


def test_tensor_batches_are_reproducible():
    x, y = torch.arange(10.0).unsqueeze(1), torch.arange(10)
    first = [b.tolist() for _, b in TensorBatches(x, y, 3, shuffle=True, seed=7)]
    second = [b.tolist() for _, b in TensorBatches(x, y, 3, shuffle=True, seed=7)]
    assert first == second and [len(b) for b in first] == [3, 3, 3, 1]
    assert [b.tolist() for _, b in TensorBatches(x, y, 4, shuffle=False)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
