"""One pass over the (row, class) pairs of a masked multi-label logistic loss.

Shapes: ``raw`` (n, K) float32 or float64, C or F order; the targets either as ``codes``
(n,) int64, whose bit ``j`` is the target of class ``j`` (``use_codes``), or ``targets``
(n, K) uint8; ``sample_weight`` (n,), ``class_weight`` and ``pos_weight`` (K,) float64;
the observed pairs from a CSR mask (``indptr``, ``indices``) or from the margins
(``from_margin``: a margin ``<= INVALID_BELOW`` is unobserved). Observed pairs get::

    w = sample_weight[i] * class_weight[j] * (pos_weight[j] if y else 1)
    grad = w (p - y),   hess = max(w p (1 - p), floor),   loss = w (log(1 + exp(-|f|)) + max(f, 0) - y f)

and unobserved pairs ``grad = 0, hess = floor`` (loss 0). No (n, K) temporaries. The
gradient kernels: ``multilabel_grad_hess`` for the observed pairs of a CSR mask,
``multilabel_grad_hess_dense`` for pairs read from the margins, in straight loops over
every pair; on the same observed pairs they give bitwise the same outputs. Both read
what they need of a row before writing it, so the outputs may be the margins themselves.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .fastexp import exp_nonpositive
from .softmax import BLOCK_ROWS, ERR_NONFINITE, INVALID_BELOW, OK


@jit
def _pair(raw, codes, targets, use_codes, sample_weight, class_weight, pos_weight, i, j):
    """``(margin, target, weight)`` of pair (i, j), or NaN margin if not finite."""
    x = np.float64(raw[i, j])
    y = np.float64((codes[i] >> j) & 1) if use_codes else np.float64(targets[i, j])
    w = sample_weight[i] * class_weight[j] * (pos_weight[j] if y > 0.5 else 1.0)
    return x, y, w


@jit
def multilabel_grad_hess(
    raw, codes, targets, use_codes, sample_weight, class_weight, pos_weight, indptr, indices,
    floor, grad_out, hess_out, lo, hi,
):  # fmt: skip
    """Gradient and Hessian of rows ``lo <= i < hi`` (module docstring) for observed pairs
    from a CSR mask (with the pairs read from the margins, ``multilabel_grad_hess_dense``).
    The exponentials of a block of rows go through ``exp_nonpositive`` at once:
    ``e = exp(-|f|)`` gives ``p = 1 / (1 + e)`` for ``f >= 0`` and ``e / (1 + e)`` otherwise."""
    k = raw.shape[1]
    xs, es = np.empty(BLOCK_ROWS * k), np.empty(BLOCK_ROWS * k)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        t = np.int64(0)  # not the literal 0 (see softmax_block)
        for i in range(b0, b1):  # gather f and -|f| of the observed pairs, row by row; fill the row
            for c in range(indptr[i], indptr[i + 1]):
                x = np.float64(raw[i, indices[c]])
                if x - x != 0.0:  # NaN or +-inf on an observed pair
                    return ERR_NONFINITE, i
                xs[t] = x
                es[t] = -abs(x)
                t += 1
            for j in range(k):  # after the reads: the outputs may be the margins themselves
                grad_out[i, j] = 0.0
                hess_out[i, j] = floor
        exp_nonpositive(es, t)
        t = np.int64(0)
        for i in range(b0, b1):  # the same pairs in the same order: no index arrays to keep
            sw = sample_weight[i]
            code = codes[i] if use_codes else 0
            for c in range(indptr[i], indptr[i + 1]):
                j = indices[c]
                x = xs[t]
                e = es[t]
                t += 1
                d = 1.0 / (1.0 + e)
                p = d if x >= 0.0 else e * d
                y = np.float64((code >> j) & 1) if use_codes else np.float64(targets[i, j])
                w = sw * class_weight[j] * (pos_weight[j] if y > 0.5 else 1.0)
                grad_out[i, j] = w * (p - y)
                h = w * p * (1.0 - p)
                hess_out[i, j] = h if h > floor else floor
    return OK, -1


@jit
def multilabel_grad_hess_dense(
    raw, codes, targets, use_codes, sample_weight, class_weight, pos_weight, floor, grad_out, hess_out, lo, hi
):
    """``multilabel_grad_hess`` with the observed pairs read from the margins, in straight
    loops over every pair: an unobserved margin (``<= INVALID_BELOW``) goes through the
    same arithmetic (its ``exp(-|f|)`` is 0) and is then given ``grad = 0, hess = floor``
    by a select, not a branch. Bitwise the same outputs and the same first bad row."""
    k = raw.shape[1]
    es = np.empty(BLOCK_ROWS * k)  # block row r, class j at r * k + j: -|f|, then exp(-|f|)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        nb = b1 - b0
        bad = False  # NaN or +inf anywhere
        for r in range(nb):
            for j in range(k):
                x = np.float64(raw[b0 + r, j])
                bad |= (x != x) | (x == np.inf)
                es[r * k + j] = -abs(x)
        if bad:
            for r in range(nb):
                for j in range(k):
                    x = np.float64(raw[b0 + r, j])
                    if x != x or x == np.inf:
                        return ERR_NONFINITE, b0 + r
        exp_nonpositive(es, nb * k)
        for r in range(nb):
            i = b0 + r
            sw = sample_weight[i]
            code = codes[i] if use_codes else 0
            for j in range(k):
                x = np.float64(raw[i, j])
                e = es[r * k + j]
                d = 1.0 / (1.0 + e)
                p = d if x >= 0.0 else e * d
                y = np.float64((code >> j) & 1) if use_codes else np.float64(targets[i, j])
                w = sw * class_weight[j] * (pos_weight[j] if y > 0.5 else 1.0)
                h = w * p * (1.0 - p)
                observed = x > INVALID_BELOW
                grad_out[i, j] = w * (p - y) if observed else 0.0
                hess_out[i, j] = (h if h > floor else floor) if observed else floor
    return OK, -1


@jit
def multilabel_loss(
    raw, codes, targets, use_codes, sample_weight, class_weight, pos_weight, indptr, indices, from_margin,
    loss_out, lo, hi,
):  # fmt: skip
    """Per-row loss summed over the observed classes, ``loss_out`` (n,)."""
    k = raw.shape[1]
    for i in range(lo, hi):
        total = 0.0
        start, stop = (0, k) if from_margin else (indptr[i], indptr[i + 1])
        for c in range(start, stop):
            j = c if from_margin else indices[c]
            x, y, w = _pair(raw, codes, targets, use_codes, sample_weight, class_weight, pos_weight, i, j)
            if x != x or x == np.inf:
                return ERR_NONFINITE, i
            if from_margin and x <= INVALID_BELOW:
                continue
            if x - x != 0.0:
                return ERR_NONFINITE, i
            # (max(f, 0) - y f) first: exact 0 when the label agrees, so the small log1p term keeps its digits
            total += w * (np.log1p(np.exp(-abs(x))) + (max(x, 0.0) - y * x))
        loss_out[i] = total
    return OK, -1
