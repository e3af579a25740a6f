"""Softmax cross-entropy against target distributions over each row's valid classes:
label smoothing and soft (probability) targets.

Row ``i``'s target over its valid classes ``V_i`` (``n_i = |V_i|``) is::

    t_j = (1 - eps) * base_j + eps / n_i,   base_j = targets[i, j] (soft) or [j == y_i] (labels)

so the smoothing mass goes to the valid classes only. With ``w = weight[i]``::

    loss = w * -sum_j t_j log p_j = w * (logsumexp(f_valid) - sum_j t_j f_j)
    grad_j = w (p_j - t_j)
    hess_jj = max(hess_scale * w p_j (1 - p_j), hess_floor)     (sum_j t_j = 1)

Soft targets are validated by the Python layer (non-negative, summing to 1, no mass on
invalid classes); ``targets`` is a (0, 0) placeholder when ``use_targets`` is False.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .softmax import BLOCK_ROWS, ERR_LABEL_INVALID, OK, softmax_block


@jit
def target_grad_hess(
    raw,
    y,
    targets,
    use_targets,
    eps,
    weight,
    indptr,
    indices,
    from_margin,
    hess_scale,
    hess_floor,
    grad_out,
    hess_out,
    lo,
    hi,
):
    """Gradient and Hessian diagonal against smoothed label or soft targets (module docstring)."""
    size = BLOCK_ROWS * raw.shape[1]
    cols, expv = np.empty(size, np.int64), np.empty(size)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        status, row = softmax_block(raw, b0, b1, indptr, indices, from_margin, cols, expv, start, rowmax)
        if status != OK:
            return status, row
        for i in range(b0, b1):
            for j in range(raw.shape[1]):
                grad_out[i, j] = 0.0
                hess_out[i, j] = hess_floor
        for i in range(b0, b1):
            r = i - b0
            total = 0.0
            found = use_targets
            for t in range(start[r], start[r + 1]):
                total += expv[t]
                found |= cols[t] == y[i]
            if not found:
                return ERR_LABEL_INVALID, i
            inv = 1.0 / total
            share = eps / (start[r + 1] - start[r])
            w = weight[i]
            for t in range(start[r], start[r + 1]):
                j = cols[t]
                p = expv[t] * inv
                base = targets[i, j] if use_targets else (1.0 if j == y[i] else 0.0)
                grad_out[i, j] = w * (p - ((1.0 - eps) * base + share))
                h = hess_scale * p * (1.0 - p) * w  # the order of SoftmaxLoss: the same bits
                hess_out[i, j] = h if h > hess_floor else hess_floor
    return OK, -1


@jit
def target_loss(raw, y, targets, use_targets, eps, weight, indptr, indices, from_margin, loss_out, lo, hi):
    """Per-row ``w * -sum_j t_j log p_j`` (module docstring), exact for any finite margins."""
    size = BLOCK_ROWS * raw.shape[1]
    cols, expv = np.empty(size, np.int64), np.empty(size)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        status, row = softmax_block(raw, b0, b1, indptr, indices, from_margin, cols, expv, start, rowmax)
        if status != OK:
            return status, row
        for i in range(b0, b1):
            r = i - b0
            total = 0.0
            found = use_targets
            for t in range(start[r], start[r + 1]):
                total += expv[t]
                found |= cols[t] == y[i]
            if not found:
                return ERR_LABEL_INVALID, i
            share = eps / (start[r + 1] - start[r])
            cross = 0.0  # sum_j t_j (f_j - max)
            for t in range(start[r], start[r + 1]):
                j = cols[t]
                base = targets[i, j] if use_targets else (1.0 if j == y[i] else 0.0)
                cross += ((1.0 - eps) * base + share) * (raw[i, j] - rowmax[r])
            loss_out[i] = weight[i] * (np.log(total) - cross)
    return OK, -1
