"""Softmax over segments of a flat array: the one kernel design behind the family.

A *segment* is a run of positions ``ptr[s] <= q < ptr[s + 1]`` of flat arrays ``values``
(margins) and ``targets`` (a distribution over the segment's positions: one-hot for a
label, or shares). With ``p`` the softmax of the segment's values, its weight ``w[s]`` and
Hessian factor ``c[s]``::

    grad[q] = w (p_q - t_q)
    hess[q] = max(c w p_q (1 - p_q), floor)
    loss_s  = w (logsumexp(values_s) - sum_q t_q values_q)

The family members only say where the segments are:

* choice sets in long format (:mod:`boostobj.choice`): the rows of each choice situation,
  contiguous in the data, so the backend's margins are the flat array itself;
* the grouped softmax (:mod:`boostobj.grouped`): in each row, the valid columns of each
  group of columns, gathered block by block into a flat buffer (``grouped_grad_hess``), or,
  when the mask is read from the margins and many classes are valid, every column in
  straight loops (``grouped_grad_hess_dense``, bitwise the same outputs);
* the conditional softmax is the case of one group (kept in ``multiclass.py``, tuned).

Exponentials go through ``fastexp.exp_nonpositive`` on each block, as in ``softmax.py``.
Every kernel returns ``(status, position)`` of the first problem (codes of ``softmax.py``).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .fastexp import exp_nonpositive
from .softmax import BLOCK_ROWS, ERR_EMPTY_ROW, ERR_LABEL_INVALID, ERR_NONFINITE, INVALID_BELOW, OK

#: A target that is not a finite number in [0, 1] (reported with its position).
ERR_BAD_TARGET = 4
#: A segment whose targets do not sum to 1 (reported with its first position).
ERR_TARGET_SUM = 5

__all__ = ["segment_softmax", "segment_loss", "grouped_grad_hess", "grouped_loss"]


@jit
def _shift_exp(values, ptr, s0, s1, work):
    """``work[q] = exp(values[q] - max of its segment)`` for the segments ``s0 <= s < s1``
    (positions ``ptr[s0]..ptr[s1]``; ``work`` indexed from ``ptr[s0]``). Returns
    ``(status, position)``; ``values`` must be finite."""
    base = ptr[s0]
    for s in range(s0, s1):
        a, b = ptr[s], ptr[s + 1]
        if b == a:
            return ERR_EMPTY_ROW, s
        mx = -np.inf
        for q in range(a, b):
            x = np.float64(values[q])
            if x - x != 0.0:  # NaN or infinite
                return ERR_NONFINITE, q
            mx = max(mx, x)
        for q in range(a, b):
            work[q - base] = np.float64(values[q]) - mx
    exp_nonpositive(work, ptr[s1] - base)
    return OK, -1


@jit
def segment_softmax(values, targets, ptr, weight, scale, floor, tolerance, grad_out, hess_out, lo, hi):
    """Gradient and Hessian of the segment cross-entropy (module docstring) for segments
    ``lo <= s < hi``, processed in blocks of about ``BLOCK_ROWS * 16`` positions.

    ``tolerance >= 0`` also checks the targets on the way (so that the caller need not
    make passes of its own over them): each in [0, 1] (``ERR_BAD_TARGET`` at its
    position), each segment's sum within ``tolerance`` of 1 (``ERR_TARGET_SUM`` at the
    segment's first position). Outputs are then partly written."""
    chunk = BLOCK_ROWS * 16
    longest = 1
    for s in range(lo, hi):
        longest = max(longest, ptr[s + 1] - ptr[s])
    size = max(chunk, longest)
    work = np.empty(size)
    s0 = lo
    while s0 < hi:
        s1 = s0 + 1
        while s1 < hi and ptr[s1 + 1] - ptr[s0] <= size:
            s1 += 1
        status, where = _shift_exp(values, ptr, s0, s1, work)
        if status != OK:
            return status, where
        base = ptr[s0]
        for s in range(s0, s1):
            a, b = ptr[s], ptr[s + 1]
            total = 0.0
            for q in range(a, b):
                total += work[q - base]
            inv = 1.0 / total
            w = weight[s]
            c = scale[s]
            shares = 0.0
            for q in range(a, b):
                p = work[q - base] * inv
                t = np.float64(targets[q])
                shares += t
                if tolerance >= 0.0 and not (0.0 <= t <= 1.0):  # NaN too
                    return ERR_BAD_TARGET, q
                grad_out[q] = w * (p - t)
                h = c * p * (1.0 - p) * w
                hess_out[q] = h if h > floor else floor
            if tolerance >= 0.0 and abs(shares - 1.0) > tolerance:
                return ERR_TARGET_SUM, a  # its first row: every position reported is a row
        s0 = s1
    return OK, -1


