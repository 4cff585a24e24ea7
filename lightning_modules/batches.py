"""Mini-batches straight from in-memory tensors.

For small tables a torch DataLoader spends more time indexing single rows and collating them
than the model spends training; slicing a shuffled index is one gather per batch. Lightning
accepts any iterable with a length as a data loader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch


class TensorBatches:
    """Batches of ``(features[i], labels[i])``; reshuffled every pass when ``shuffle`` is set,
    from a generator seeded once, so a trial's batch order is reproducible. ``transform``
    (augmentation) is applied to each batch's features."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor, batch_size: int, shuffle: bool, seed: int = 0,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None):
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} feature rows but {len(labels)} labels")
        self.features = features
        self.labels = labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)
        self.transform = transform

    def __len__(self) -> int:
        return (len(self.features) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.transform is None:
            yield from self._batches()
        else:
            for features, labels in self._batches():
                yield self.transform(features), labels

    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = len(self.features)
        if self.shuffle:
            order = torch.randperm(count, generator=self.generator)
            for start in range(0, count, self.batch_size):
                index = order[start : start + self.batch_size]
                yield self.features[index], self.labels[index]
        else:
            for start in range(0, count, self.batch_size):
                yield self.features[start : start + self.batch_size], self.labels[start : start + self.batch_size]
