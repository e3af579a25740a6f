"""Hypothesis strategies shared by the property tests: ragged masks and margins."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@st.composite
def dense_masks(draw, max_rows: int = 12, max_classes: int = 8, min_classes: int = 2):
    """A (n, K) boolean mask with at least one valid class per row (single-valid rows included)."""
    n = draw(st.integers(1, max_rows))
    k = draw(st.integers(min_classes, max_classes))
    valid = draw(hnp.arrays(bool, (n, k)))
    forced = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    valid[np.arange(n), forced] = True
    return valid


@st.composite
def masked_problems(draw, max_rows: int = 12, max_classes: int = 8, scale: float = 30.0):
    """(valid, raw float64, y valid in its row, weight) for a random ragged mask."""
    valid = draw(dense_masks(max_rows, max_classes))
    n, k = valid.shape
    raw = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-scale, scale)))
    y = np.array([draw(st.sampled_from(np.flatnonzero(row).tolist())) for row in valid])
    weight = draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 10.0)))
    return valid, raw, y, weight
