"""Slow, obvious NumPy references for the kernels: one row at a time, no tricks.

Everything here is written straight from the formulas in the docstrings of
``boostobj.losses``; tests compare the fast kernels against it.
"""

from __future__ import annotations

import math

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
        shifted = raw[i, idx] - raw[i, idx].max()
        top = int(np.argmax(shifted))  # exp(0) = 1 exactly: log(sum) = log1p(sum of the others)
        others = math.fsum(np.exp(np.delete(shifted, top)))  # summed exactly: log(1 + 4e-6) keeps its digits
        # (max - raw_y) first: adding log(sum) ~ 1e-13 to a max ~ 30 first would round it away
        out[i] = weight[i] * (math.log1p(others) + (raw[i, idx].max() - raw[i, y[i]]))
    return out


def logloss_grad_hess(y, raw, weight, floor):
    raw = np.asarray(raw, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-raw))
    return weight * (p - y), np.maximum(weight * p * (1.0 - p), floor)


def logloss(y, raw, weight):
    raw = np.asarray(raw, dtype=np.float64)
    return weight * (np.logaddexp(0.0, raw) - y * raw)


def grouped_softmax_grad_hess(columns, raw, valid, weight, group_ptr, scale, floor):
    """One softmax per (row, group) over the group's valid columns.

    ``columns`` (n, G): the global column of each group's label, -1 where ignored;
    ``weight`` (n, G); ``group_ptr`` (G + 1,) column bounds; ``scale`` (G,) Hessian factors.
    grad = w (p - onehot), hess = max(scale w p (1 - p), floor); ignored groups and invalid
    classes: 0 and floor.
    """
    raw = np.asarray(raw, dtype=np.float64)
    n, k = raw.shape
    grad = np.zeros((n, k))
    hess = np.full((n, k), float(floor))
    for i in range(n):
        for g in range(len(group_ptr) - 1):
            if columns[i, g] < 0:
                continue
            idx = [j for j in range(group_ptr[g], group_ptr[g + 1]) if valid[i, j]]
            e = np.exp(raw[i, idx] - raw[i, idx].max())
            p = e / e.sum()
            for t, j in enumerate(idx):
                onehot = 1.0 if j == columns[i, g] else 0.0
                grad[i, j] = weight[i, g] * (p[t] - onehot)
                hess[i, j] = max(scale[g] * weight[i, g] * p[t] * (1.0 - p[t]), floor)
    return grad, hess


def grouped_softmax_loss(columns, raw, valid, weight, group_ptr):
    """(n, G): w * -log p of each group's label over the group's valid columns; 0 where ignored."""
    raw = np.asarray(raw, dtype=np.float64)
    out = np.zeros((raw.shape[0], len(group_ptr) - 1))
    for i in range(raw.shape[0]):
        for g in range(len(group_ptr) - 1):
            if columns[i, g] < 0:
                continue
            idx = [j for j in range(group_ptr[g], group_ptr[g + 1]) if valid[i, j]]
            m = raw[i, idx].max()
            out[i, g] = weight[i, g] * (np.log(np.exp(raw[i, idx] - m).sum()) + (m - raw[i, columns[i, g]]))
    return out


def choice_grad_hess(targets, raw, group_ptr, weight, scale, floor):
    """Softmax over the rows of each group ``group_ptr[s] <= r < group_ptr[s + 1]``:
    grad = w_s (p - t), hess = max(scale_s w_s p (1 - p), floor); ``weight``, ``scale`` (n_groups,)."""
    raw = np.asarray(raw, dtype=np.float64)
    grad = np.empty(raw.size)
    hess = np.empty(raw.size)
    for s in range(len(group_ptr) - 1):
        rows = range(group_ptr[s], group_ptr[s + 1])
        z = np.array([raw[r] for r in rows])
        e = np.exp(z - z.max())
        p = e / e.sum()
        for t, r in enumerate(rows):
            grad[r] = weight[s] * (p[t] - targets[r])
            hess[r] = max(scale[s] * weight[s] * p[t] * (1.0 - p[t]), floor)
    return grad, hess


def choice_loss(targets, raw, group_ptr, weight):
    """Per group: w_s * sum_r t_r * -log p_r (targets summing to 1 in each group)."""
    raw = np.asarray(raw, dtype=np.float64)
    out = np.empty(len(group_ptr) - 1)
    for s in range(len(group_ptr) - 1):
        z = raw[group_ptr[s] : group_ptr[s + 1]]
        t = np.asarray(targets[group_ptr[s] : group_ptr[s + 1]], dtype=np.float64)
        m = z.max()
        out[s] = weight[s] * sum(t[r] * (np.log(np.exp(z - m).sum()) + (m - z[r])) for r in range(z.size))
    return out
