"""Focal loss over each row's valid classes (multiclass) and for one margin (binary).

With ``q = p_y`` the probability of the label, ``u = 1 - q`` and weight ``w``::

    loss = -w (1 - q)^gamma log q

Every derivative below is written with ``u^gamma``, ``u^(gamma + 1)`` and
``r = log(q) / u`` (in ``[-inf, -1]``, ``-1`` as ``u -> 0``), never ``u^(gamma - 1)`` or
``u^(gamma - 2)``, which blow up as ``q -> 1`` for ``gamma < 2`` although the products
they enter do not. With ``A = q l'(q) = u^gamma (gamma q r - 1)`` (``l`` the loss as a
function of ``q``) and ``D_j = [j == y] - p_j``:

    grad_j        = w A D_j                                  (A = -1 at gamma = 0: softmax CE)
    exact hess_jj = w (u^(gamma+1) t_j^2 (gamma q (2 - (gamma - 1) q r) + u)
                       + A (D_j^2 - p_j (1 - p_j))),          t_j = D_j / u
    positive hess = w (-A) p_j (1 - p_j)

The positive surrogate is the softmax cross-entropy Hessian with the focal factor
``-A >= u^gamma > 0`` frozen as a sample weight (a Gauss-Newton step); it equals the
exact diagonal at ``gamma = 0``. Binary: one margin ``f``, ``q = sigmoid(s f)`` with
``s = 2 y - 1``; ``grad = w s A u``; exact ``hess = w (u^(gamma+1) (gamma q (2 - (gamma - 1) q
r) + u) + A u (1 - 2 q))``; positive ``hess = w (-A) q u``.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .softmax import BLOCK_ROWS, ERR_LABEL_INVALID, ERR_NONFINITE, OK, log_prob, softmax_block


@jit
def focal_terms(q, u, lq, gamma):
    """``(A, C)``: ``A = u^gamma (gamma q r - 1)`` and ``C = gamma q (2 - (gamma - 1) q r) + u``."""
    r = lq / u if u > 0.0 else -1.0
    a = u**gamma * (gamma * q * r - 1.0)
    c = gamma * q * (2.0 - (gamma - 1.0) * q * r) + u
    return a, c


@jit
def focal_grad_hess(
    raw, y, weight, indptr, indices, from_margin, gamma, exact, hess_floor, grad_out, hess_out, lo, hi
):
    """Gradient and Hessian diagonal of the weighted focal loss (see module docstring).

    Invalid classes get ``grad = 0`` and ``hess = hess_floor``; valid ones
    ``max(hess, hess_floor)`` unless ``exact`` (then the true diagonal, which can be
    negative). Shapes as in ``multiclass.py``.
    """
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
            label = y[i]
            at = -1
            rest = 0.0  # sum of the other valid classes' exp: u = rest / total without cancellation
            for t in range(start[r], start[r + 1]):
                if cols[t] == label:
                    at = t
                else:
                    rest += expv[t]
            if at < 0:
                return ERR_LABEL_INVALID, i
            e_y = expv[at]
            total = e_y + rest
            inv = 1.0 / total
            q, u = e_y * inv, rest * inv
            lq = log_prob(e_y, rest, raw[i, label] - rowmax[r], total)
            a, c = focal_terms(q, u, lq, gamma)
            w = weight[i]
            ug1 = u ** (gamma + 1.0)
            for t in range(start[r], start[r + 1]):
                j = cols[t]
                p = expv[t] * inv
                d = u if j == label else -p  # D_j; for the label 1 - p_y = u, without cancellation
                grad_out[i, j] = w * a * d
                if exact:
                    tj = d / u if u > 0.0 else 0.0
                    h = w * (ug1 * tj * tj * c + a * (d * d - p * (1.0 - p)))
                    hess_out[i, j] = h
                else:
                    h = -w * a * p * (1.0 - p)
                    hess_out[i, j] = h if h > hess_floor else hess_floor
    return OK, -1


@jit
def focal_loss(raw, y, weight, indptr, indices, from_margin, gamma, loss_out, lo, hi):
    """Per-row ``-w (1 - q)^gamma log q``; ``log q`` from log-sum-exp, exact for any margins."""
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
            at = -1
            rest = 0.0
            for t in range(start[r], start[r + 1]):
                if cols[t] == y[i]:
                    at = t
                else:
                    rest += expv[t]
            if at < 0:
                return ERR_LABEL_INVALID, i
            total = expv[at] + rest
            lq = log_prob(expv[at], rest, raw[i, y[i]] - rowmax[r], total)
            u = rest / total
            loss_out[i] = -weight[i] * u**gamma * lq
    return OK, -1


@jit
def binary_focal_grad_hess(raw, y, weight, gamma, exact, hess_floor, grad_out, hess_out, lo, hi):
    """Binary focal loss of one margin per row (see module docstring)."""
    for i in range(lo, hi):
        f = np.float64(raw[i])
        if f - f != 0.0:
            return ERR_NONFINITE, i
        s = 2.0 * y[i] - 1.0
        z = s * f
        if z >= 0.0:  # q = sigmoid(z), u = sigmoid(-z), lq = -log(1 + exp(-z)), all without cancellation
            e = np.exp(-z)
            q, u, lq = 1.0 / (1.0 + e), e / (1.0 + e), -np.log1p(e)
        else:
            e = np.exp(z)
            q, u, lq = e / (1.0 + e), 1.0 / (1.0 + e), z - np.log1p(e)
        a, c = focal_terms(q, u, lq, gamma)
        w = weight[i]
        grad_out[i] = w * s * a * u
        if exact:
            hess_out[i] = w * (u ** (gamma + 1.0) * c + a * u * (1.0 - 2.0 * q))
        else:
            h = -w * a * q * u
            hess_out[i] = h if h > hess_floor else hess_floor
    return OK, -1


@jit
def binary_focal_loss(raw, y, weight, gamma, loss_out, lo, hi):
    """Per-row ``-w (1 - q)^gamma log q`` with ``q = sigmoid((2 y - 1) f)``."""
    for i in range(lo, hi):
        f = np.float64(raw[i])
        if f - f != 0.0:
            return ERR_NONFINITE, i
        z = (2.0 * y[i] - 1.0) * f
        if z >= 0.0:
            e = np.exp(-z)
            u, lq = e / (1.0 + e), -np.log1p(e)
        else:
            e = np.exp(z)
            u, lq = 1.0 / (1.0 + e), z - np.log1p(e)
        loss_out[i] = -weight[i] * u**gamma * lq
    return OK, -1