@jit
def segment_loss(values, targets, ptr, weight, loss_out, lo, hi):
    """``loss_out[s] = w_s (logsumexp(values_s) - sum_q t_q values_q)`` for ``lo <= s < hi``."""
    for s in range(lo, hi):
        a, b = ptr[s], ptr[s + 1]
        if b == a:
            return ERR_EMPTY_ROW, s
        mx = -np.inf
        for q in range(a, b):
            x = np.float64(values[q])
            if x - x != 0.0:
                return ERR_NONFINITE, q
            mx = max(mx, x)
        # -log p_q = log(total) - shifted_q, with total = 1 + rest (the maximum's exp is 1):
        # log1p(rest) keeps -log p accurate as p -> 1
        rest = 0.0
        top = -1
        for q in range(a, b):
            shifted = np.float64(values[q]) - mx
            if shifted == 0.0 and top < 0:
                top = q
            else:
                rest += np.exp(shifted)
        log_total = np.log1p(rest)
        total = 0.0
        for q in range(a, b):
            if targets[q] != 0.0:
                total += targets[q] * (log_total - (np.float64(values[q]) - mx))
        loss_out[s] = weight[s] * total
    return OK, -1


# ---------------------------------------------------------------------- the grouped softmax
@jit
def _unlabelled_group_nonfinite(raw, i, g, group_of, group_ptr, indptr, indices, from_margin):
    """Whether group ``g`` of row ``i``, which has no label, holds a margin that is an error
    anyway, as for ``SoftmaxLoss``: NaN or +inf anywhere when the mask is read from the
    margins; NaN or +-inf on a valid class of a CSR mask."""
    if from_margin:
        for j in range(group_ptr[g], group_ptr[g + 1]):
            x = np.float64(raw[i, j])
            if x != x or x == np.inf:
                return True
        return False
    for c in range(indptr[i], indptr[i + 1]):
        j = indices[c]
        if group_of[j] == g and np.float64(raw[i, j]) - np.float64(raw[i, j]) != 0.0:
            return True
    return False


@jit
def _gather_groups(
    raw, y, group_of, group_ptr, ignore, indptr, indices, from_margin, b0, b1, cols, vals, tgt, ptr, seg, segg
):
    """Gather the valid entries of rows ``b0 <= i < b1``, group by group, into flat buffers:
    ``cols`` their columns, ``vals`` their margins, ``tgt`` the one-hot targets; ``ptr``
    the segment bounds, ``seg`` and ``segg`` each segment's row ``i`` and group ``g``. Groups whose label is
    ``ignore`` are left out. Returns ``(n_segments, status, where)``, ``where`` a row (NaN)
    or ``i * G + g`` (no valid class, or the label not one of them)."""
    n_groups = group_ptr.size - 1
    t = 0
    n_seg = 0
    ptr[0] = 0
    for i in range(b0, b1):
        for g in range(n_groups):
            label = y[i, g]
            if label == ignore:  # no label, but its margins are checked as everywhere else
                if _unlabelled_group_nonfinite(raw, i, g, group_of, group_ptr, indptr, indices, from_margin):
                    return n_seg, ERR_NONFINITE, i * n_groups + g
                continue
            found = False
            start = t
            if from_margin:
                for j in range(group_ptr[g], group_ptr[g + 1]):
                    x = np.float64(raw[i, j])
                    if x != x:
                        return n_seg, ERR_NONFINITE, i * n_groups + g
                    if x > INVALID_BELOW:
                        cols[t] = j
                        vals[t] = x
                        tgt[t] = 1.0 if j == label else 0.0
                        found |= j == label
                        t += 1
            else:
                for c in range(indptr[i], indptr[i + 1]):
                    j = indices[c]
                    if group_of[j] == g:
                        cols[t] = j
                        vals[t] = np.float64(raw[i, j])
                        tgt[t] = 1.0 if j == label else 0.0
                        found |= j == label
                        t += 1
            if t == start:
                return n_seg, ERR_EMPTY_ROW, i * n_groups + g
            if not found:
                return n_seg, ERR_LABEL_INVALID, i * n_groups + g
            seg[n_seg] = i
            segg[n_seg] = g
            n_seg += 1
            ptr[n_seg] = t
    return n_seg, OK, -1


