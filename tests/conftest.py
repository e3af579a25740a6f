"""Fixtures shared by the backend test modules."""

from __future__ import annotations

import numpy as np
import pytest

from boostobj.datasets import make_transition_data

#: Classes and sizes of the shared transition data (small: every backend test trains on it).
K = 5
N_TRAIN, N_TEST = 1500, 500


@pytest.fixture(scope="session")
def data():
    """A transition data set (K = 5 states, 3 allowed next states each) split train/test."""
    X, y, mask = make_transition_data(N_TRAIN + N_TEST, K, 3, 6, random_state=0)
    train, test = slice(0, N_TRAIN), slice(N_TRAIN, None)
    return {
        "X": X[train],
        "y": y[train],
        "mask": mask.take(train),
        "X_test": X[test],
        "y_test": y[test],
        "mask_test": mask.take(test),
    }


def np_softmax(raw):
    """Plain row-wise softmax over all columns (float64)."""
    raw = np.asarray(raw, dtype=np.float64)
    e = np.exp(raw - raw.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
