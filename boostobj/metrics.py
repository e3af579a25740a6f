"""Masked evaluation metrics on margins: what the adapters' eval metrics compute.

Both take margins (not probabilities) and, like the losses, read each row's valid
classes from ``mask`` or, when it is ``None``, from the margins (``<= -1e29`` is
invalid). Weighted means use ``sample_weight`` only (not class weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _inputs
from .losses import SoftmaxLoss, masked_softmax

__all__ = ["masked_log_loss", "masked_error_rate"]


def masked_log_loss(
    y_true: Any, raw_prediction: Any, *, mask: Any = None, sample_weight: Any = None
) -> float:
    """Weighted mean of ``-log p_{i, y_i}`` with ``p`` the softmax over valid classes.

    Parameters
    ----------
    y_true : array-like of shape (n,)
    raw_prediction : array-like of shape (n, K)
        Margins (offsets included).
    mask : ClassMask or mask-like, optional
    sample_weight : array-like of shape (n,), optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import ClassMask, masked_log_loss
    >>> mask = ClassMask.from_lists([[0, 1], [0, 1, 2, 3]], n_classes=4)
    >>> round(masked_log_loss([1, 3], np.zeros((2, 4)), mask=mask), 4)  # (log 2 + log 4) / 2
    1.0397
    """
    per_row = SoftmaxLoss().loss(y_true, raw_prediction, mask=mask)
    return weighted_mean(per_row, sample_weight)


def masked_error_rate(
    y_true: Any, raw_prediction: Any, *, mask: Any = None, sample_weight: Any = None
) -> float:
    """Weighted fraction of rows whose most probable valid class is not the label.

    Labels must be valid in their own row, as for :func:`masked_log_loss`.

    Parameters
    ----------
    y_true : array-like of shape (n,)
    raw_prediction : array-like of shape (n, K)
        Margins (offsets included).
    mask : ClassMask or mask-like, optional
        Valid classes per row; ``None`` reads them from the margins.
    sample_weight : array-like of shape (n,), optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import ClassMask, masked_error_rate
    >>> raw = np.array([[0.0, 1.0, 5.0], [2.0, 1.0, 0.0]])
    >>> mask = ClassMask.from_lists([[0, 1], [0, 1, 2]], n_classes=3)
    >>> masked_error_rate([1, 0], raw, mask=mask)  # class 2 is not a candidate in row 0
    0.0
    """
    batch = _inputs.multiclass_batch(y_true, raw_prediction, None, mask)
    batch.check_labels_valid()
    proba = masked_softmax(batch.raw, mask=batch.mask)
    rate = weighted_mean((proba.argmax(axis=1) != batch.y).astype(np.float64), sample_weight)
    return min(rate, 1.0)  # the weighted sums round apart: a fraction, never above 1


def weighted_mean(values: np.ndarray, sample_weight: Any) -> float:
    """Mean of per-row values weighted by ``sample_weight`` (validated; an error if they sum to 0)."""
    if values.size == 0:
        raise ValueError("y_true: no rows; a mean over no rows is undefined")
    w = _inputs.check_sample_weight(sample_weight, values.size)
    if w is None:
        return float(values.mean())
    total = w.sum()
    if total <= 0:
        raise ValueError("sample_weight: the weights sum to zero; the weighted mean is undefined")
    return float(np.dot(values, w) / total)
