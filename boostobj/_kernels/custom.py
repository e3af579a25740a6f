"""Kernels of user-defined losses (``boostobj.make_loss``).

Two forms:

* ``of="margins"``: the user's row functions take the row's valid margins ``f`` (1-D
  float64, ascending class), their class indices ``classes`` (1-D int64) and the
  label's position ``y`` in ``f``; ``loss`` returns a float, ``gradient`` and
  ``hessian`` return arrays of ``f``'s length. ``margin_grad_hess`` gathers each row,
  calls them, checks what they return (length, finiteness) and scatters the weighted
  result. Missing derivatives come from the complex step (``complex_step_*``).
* ``of="label_probability"``: the loss is ``l(q)`` of the label's probability ``q = p_y``.
  With ``A = q l'(q)``, ``B = q^2 l''(q)`` and ``D_j = [j == y] - p_j``, the chain rule
  through the masked softmax gives, in O(K) per row::

      grad_j = w A D_j
      hess_jj = w (B D_j^2 + A (D_j^2 - p_j (1 - p_j)))        (exact diagonal)
      hess_jj = w |A| p_j (1 - p_j)                            (positive surrogate)

  ``label_probability`` computes ``p``, ``q`` and ``u = 1 - q`` (as the sum of the other
  probabilities, without cancellation); ``label_grad_hess`` applies the formulas (the
  positive kind with ``|A|``, so that a loss increasing in ``q`` is not floored to 0).

These kernels take user functions as arguments, so numba compiles them per loss and
cannot cache them on disk (``jit_uncached``).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit, jit_uncached
from .softmax import (
    BLOCK_ROWS,
    ERR_EMPTY_ROW,
    ERR_LABEL_INVALID,
    ERR_NONFINITE,
    INVALID_BELOW,
    OK,
    softmax_block,
)

#: Status codes of the user functions' checks (``_inputs``' codes are 0-3).
ERR_LOSS_VALUE = 10  # the loss returned NaN or +-inf
ERR_GRAD_SHAPE = 11  # the gradient's length is not the row's number of valid classes
ERR_GRAD_VALUE = 12
ERR_HESS_SHAPE = 13
ERR_HESS_VALUE = 14
ERR_OUT_OVERFLOW = 15  # finite values whose weighted result overflows the output dtype (float32)

#: Step of the first-derivative complex step (no subtraction: any tiny step is exact).
CS_STEP = 1e-20
#: Step of the second-derivative complex step along exp(i pi / 4) (error O(step^4)).
CS2_STEP = 1e-3


@jit
def label_probability(raw, y, indptr, indices, from_margin, proba_out, u_out, lo, hi):
    """Masked softmax ``proba_out`` (n, K) and ``u_out[i] = 1 - p_{i, y_i}`` (n,), accurate as q -> 1."""
    size = BLOCK_ROWS * raw.shape[1]
    cols, expv = np.empty(size, np.int64), np.empty(size)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        status, row = softmax_block(raw, b0, b1, indptr, indices, from_margin, cols, expv, start, rowmax)
        if status != OK:
            return status, row
        for i in range(b0, b1):
            for j in range(proba_out.shape[1]):
                proba_out[i, j] = 0.0
        for i in range(b0, b1):
            r = i - b0
            found = False
            total, rest = 0.0, 0.0
            for t in range(start[r], start[r + 1]):
                total += expv[t]
                if cols[t] == y[i]:
                    found = True
                else:
                    rest += expv[t]
            if not found:
                return ERR_LABEL_INVALID, i
            inv = 1.0 / total
            for t in range(start[r], start[r + 1]):
                proba_out[i, cols[t]] = expv[t] * inv
            u_out[i] = rest * inv
    return OK, -1


@jit
def label_grad_hess(proba, y, u, a, b, weight, exact, hess_floor, grad_out, hess_out, lo, hi):
    """Gradient and Hessian diagonal of ``w l(p_y)`` from ``A = q l'(q)``, ``B = q^2 l''(q)``.

    Entries with ``p = 0`` other than the label (invalid classes, or valid ones whose
    probability underflowed) get ``grad = 0`` and ``hess = hess_floor``. The positive kind
    is ``w |A| p_j (1 - p_j)`` floored (``-A > 0`` for a loss that decreases in ``q``).
    Returns ``ERR_GRAD_VALUE``/``ERR_HESS_VALUE`` and the row if a stored value is not
    finite (e.g. overflows float32).
    """
    for i in range(lo, hi):
        w, ai, bi, label = weight[i], a[i], b[i], y[i]
        for j in range(proba.shape[1]):
            p = proba[i, j]
            if p == 0.0 and j != label:
                grad_out[i, j] = 0.0
                hess_out[i, j] = hess_floor
                continue
            d = u[i] if j == label else -p
            var = p * u[i] if j == label else p * (1.0 - p)  # p (1 - p), for the label without cancellation
            grad_out[i, j] = w * ai * d
            if exact:
                curv = bi * d * d if d != 0.0 else 0.0
                hess_out[i, j] = w * (curv + ai * (d * d - var))
            else:
                h = w * abs(ai) * var
                hess_out[i, j] = h if h > hess_floor else hess_floor
            if grad_out[i, j] - grad_out[i, j] != 0.0:
                return ERR_GRAD_VALUE, i
            if hess_out[i, j] - hess_out[i, j] != 0.0:
                return ERR_HESS_VALUE, i
    return OK, -1


@jit_uncached
def _row(raw, i, label, indptr, indices, from_margin, f, classes):
    """Row ``i``'s valid margins into ``f[:k]``, their classes into ``classes[:k]``; returns
    ``(status, k, position of the label in them)``."""
    k = 0
    if from_margin:
        for j in range(raw.shape[1]):
            x = np.float64(raw[i, j])
            if x != x or x == np.inf:
                return ERR_NONFINITE, 0, -1
            if x > INVALID_BELOW:
                f[k] = x
                classes[k] = j
                k += 1
        if k == 0:
            return ERR_EMPTY_ROW, 0, -1
    else:
        for c in range(indptr[i], indptr[i + 1]):
            x = np.float64(raw[i, indices[c]])
            if x - x != 0.0:
                return ERR_NONFINITE, 0, -1
            f[k] = x
            classes[k] = indices[c]
            k += 1
    for t in range(k):
        if classes[t] == label:
            return OK, k, t
    return ERR_LABEL_INVALID, k, -1


@jit_uncached
def _lend(f, classes, f_user, classes_user, k):
    """The row as the user's functions see it: fresh copies in ``f_user``/``classes_user`` (no
    allocation), so that a function that writes into its arguments changes neither the next
    call's inputs nor the classes the results are scattered to."""
    for t in range(k):
        f_user[t] = f[t]
        classes_user[t] = classes[t]
    return f_user[:k], classes_user[:k]


