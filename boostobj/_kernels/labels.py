"""One pass over class labels: the fast path of ``_inputs.check_labels``.

XGBoost and LightGBM hand labels to an objective as floats, every boosting round; the
NumPy check (finite, integer-valued, in range, then a cast) takes five passes over
them, about 1.2 ms per million float32 labels, against 0.2 ms for this loop.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit


@jit
def labels_as_int64(y, limit, out):
    """Write ``y`` (1-D, float32/float64/int32/int64) into ``out`` (int64, same length).

    Returns the first row whose label is not an integer ``0 <= label < limit``, or -1.
    ``limit`` (int64) is at most ``2**62``, so a float label checked against it converts
    to int64 exactly (a NaN or out-of-range float is replaced by 0 before the
    conversion). No branch in the loop, so that it vectorises; the row of a bad label is
    found afterwards.
    """
    bad = False
    for i in range(y.shape[0]):
        v = y[i]
        ok = (v >= 0) & (v < limit)
        label = np.int64(v if ok else 0)
        bad |= (not ok) | (label != v)
        out[i] = label
    if bad:
        for i in range(y.shape[0]):
            v = y[i]
            if not (v >= 0 and v < limit) or np.int64(v) != v:
                return i
    return -1