@jit
def _buffers(k, n_groups):
    size = BLOCK_ROWS * k
    n_seg = BLOCK_ROWS * n_groups + 1
    return (
        np.empty(size, np.int64),
        np.empty(size),
        np.empty(size),
        np.empty(n_seg, np.int64),
        np.empty(n_seg, np.int64),
        np.empty(n_seg, np.int64),
    )


@jit
def grouped_grad_hess(
    raw,
    y,
    group_of,
    group_ptr,
    ignore,
    weight,
    indptr,
    indices,
    from_margin,
    scale,
    floor,
    grad_out,
    hess_out,
    lo,
    hi,
):
    """Gradient and Hessian diagonal of the grouped softmax cross-entropy, rows ``lo..hi``.

    raw, grad_out, hess_out : (n, K), C or F order; y : (n, G) int64, the global column of
    each group's label (``ignore``: no label); group_of : (K,) the group of each column;
    group_ptr : (G + 1,) column bounds; weight : (n, G) float64; scale : (G,) Hessian
    factor per group. Classes of groups without a label, and invalid classes, get
    ``grad = 0, hess = floor``. Returns ``(status, i * G + g)`` of the first problem.
    """
    n_groups = group_ptr.size - 1
    cols, work, _, ptr, seg, segg = _buffers(raw.shape[1], n_groups)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        n_seg, status, where = _gather_shifted(
            raw, y, group_of, group_ptr, ignore, indptr, indices, from_margin,
            b0, b1, cols, work, ptr, seg, segg,
        )  # fmt: skip
        if status != OK:
            return status, where
        if grad_out.strides[0] < grad_out.strides[1]:  # fill in memory order (LightGBM's F-order outputs)
            for j in range(raw.shape[1]):
                for i in range(b0, b1):
                    grad_out[i, j] = 0.0
                    hess_out[i, j] = floor
        else:
            for i in range(b0, b1):
                for j in range(raw.shape[1]):
                    grad_out[i, j] = 0.0
                    hess_out[i, j] = floor
        exp_nonpositive(work, ptr[n_seg])
        for s in range(n_seg):
            i, g = seg[s], segg[s]
            a, b = ptr[s], ptr[s + 1]
            total = 0.0
            for t in range(a, b):
                total += work[t]
            inv = 1.0 / total
            w = weight[i, g]
            c = scale[g]
            label = y[i, g]
            for t in range(a, b):
                j = cols[t]
                p = work[t] * inv
                grad_out[i, j] = w * (p - 1.0) if j == label else w * p
                h = c * p * (1.0 - p) * w
                hess_out[i, j] = h if h > floor else floor
    return OK, -1


