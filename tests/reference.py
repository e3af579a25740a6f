"""Slow, obvious NumPy references for the kernels: one row at a time, no tricks.

Everything here is written straight from the formulas in the docstrings of
``boostobj.losses``; tests compare the fast kernels against it.
"""

from __future__ import annotations

import numpy as np


def softmax(raw: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the valid classes (float64); 0 elsewhere."""
    raw = np.asarray(raw, dtype=np.float64)
    proba = np.zeros(raw.shape)
    for i in range(raw.shape[0]):
        idx = np.flatnonzero(valid[i])
        z = raw[i, idx] - raw[i, idx].max()
        e = np.exp(z)
        proba[i, idx] = e / e.sum()
    return proba


def softmax_grad_hess(y, raw, valid, weight, scale, floor):
    """grad = w (p - onehot), hess = max(scale w p (1 - p), floor); invalid: 0 and floor."""
    p = softmax(raw, valid)
    n, k = p.shape
    grad = np.zeros((n, k))
    hess = np.full((n, k), float(floor))
    for i in range(n):
        for j in range(k):
            if valid[i, j]:
                onehot = 1.0 if j == y[i] else 0.0
                grad[i, j] = weight[i] * (p[i, j] - onehot)
                hess[i, j] = max(scale * weight[i] * p[i, j] * (1.0 - p[i, j]), floor)
    return grad, hess


def softmax_loss(y, raw, valid, weight):
    """w_i * -log p_{i, y_i}, via log-sum-exp over the valid classes."""
    raw = np.asarray(raw, dtype=np.float64)
    out = np.empty(raw.shape[0])
    for i in range(raw.shape[0]):
        idx = np.flatnonzero(valid[i])
        m = raw[i, idx].max()
        # (m - raw_y) first: adding log(sum) ~ 1e-13 to m ~ 30 first would round it away
        out[i] = weight[i] * (np.log(np.exp(raw[i, idx] - m).sum()) + (m - raw[i, y[i]]))
    return out


def logloss_grad_hess(y, raw, weight, floor):
    raw = np.asarray(raw, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-raw))
    return weight * (p - y), np.maximum(weight * p * (1.0 - p), floor)


def logloss(y, raw, weight):
    raw = np.asarray(raw, dtype=np.float64)
    return weight * (np.logaddexp(0.0, raw) - y * raw)
