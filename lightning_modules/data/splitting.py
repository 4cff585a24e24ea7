"""Seeded, optionally stratified splits of rows, in NumPy: a shuffled hold-out split and the
parts of shuffled k-fold validation.

They draw exactly what scikit-learn's ``train_test_split`` (``ShuffleSplit``,
``StratifiedShuffleSplit``) and ``KFold`` / ``StratifiedKFold`` with ``shuffle=True`` draw from
the same seed, so every split made before is made again (tests/lightning_modules/data/
test_splitting.py compares them with the installed scikit-learn over many sizes, fractions and
seeds). A trial process thus splits its data without importing scikit-learn, which costs it more
than a second of start-up, and a split no longer depends on which scikit-learn is installed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def holdout_split(
    rows: np.ndarray, fraction: float, seed: int, strata: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held out) of ``rows``: ``ceil(fraction * len(rows))`` rows held out at random, in
    the same proportion from each stratum when ``strata`` (one label per row) is given."""
    count = len(rows)
    held = math.ceil(fraction * count)
    kept = count - held
    if held == 0 or kept == 0:
        raise ValueError(
            f"holding out a fraction {fraction:g} of {count} rows leaves "
            f"{kept} to keep and {held} to hold out; both need at least one"
        )
    rng = np.random.RandomState(seed)
    if strata is None:
        order = rng.permutation(count)
        return rows[order[held : held + kept]], rows[order[:held]]
    classes, row_class, class_counts = np.unique(strata, return_inverse=True, return_counts=True)
    if class_counts.min() < 2:
        raise ValueError(
            f"a stratified split needs at least 2 rows of every class; classes "
            f"{classes[class_counts < 2].tolist()} have 1"
        )
    if min(kept, held) < len(classes):
        raise ValueError(
            f"a stratified split of {count} rows into {kept} and {held} needs at least one row "
            f"of each of the {len(classes)} classes on both sides"
        )
    by_class = np.split(np.argsort(row_class, kind="stable"), np.cumsum(class_counts)[:-1])
    kept_per_class = _approximate_mode(class_counts, kept, rng)
    held_per_class = _approximate_mode(class_counts - kept_per_class, held, rng)
    kept_rows: list[int] = []
    held_rows: list[int] = []
    for members, keep, hold in zip(by_class, kept_per_class, held_per_class, strict=True):
        shuffled = members.take(rng.permutation(len(members)), mode="clip")
        kept_rows.extend(shuffled[:keep])
        held_rows.extend(shuffled[keep : keep + hold])
    return rows[rng.permutation(kept_rows)], rows[rng.permutation(held_rows)]


def _approximate_mode(class_counts: np.ndarray, draws: int, rng: np.random.RandomState):
    """Rows to draw from each class: each class's share of ``draws`` rounded down, the rows
    left over going to the largest remainders, ties broken at random."""
    continuous = class_counts / class_counts.sum() * draws
    floored = np.floor(continuous)
    missing = int(draws - floored.sum())
    if missing > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (tied,) = np.where(remainder == value)
            now = min(len(tied), missing)
            floored[rng.choice(tied, size=now, replace=False)] += 1
            missing -= now
            if missing == 0:
                break
    return floored.astype(int)


def kfold_part(
    count: int, folds: int, fold: int, seed: int, strata: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) positions of part ``fold`` when ``count`` rows are dealt at random
    into ``folds`` parts, each stratum spread evenly over the parts when ``strata`` is given.
    Both in ascending order."""
    if not 2 <= folds <= count:
        raise ValueError(f"{count} rows cannot be dealt into {folds} folds")
    rng = np.random.RandomState(seed)
    if strata is None:
        order = np.arange(count)
        rng.shuffle(order)
        sizes = np.full(folds, count // folds, dtype=int)
        sizes[: count % folds] += 1
        start = int(sizes[:fold].sum())
        part = np.zeros(count, dtype=bool)
        part[order[start : start + sizes[fold]]] = True
    else:
        # Classes numbered in order of first appearance, as scikit-learn numbers them.
        _, first, row_class = np.unique(strata, return_index=True, return_inverse=True)
        _, class_order = np.unique(first, return_inverse=True)
        encoded = class_order[row_class]
        class_counts = np.bincount(encoded)
        if np.all(folds > class_counts):
            raise ValueError(
                f"{folds} folds are more than the rows of every class (at most "
                f"{class_counts.max()})"
            )
        if folds > class_counts.min():
            warnings.warn(
                f"the smallest class has {class_counts.min()} rows, fewer than the {folds} folds: "
                "some folds validate on none of it",
                UserWarning,
                stacklevel=2,
            )
        ordered = np.sort(encoded)
        allocation = np.asarray(
            [np.bincount(ordered[i::folds], minlength=len(first)) for i in range(folds)]
        )
        assigned = np.empty(count, dtype="i")
        for k in range(len(first)):
            parts = np.arange(folds).repeat(allocation[:, k])
            rng.shuffle(parts)
            assigned[encoded == k] = parts
        part = assigned == fold
    positions = np.arange(count)
    return positions[~part], positions[part]