@jit
def grouped_grad_hess_dense(raw, y, group_ptr, ignore, weight, scale, floor, grad_out, hess_out, lo, hi):
    """``grouped_grad_hess`` with the valid classes read from the margins, in straight loops.

    As ``multiclass.softmax_grad_hess_dense``: an invalid margin becomes ``-inf`` (``exp``
    exactly 0), and so do all the margins of a group whose label is ``ignore``; a group's
    sum adds exact zeros, so the outputs are bitwise those of ``grouped_grad_hess``, and so
    is the first problem reported (re-checked in ``grouped_first_problem``).
    """
    k = raw.shape[1]
    n_groups = group_ptr.size - 1
    ex = np.empty(BLOCK_ROWS * k)  # block row r, column j at r * k + j
    inv = np.empty(BLOCK_ROWS * n_groups)  # 1 / sum of each (row, group), 0 if ignored
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        nb = b1 - b0
        bad = False
        for r in range(nb):
            for g in range(n_groups):
                a, b = group_ptr[g], group_ptr[g + 1]
                label = y[b0 + r, g]
                ignored = label == ignore
                mx = -np.inf
                for j in range(a, b):
                    x = np.float64(raw[b0 + r, j])
                    bad |= (x != x) | (x == np.inf)
                    v = x if x > INVALID_BELOW and not ignored else -np.inf
                    ex[r * k + j] = v
                    mx = v if v > mx else mx
                if not ignored:
                    # no valid class, +inf, or the label not a valid class of its group
                    bad |= (mx == -np.inf) | (mx == np.inf) | (label < a) | (label >= b)
                    bad |= not np.float64(raw[b0 + r, label if a <= label < b else a]) > INVALID_BELOW
                    for j in range(a, b):
                        ex[r * k + j] -= mx
        if bad:
            return grouped_first_problem(raw, y, group_ptr, ignore, b0, b1)
        exp_nonpositive(ex, nb * k)
        for r in range(nb):
            for g in range(n_groups):
                total = 0.0
                for j in range(group_ptr[g], group_ptr[g + 1]):
                    total += ex[r * k + j]
                inv[r * n_groups + g] = 1.0 / total if total > 0.0 else 0.0
        for r in range(nb):
            i = b0 + r
            for g in range(n_groups):
                scale_g, w, c, label = inv[r * n_groups + g], weight[i, g], scale[g], y[i, g]
                for j in range(group_ptr[g], group_ptr[g + 1]):
                    p = ex[r * k + j] * scale_g
                    # this expression as in grouped_grad_hess: p - 1.0 not fused with the product
                    grad_out[i, j] = w * (p - 1.0) if j == label else w * p
                    h = c * p * (1.0 - p) * w
                    hess_out[i, j] = h if h > floor else floor
    return OK, -1


@jit
def grouped_first_problem(raw, y, group_ptr, ignore, b0, b1):
    """``(status, i * G + g)`` of the first problem in rows ``b0..b1`` with the valid
    classes read from the margins, in the order and with the codes of ``_gather_shifted``."""
    n_groups = group_ptr.size - 1
    for i in range(b0, b1):
        for g in range(n_groups):
            where = i * n_groups + g
            label = y[i, g]
            count = 0
            infinite = False
            for j in range(group_ptr[g], group_ptr[g + 1]):
                x = np.float64(raw[i, j])
                if x != x:
                    return ERR_NONFINITE, where
                if x > INVALID_BELOW:
                    count += 1
                    infinite |= x == np.inf
            if label == ignore:
                if infinite:  # +inf is an error even where the group has no label
                    return ERR_NONFINITE, where
                continue
            if count == 0:
                return ERR_EMPTY_ROW, where
            if infinite:
                return ERR_NONFINITE, where
            if not (group_ptr[g] <= label < group_ptr[g + 1] and np.float64(raw[i, label]) > INVALID_BELOW):
                return ERR_LABEL_INVALID, where
    return OK, -1