@jit_uncached
def margin_grad_hess(
    raw,
    y,
    weight,
    indptr,
    indices,
    from_margin,
    loss_fn,
    grad_fn,
    hess_fn,
    check_loss,
    positive,
    hess_floor,
    grad_out,
    hess_out,
    lo,
    hi,
):
    """Gradient and Hessian diagonal from the user's row functions (see module docstring).

    Invalid classes get ``grad = 0``, ``hess = hess_floor``; valid ones ``w g`` and ``w h``
    (``max(w |h|, hess_floor)`` if ``positive``). With ``check_loss`` (derived gradients,
    which never evaluate the loss at real margins) the loss must be finite on each row.
    """
    k_all = raw.shape[1]
    f, classes = np.empty(k_all), np.empty(k_all, np.int64)
    f_user, classes_user = np.empty(k_all), np.empty(k_all, np.int64)
    for i in range(lo, hi):
        status, k, pos = _row(raw, i, y[i], indptr, indices, from_margin, f, classes)
        if status != OK:
            return status, i
        if check_loss:
            v = np.float64(loss_fn(*_lend(f, classes, f_user, classes_user, k), pos))
            if v - v != 0.0:
                return ERR_LOSS_VALUE, i
        g = np.asarray(grad_fn(*_lend(f, classes, f_user, classes_user, k), pos), dtype=np.float64)
        if g.ndim != 1 or g.shape[0] != k:
            return ERR_GRAD_SHAPE, i
        h = np.asarray(hess_fn(*_lend(f, classes, f_user, classes_user, k), pos), dtype=np.float64)
        if h.ndim != 1 or h.shape[0] != k:
            return ERR_HESS_SHAPE, i
        for j in range(k_all):
            grad_out[i, j] = 0.0
            hess_out[i, j] = hess_floor
        w = weight[i]
        for t in range(k):
            if g[t] - g[t] != 0.0:
                return ERR_GRAD_VALUE, i
            if h[t] - h[t] != 0.0:
                return ERR_HESS_VALUE, i
            c = classes[t]
            grad_out[i, c] = w * g[t]
            v = w * h[t]
            hess_out[i, c] = max(abs(v), hess_floor) if positive else v
            if grad_out[i, c] - grad_out[i, c] != 0.0 or hess_out[i, c] - hess_out[i, c] != 0.0:
                return ERR_OUT_OVERFLOW, i
    return OK, -1


