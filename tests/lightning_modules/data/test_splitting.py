"""The NumPy splits draw exactly what scikit-learn's splitters draw from the same seed, so
every split made before (with scikit-learn) is made again; and they refuse what cannot be split."""

import itertools
import warnings
from functools import partial

import numpy as np
import pytest
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from lightning_modules.configs import DigitsConfig, SyntheticConfig
from lightning_modules.data.arrays import split_indices
from lightning_modules.data.sources import digits
from lightning_modules.data.splitting import holdout_split, kfold_part


def labelled(count: int, classes: int, seed: int, skew: bool) -> np.ndarray:
    """``count`` labels of ``classes`` classes (uneven ones when ``skew``), at least 3 of each."""
    rng = np.random.RandomState(seed)
    weights = np.arange(1, classes + 1) ** 2 if skew else np.ones(classes)
    labels = rng.choice(classes, size=count - 3 * classes, p=weights / weights.sum())
    return rng.permutation(np.concatenate([labels, np.repeat(np.arange(classes), 3)]))


def same_outcome(mine, theirs) -> bool:
    """Both calls give the same arrays, or both refuse (ValueError)."""
    try:
        expected = theirs()
    except ValueError:
        with pytest.raises(ValueError):
            mine()
        return True
    return all(np.array_equal(a, b) for a, b in zip(mine(), expected, strict=True))


def nth_split(splitter, labels: np.ndarray, fold: int):
    return list(splitter.split(np.zeros(len(labels)), labels))[fold]


CASES = list(itertools.product((40, 97, 360, 1797), (2, 3, 10), (False, True)))


@pytest.mark.parametrize("count, classes, skew", CASES)
def test_holdout_splits_are_scikit_learns(count, classes, skew):
    for seed, fraction in itertools.product(range(4), (0.1, 0.2, 0.25, 0.3, 0.35 / 0.5)):
        labels = labelled(count, classes, seed, skew)
        rows = np.arange(count) * 3 + 1  # any row numbers, not positions
        for strata in (None, labels):
            assert same_outcome(
                partial(holdout_split, rows, fraction, seed, strata),
                partial(
                    train_test_split, rows, test_size=fraction, stratify=strata, random_state=seed
                ),
            )


@pytest.mark.parametrize("count, classes, skew", CASES)
def test_kfold_parts_are_scikit_learns(count, classes, skew):
    warnings.simplefilter("ignore", UserWarning)  # both warn of classes smaller than the folds
    for seed, folds in itertools.product(range(3), (2, 3, 5)):
        labels = labelled(count, classes, seed, skew)
        for strata in (None, labels):
            splitter = (StratifiedKFold if strata is not None else KFold)(
                n_splits=folds, shuffle=True, random_state=seed
            )
            for fold in range(folds):
                assert same_outcome(
                    partial(kfold_part, count, folds, fold, seed, strata),
                    partial(nth_split, splitter, labels, fold),
                )


@pytest.mark.parametrize(
    "config",
    [
        DigitsConfig(),
        DigitsConfig(val_fraction=0.1, test_fraction=0.0),
        DigitsConfig(validation="kfold", folds=3),
        DigitsConfig(validation="kfold", folds=4, test_fraction=0.0),
    ],
)
def test_the_digits_splits_are_those_of_earlier_sweeps(config):
    """The splits the data sets made with scikit-learn's splitters, remade row for row."""
    _, labels = digits.load_arrays(config, 0)
    for seed, fold in itertools.product((0, 7), range(config.fold_count())):
        mine = split_indices(labels, config, seed, stratify=True, fold=fold)
        assert all(
            np.array_equal(a, b)
            for a, b in zip(mine, earlier_split(labels, config, seed, fold), strict=True)
        )


def earlier_split(labels, config, seed, fold):
    """How the data sets split their rows with scikit-learn."""
    everything = np.arange(len(labels))
    if config.validation == "kfold":
        rest, test = everything, everything[:0]
        if config.test_fraction > 0:
            rest, test = train_test_split(
                everything, test_size=config.test_fraction, stratify=labels, random_state=seed
            )
        parts = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=seed)
        train, val = list(parts.split(rest, labels[rest]))[fold]
        return rest[train], rest[val], test
    held_out = config.val_fraction + config.test_fraction
    train, rest = train_test_split(
        everything, test_size=held_out, stratify=labels, random_state=seed
    )
    if config.test_fraction == 0:
        return train, rest, rest[:0]
    val, test = train_test_split(
        rest, test_size=config.test_fraction / held_out, stratify=labels[rest], random_state=seed
    )
    return train, val, test


def test_a_regression_target_splits_unstratified():
    config = SyntheticConfig(task="regression", samples=50)
    targets = np.linspace(0, 1, 50)
    train, val, test = split_indices(targets, config, 3, stratify=False)
    theirs_train, rest = train_test_split(
        np.arange(50), test_size=config.val_fraction + config.test_fraction, random_state=3
    )
    assert np.array_equal(train, theirs_train)
    assert sorted([*train, *val, *test]) == list(range(50))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: holdout_split(np.arange(5), 0.1, 0, np.array([0, 0, 1, 1, 2])), "classes \\[2\\]"),
        (lambda: holdout_split(np.arange(10), 0.1, 0, np.repeat([0, 1], 5)), "on both sides"),
        (lambda: holdout_split(np.arange(3), 0.0, 0), "both need at least one"),
        (lambda: kfold_part(3, 4, 0, 0), "3 rows cannot be dealt into 4 folds"),
        (lambda: kfold_part(6, 4, 0, 0, np.repeat([0, 1, 2], 2)), "more than the rows of every"),
    ],
)
def test_what_cannot_be_split_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
