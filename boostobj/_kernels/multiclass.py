"""Array loops for multiclass losses over each row's valid classes (see ``softmax.py``).

Shapes: ``raw`` (n, K) float32 or float64, C or F order; ``y`` (n,) int64 labels,
already checked to lie in ``[0, K)``; ``weight`` (n,) float64, the product of sample and
class weights; ``grad_out``, ``hess_out`` (n, K), float32 or float64, C or F order.
Each kernel handles rows ``lo <= i < hi`` (its last two arguments) and returns
``(status, row)``.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .softmax import BLOCK_ROWS, ERR_LABEL_INVALID, OK, log_prob, softmax_block


@jit
def softmax_grad_hess(
    raw, y, weight, indptr, indices, from_margin, hess_scale, hess_floor, grad_out, hess_out, lo, hi
):
    """Gradient and Hessian diagonal of the weighted conditional softmax cross-entropy.

    With ``p`` the softmax over row ``i``'s valid classes and ``w = weight[i]``::

        grad[i, j] = (p[j] - [j == y[i]]) * w
        hess[i, j] = max(hess_scale * p[j] * (1 - p[j]) * w, hess_floor)

    on valid classes; invalid classes get ``grad = 0`` and ``hess = hess_floor``.
    ``hess_scale`` is 1 for the exact diagonal, 2 for XGBoost's and K/(K-1) for
    LightGBM's convention.
    """
    size = BLOCK_ROWS * raw.shape[1]
    cols, expv, bits = np.empty(size, np.int64), np.empty(size), np.empty(size, np.int64)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = min(b0 + BLOCK_ROWS, hi)
        status, row = softmax_block(
            raw, b0, b1, indptr, indices, from_margin, cols, expv, bits, start, rowmax
        )
        if status != OK:
            return status, row
        if grad_out.flags.f_contiguous:  # fill in memory order (LightGBM's F-order outputs)
            for j in range(raw.shape[1]):
                for i in range(b0, b1):
                    grad_out[i, j] = 0.0
                    hess_out[i, j] = hess_floor
        else:
            for i in range(b0, b1):
                for j in range(raw.shape[1]):
                    grad_out[i, j] = 0.0
                    hess_out[i, j] = hess_floor
        for i in range(b0, b1):
            r = i - b0
            total = 0.0
            for t in range(start[r], start[r + 1]):
                total += expv[t]
            inv = 1.0 / total
            w = weight[i]
            label = y[i]
            at = -1  # position of the label among the row's valid classes
            for t in range(start[r], start[r + 1]):
                j = cols[t]
                p = expv[t] * inv
                at = t if j == label else at  # select, not a branch: faster here
                grad_out[i, j] = p * w
                h = hess_scale * p * (1.0 - p) * w
                hess_out[i, j] = h if h > hess_floor else hess_floor
            if at < 0:
                return ERR_LABEL_INVALID, i
            grad_out[i, label] = (expv[at] * inv - 1.0) * w
    return OK, -1


@jit
def softmax_loss(raw, y, weight, indptr, indices, from_margin, loss_out, lo, hi):
    """Per-row weighted cross-entropy ``w * (logsumexp(raw[i, valid]) - raw[i, y[i]])``.

    Computed as ``-w log p_y`` by ``log_prob``: accurate relative to the loss as
    ``p_y -> 1`` and exact for any finite margins where ``p_y`` underflows.
    loss_out : (n,) float.
    """
    size = BLOCK_ROWS * raw.shape[1]
    cols, expv, bits = np.empty(size, np.int64), np.empty(size), np.empty(size, np.int64)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = min(b0 + BLOCK_ROWS, hi)
        status, row = softmax_block(
            raw, b0, b1, indptr, indices, from_margin, cols, expv, bits, start, rowmax
        )
        if status != OK:
            return status, row
        for i in range(b0, b1):
            r = i - b0
            at = -1
            rest = 0.0  # the other valid classes' exp, summed apart: log p_y stays accurate as p_y -> 1
            for t in range(start[r], start[r + 1]):
                if cols[t] == y[i]:
                    at = t
                else:
                    rest += expv[t]
            if at < 0:
                return ERR_LABEL_INVALID, i
            total = expv[at] + rest
            loss_out[i] = -weight[i] * log_prob(expv[at], rest, raw[i, y[i]] - rowmax[r], total)
    return OK, -1
