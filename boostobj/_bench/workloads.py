"""The benchmark's data sets: synthetic transitions, or scikit-learn's bundled digits and wine.

A :class:`Workload` holds a training set and a test set, each with its ``ClassMask``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import make_transition_data
from ..masks import ClassMask

__all__ = ["DATA_SETS", "Workload", "make_workload"]

#: ``--data`` choices: the synthetic transitions, and two bundled scikit-learn data sets.
DATA_SETS = ("transition", "digits", "wine")

#: Share of a bundled data set held out for testing.
TEST_FRACTION = 0.25


@dataclass(frozen=True)
class Workload:
    """Training and test data with their masks.

    Attributes
    ----------
    name : str
        The ``--data`` choice.
    X, y, mask : training features (n, F), labels (n,) and valid classes.
    X_test, y_test, mask_test : the same for the test set.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    mask: ClassMask
    X_test: np.ndarray
    y_test: np.ndarray
    mask_test: ClassMask

    @property
    def n_rows(self) -> int:
        """Training rows."""
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return self.mask.n_classes

    @property
    def mean_valid(self) -> float:
        """Mean number of valid classes per training row."""
        return float(self.mask.n_valid.mean())

    def head(self, rows: int) -> Workload:
        """The first ``rows`` training rows (a random subsample: rows come shuffled), same test set."""
        if rows >= self.n_rows:
            return self
        return Workload(
            self.name,
            self.X[:rows],
            self.y[:rows],
            self.mask.take(np.arange(rows)),
            self.X_test,
            self.y_test,
            self.mask_test,
        )

    def describe(self) -> str:
        """One line: data set, sizes and mask."""
        full = " (full mask)" if self.mask.is_full else ""
        return (
            f"{self.name}: {self.n_rows:,} training rows, {len(self.y_test):,} test rows, "
            f"{self.X.shape[1]} features, K={self.n_classes}, {self.mean_valid:g} valid classes per row{full}"
        )


def make_workload(
    data: str,
    *,
    rows: int | None = None,
    test_rows: int | None = None,
    classes: int | None = None,
    valid_per_row: int | None = None,
    features: int | None = None,
    seed: int = 0,
) -> Workload:
    """Build the ``data`` workload.

    Parameters
    ----------
    data : {"transition", "digits", "wine"}
        ``"transition"``: :func:`boostobj.datasets.make_transition_data` with ``rows +
        test_rows`` rows, ``classes`` states, ``valid_per_row`` allowed next states and
        ``features`` columns. ``"digits"``, ``"wine"``: scikit-learn's bundled data sets
        (no download) with every class valid, shuffled, ``TEST_FRACTION`` held out; the
        size arguments are ignored.
    rows, test_rows, classes, valid_per_row, features : int, required for "transition"
    seed : int
        Seed of the synthetic data or of the shuffle.
    """
    if data == "transition":
        if None in (rows, test_rows, classes, valid_per_row, features):
            raise ValueError(
                "rows, test_rows, classes, valid_per_row, features: required for transition data"
            )
        X, y, mask = make_transition_data(
            rows + test_rows, classes, valid_per_row, features, random_state=seed
        )
        train, test = np.arange(rows), np.arange(rows, rows + test_rows)
    elif data in ("digits", "wine"):
        from sklearn import datasets

        loader = datasets.load_digits if data == "digits" else datasets.load_wine
        X, y = loader(return_X_y=True)
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)
        order = np.random.default_rng(seed).permutation(len(y))
        n_test = int(round(TEST_FRACTION * len(y)))
        train, test = order[n_test:], order[:n_test]
        mask = ClassMask.full(len(y), int(y.max()) + 1)
    else:
        raise ValueError(f"data: expected one of {list(DATA_SETS)}; got {data!r}")
    return Workload(data, X[train], y[train], mask.take(train), X[test], y[test], mask.take(test))
