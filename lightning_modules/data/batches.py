"""Mini-batches straight from in-memory tensors.

For small tables a torch DataLoader spends more time indexing single rows and collating them
than the model spends training; slicing a shuffled index is one gather per batch. Lightning
accepts any iterable with a length as a data loader.

In data-parallel training (``shard=(rank, world)``) every process holds the same tensors and
takes its part of each batch itself, since Lightning only shards torch DataLoaders: a training
batch of ``batch_size`` rows (the same shuffled order on every rank) is split across the ranks,
so ``batch_size`` means the same global batch whatever the worker count; an evaluation split is
cut into one contiguous block per rank, each in the same number of batches, so every row counts
exactly once and the ranks step in lockstep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch


class TensorBatches:
    """Batches of ``(features[i], labels[i])``; reshuffled every pass when ``shuffle`` is set,
    from a generator seeded once, so a trial's batch order is reproducible. ``transform``
    (augmentation) is applied to each batch's features."""

    def __init__(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        shard: tuple[int, int] | None = None,
    ):
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} feature rows but {len(labels)} labels")
        if shard is not None and not 0 <= shard[0] < shard[1]:
            raise ValueError(f"rank {shard[0]} is not one of {shard[1]} ranks")
        self.shard = shard if shard is not None and shard[1] > 1 else None
        self.features = features
        self.labels = labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)
        self.transform = transform

    def __len__(self) -> int:
        if self.shard is not None and not self.shuffle:
            return _ceil(_ceil(len(self.features), self.shard[1]), self.batch_size)
        return _ceil(len(self.features), self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.transform is None:
            yield from self._batches()
        else:
            for features, labels in self._batches():
                yield self.transform(features), labels

    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.shard is not None:
            for index in self._shard_indices():
                yield self.features[index], self.labels[index]
            return
        count = len(self.features)
        if self.shuffle:
            order = torch.randperm(count, generator=self.generator)
            for start in range(0, count, self.batch_size):
                index = order[start : start + self.batch_size]
                yield self.features[index], self.labels[index]
        else:
            for start in range(0, count, self.batch_size):
                yield (
                    self.features[start : start + self.batch_size],
                    self.labels[start : start + self.batch_size],
                )

    def _shard_indices(self) -> Iterator[torch.Tensor]:
        assert self.shard is not None
        rank, world = self.shard
        count = len(self.features)
        if not self.shuffle:
            block = torch.arange(count).tensor_split(world)[rank]
            yield from block.tensor_split(len(self))
            return
        order = torch.randperm(count, generator=self.generator)  # the same order on every rank
        for start in range(0, count, self.batch_size):
            batch = order[start : start + self.batch_size]
            if len(batch) < world:  # a short last batch: every rank still needs a row
                batch = torch.cat([batch, order[: world - len(batch)]])
            yield batch.tensor_split(world)[rank]


def _ceil(numerator: int, denominator: int) -> int:
    return (numerator + denominator - 1) // denominator
