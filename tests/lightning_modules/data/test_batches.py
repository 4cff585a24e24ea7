"""TensorBatches sharded for data-parallel training: each rank's part of the data."""

import pytest
import torch

from lightning_modules.data.batches import TensorBatches


def rows(batches: TensorBatches) -> list[list[int]]:
    return [features[:, 0].long().tolist() for features, _ in batches]


def make(count: int, batch_size: int, shuffle: bool, shard=None) -> TensorBatches:
    features = torch.arange(count, dtype=torch.float32).unsqueeze(1)
    return TensorBatches(
        features, torch.zeros(count), batch_size, shuffle=shuffle, seed=3, shard=shard
    )


@pytest.mark.parametrize(
    "count,batch_size,world", [(100, 16, 2), (101, 16, 3), (17, 8, 4), (9, 4, 2)]
)
def test_training_batches_are_the_global_batches_split_across_ranks(count, batch_size, world):
    whole = rows(make(count, batch_size, shuffle=True))
    parts = [
        rows(make(count, batch_size, shuffle=True, shard=(rank, world))) for rank in range(world)
    ]
    assert all(
        len(part) == len(whole) == len(make(count, batch_size, True, (0, world))) for part in parts
    )
    for step, batch in enumerate(whole):
        together = [row for part in parts for row in part[step]]
        assert all(part[step] for part in parts)  # every rank steps with rows
        assert set(batch) <= set(together)  # the same global batch, a last one shorter than
        assert set(together) - set(batch) <= set(whole[0])  # the world padded from the first
        assert len(together) == max(len(batch), world)


@pytest.mark.parametrize(
    "count,batch_size,world", [(100, 16, 2), (101, 16, 3), (359, 256, 2), (10, 512, 3)]
)
def test_evaluation_counts_every_row_once_in_the_same_number_of_batches(count, batch_size, world):
    parts = [
        rows(make(count, batch_size, shuffle=False, shard=(rank, world))) for rank in range(world)
    ]
    assert len({len(part) for part in parts}) == 1
    assert all(batch for part in parts for batch in part)
    assert all(len(batch) <= batch_size for part in parts for batch in part)
    assert sorted(row for part in parts for batch in part for row in batch) == list(range(count))


def test_one_rank_is_the_unsharded_order():
    assert rows(make(50, 8, True, shard=(0, 1))) == rows(make(50, 8, True))
    with pytest.raises(ValueError, match="rank 2 is not one of 2 ranks"):
        make(10, 4, False, shard=(2, 2))