@jit_uncached
def margin_loss(raw, y, weight, indptr, indices, from_margin, loss_fn, loss_out, lo, hi):
    """Per-row ``w loss(f, classes, y)`` from the user's row function."""
    k_all = raw.shape[1]
    f, classes = np.empty(k_all), np.empty(k_all, np.int64)
    f_user, classes_user = np.empty(k_all), np.empty(k_all, np.int64)
    for i in range(lo, hi):
        status, k, pos = _row(raw, i, y[i], indptr, indices, from_margin, f, classes)
        if status != OK:
            return status, i
        v = np.float64(loss_fn(*_lend(f, classes, f_user, classes_user, k), pos))
        if v - v != 0.0:
            return ERR_LOSS_VALUE, i
        loss_out[i] = weight[i] * v
        if loss_out[i] - loss_out[i] != 0.0:
            return ERR_OUT_OVERFLOW, i
    return OK, -1


def complex_step_gradient(loss_fn):
    """``gradient(f, classes, y)`` of a row loss by the complex step ``Im l(f + i s e_j) / s``:
    exact to rounding (no subtraction), ``len(f)`` complex evaluations of ``loss_fn``."""

    @jit_uncached
    def gradient(f, classes, y):
        k = f.shape[0]
        out = np.empty(k)
        fc = f.astype(np.complex128)
        for j in range(k):
            fc[j] = f[j] + 1j * CS_STEP
            out[j] = loss_fn(fc, classes, y).imag / CS_STEP
            fc[j] = f[j]
        return out

    return gradient


def complex_step_hessian_from_gradient(grad_fn):
    """Hessian diagonal ``Im g_j(f + i s e_j) / s`` from a complex-safe gradient: exact to rounding."""

    @jit_uncached
    def hessian(f, classes, y):
        k = f.shape[0]
        out = np.empty(k)
        fc = f.astype(np.complex128)
        for j in range(k):
            fc[j] = f[j] + 1j * CS_STEP
            out[j] = grad_fn(fc, classes, y)[j].imag / CS_STEP
            fc[j] = f[j]
        return out

    return hessian


def complex_step_hessian_from_loss(loss_fn):
    """Hessian diagonal from the loss alone: ``Im(l(f + s w e_j) + l(f - s w e_j)) / s^2`` with
    ``w = exp(i pi / 4)``; truncation error O(s^4), rounding about ``eps |l| / s``."""

    @jit_uncached
    def hessian(f, classes, y):
        k = f.shape[0]
        out = np.empty(k)
        step = CS2_STEP * np.exp(0.25j * np.pi)
        fc = f.astype(np.complex128)
        for j in range(k):
            fc[j] = f[j] + step
            plus = loss_fn(fc, classes, y)
            fc[j] = f[j] - step
            minus = loss_fn(fc, classes, y)
            fc[j] = f[j]
            out[j] = (plus + minus).imag / (CS2_STEP * CS2_STEP)
        return out

    return hessian