@jit
def _gather_shifted(
    raw, y, group_of, group_ptr, ignore, indptr, indices, from_margin, b0, b1, cols, work, ptr, seg, segg
):
    """As ``_gather_groups``, for the gradient: ``work`` gets each valid margin minus its
    segment's maximum (ready for ``exp_nonpositive``), with no copy of the margins or the
    targets. An infinite margin on a valid class is ``ERR_NONFINITE`` at ``i * G + g``."""
    n_groups = group_ptr.size - 1
    t = np.int64(0)  # not the literal 0 (see softmax_block)
    n_seg = 0
    ptr[0] = 0
    for i in range(b0, b1):
        for g in range(n_groups):
            label = y[i, g]
            where = i * n_groups + g
            if label == ignore:  # no label, but its margins are checked as everywhere else
                if _unlabelled_group_nonfinite(raw, i, g, group_of, group_ptr, indptr, indices, from_margin):
                    return n_seg, ERR_NONFINITE, where
                continue
            found = False
            bad = False
            mx = -np.inf
            start = t
            if from_margin:
                for j in range(group_ptr[g], group_ptr[g + 1]):
                    x = np.float64(raw[i, j])
                    if x != x:
                        return n_seg, ERR_NONFINITE, where
                    if x > INVALID_BELOW:
                        cols[t] = j
                        work[t] = x
                        bad |= x - x != 0.0  # +inf
                        mx = max(mx, x)
                        found |= j == label
                        t += 1
            else:
                for c in range(indptr[i], indptr[i + 1]):
                    j = indices[c]
                    if group_of[j] == g:
                        x = np.float64(raw[i, j])
                        cols[t] = j
                        work[t] = x
                        bad |= x - x != 0.0  # NaN or +-inf
                        mx = max(mx, x)
                        found |= j == label
                        t += 1
            if t == start:
                return n_seg, ERR_EMPTY_ROW, where
            if bad:
                return n_seg, ERR_NONFINITE, where
            if not found:
                return n_seg, ERR_LABEL_INVALID, where
            for q in range(start, t):
                work[q] -= mx
            seg[n_seg] = i
            segg[n_seg] = g
            n_seg += 1
            ptr[n_seg] = t
    return n_seg, OK, -1


@jit
def grouped_loss(raw, y, group_of, group_ptr, ignore, weight, indptr, indices, from_margin, loss_out, lo, hi):
    """Per (row, group) weighted cross-entropy into ``loss_out`` (n, G); 0 where ``ignore``."""
    n_groups = group_ptr.size - 1
    cols, vals, tgt, ptr, seg, segg = _buffers(raw.shape[1], n_groups)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        n_seg, status, where = _gather_groups(
            raw,
            y,
            group_of,
            group_ptr,
            ignore,
            indptr,
            indices,
            from_margin,
            b0,
            b1,
            cols,
            vals,
            tgt,
            ptr,
            seg,
            segg,
        )
        if status != OK:
            return status, where
        for i in range(b0, b1):
            for g in range(n_groups):
                loss_out[i, g] = 0.0
        seg_w = np.empty(n_seg)
        out = np.empty(n_seg)
        for s in range(n_seg):
            seg_w[s] = weight[seg[s], segg[s]]
        status, where = segment_loss(vals, tgt, ptr, seg_w, out, 0, n_seg)
        if status != OK:
            s = np.searchsorted(ptr[1 : n_seg + 1], where, side="right")
            return status, seg[s] * n_groups + segg[s]
        for s in range(n_seg):
            loss_out[seg[s], segg[s]] = out[s]
    return OK, -1


@jit
def decode_label_codes(codes, group_ptr, allow_ignored, ignored, out, lo, hi):
    """Label codes of rows ``lo <= i < hi`` (``code = sum_g d_g prod_{h < g} (K_h + 1)``,
    digit ``d_g = K_g`` for "no label") into global columns ``out[i, g] = ptr[g] + d_g``, or
    ``ignored``. Returns ``(1, i)`` for a code that is not an integer in range, ``(2, i)`` for a
    missing label when ``allow_ignored`` is False, else ``(0, -1)``."""
    n_groups = group_ptr.size - 1
    total = 1.0
    for g in range(n_groups):
        total *= group_ptr[g + 1] - group_ptr[g] + 1
    for i in range(lo, hi):
        x = np.float64(codes[i])
        if not (0.0 <= x < total) or x != np.floor(x):  # NaN too
            return 1, i
        rest = np.int64(x)
        for g in range(n_groups):
            size = group_ptr[g + 1] - group_ptr[g]
            digit = rest % (size + 1)
            rest //= size + 1
            if digit == size:
                if not allow_ignored:
                    return 2, i
                out[i, g] = ignored
            else:
                out[i, g] = group_ptr[g] + digit
    return 0, -1
