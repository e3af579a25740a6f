"""Array loops for binary (one margin per row) losses.

Shapes: ``raw`` (n,) float32 or float64 margins; ``y`` (n,) int64 labels in {0, 1};
``weight`` (n,) float64; outputs (n,) float. Each kernel handles rows ``lo <= i < hi``
and returns ``(status, row)`` with the status codes of ``softmax.py``.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .softmax import ERR_NONFINITE, OK


@jit
def sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow for any finite ``x``."""
    if x >= 0.0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@jit
def logloss_grad_hess(raw, y, weight, hess_floor, grad_out, hess_out, lo, hi):
    """``grad = (p - y) w`` and ``hess = max(p (1 - p) w, hess_floor)``, ``p = sigmoid(raw)``."""
    for i in range(lo, hi):
        x = np.float64(raw[i])
        if x - x != 0.0:
            return ERR_NONFINITE, i
        p = sigmoid(x)
        w = weight[i]
        grad_out[i] = (p - y[i]) * w
        h = p * (1.0 - p) * w
        hess_out[i] = h if h > hess_floor else hess_floor
    return OK, -1


@jit
def logloss_loss(raw, y, weight, loss_out, lo, hi):
    """``w * (log(1 + exp(-|x|)) + max(x, 0) - y x)``: the log-loss, exact for large ``|x|``."""
    for i in range(lo, hi):
        x = np.float64(raw[i])
        if x - x != 0.0:
            return ERR_NONFINITE, i
        # (max(f, 0) - y f) first: exact 0 when the label agrees, so the small log1p term keeps its digits
        loss_out[i] = weight[i] * (np.log1p(np.exp(-abs(x))) + (max(x, 0.0) - y[i] * x))
    return OK, -1


@jit
def sigmoid_array(raw, proba_out, lo, hi):
    """``proba_out[i] = sigmoid(raw[i])``."""
    for i in range(lo, hi):
        x = np.float64(raw[i])
        if x - x != 0.0:
            return ERR_NONFINITE, i
        proba_out[i] = sigmoid(x)
    return OK, -1
