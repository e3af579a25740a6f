"""Array loops for multiclass losses over each row's valid classes (see ``softmax.py``).

Shapes: ``raw`` (n, K) float32 or float64, C or F order; ``y`` (n,) int64 labels,
already checked to lie in ``[0, K)``; ``weight`` (n,) float64, the product of sample and
class weights; ``grad_out``, ``hess_out`` (n, K), float32 or float64, C or F order.
Each kernel handles rows ``lo <= i < hi`` (its last two arguments) and returns
``(status, row)``.

``softmax_grad_hess`` gathers each row's valid entries (``softmax_block``) and takes any
mask; ``softmax_grad_hess_dense`` reads the mask from the margins and computes every
entry in straight loops, which is faster when a good share of the classes is valid (the
training path's usual case) and gives bitwise the same outputs;
``softmax_grad_hess_dense_cols`` does the same class by class, for column-major outputs.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .fastexp import KEY_NEG_INF, exp_nonpositive, from_order_key, order_key
from .softmax import (
    BLOCK_ROWS,
    ERR_EMPTY_ROW,
    ERR_LABEL_INVALID,
    ERR_NONFINITE,
    INVALID_BELOW,
    OK,
    block_scratch,
    log_prob,
    softmax_block,
)


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

    A Python function that allocates the block scratch (``softmax.block_scratch``) and
    runs the jitted kernel: ``np.empty`` inside a kernel is compiled with it, about 0.1 s
    of a first call.
    """
    scratch = block_scratch(raw.shape[1])
    args = (raw, y, weight, indptr, indices, from_margin, hess_scale, hess_floor, grad_out, hess_out, lo, hi)
    return _softmax_grad_hess(scratch, *args)


@jit
def _softmax_grad_hess(
    scratch, raw, y, weight, indptr, indices, from_margin, hess_scale, hess_floor, grad_out, hess_out, lo, hi
):
    """See ``softmax_grad_hess``; ``scratch`` is ``softmax.block_scratch(K)``."""
    cols, expv, start, rowmax = scratch
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = b0 + BLOCK_ROWS if b0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        status, row = softmax_block(raw, b0, b1, indptr, indices, from_margin, cols, expv, start, rowmax)
        if status != OK:
            return status, row
        if grad_out.strides[0] < grad_out.strides[1]:  # fill in memory order (LightGBM's F-order outputs)
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


SMALL_K = 7
"""Up to this many classes the row-major dense kernel is compiled for the exact ``K``
(each ``K`` its own machine code), so that LLVM unrolls the per-row loops.
``python bench/small_k.py`` (one thread; time with K compiled in over time with K read
at run time, median of interleaved pairs; ``bench/results/small_k.txt``): 0.53 at
K = 2 and 3, 0.69 at K = 7, 0.96 at K = 8 (range 0.76-1.11), but 1.07 at K = 10 and
1.22 at K = 16 (flat views, K at run time with the integer maximum; earlier runs, before
the flat views, on two machines: 1.04 and 1.35 at K = 8). It also runs on LightGBM's
column-major layout up to K = 7 (``_inputs.dense_softmax_kernel``)."""

_FIXED_K = tuple((0,) * k for k in range(SMALL_K + 1))
SCRATCH_ENTRIES = 2048
"""The row-major dense kernel works through sub-blocks of at most this many entries
(16 KiB of float64 scratch, inside the level-1 data cache; one row when K is more): at
K = 24, blocks of 64 rows instead of 256."""
_SEARCH = -1
"""The dense kernels' status for "an error from this row to the end of its block": their
Python wrappers then find which (``_find_error``)."""


def softmax_grad_hess_dense(raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi):
    """``softmax_grad_hess`` with the mask read from the margins, computed densely.

    Every entry of a block of rows goes through the same straight loops: an invalid
    margin (``<= INVALID_BELOW``) becomes ``-inf``, whose ``exp`` is exactly 0, so it gets
    ``p = 0``, ``grad = 0`` and ``hess = hess_floor`` with no gather, scatter or
    separate fill pass. The arithmetic is that of ``softmax_grad_hess`` in the same order
    (row sums add exact zeros), so the outputs are bitwise the same. It pays when a good
    share of the classes is valid (it exponentiates every entry, not only the valid
    ones): the caller chooses (``_inputs.dense_softmax_kernel``). Same errors, same rows.

    A Python function (it costs about a microsecond a call) that passes the jitted kernel
    a tuple of length ``K`` when ``K <= SMALL_K``: its length is a compile-time constant.
    """
    k = raw.shape[1]
    fixed, int_max = (_FIXED_K[k], ()) if k <= SMALL_K else ((), (0,))
    return dense_with(fixed, int_max, raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi)


def dense_with(
    fixed, int_max, raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi, *, flat=None
):
    """``_softmax_grad_hess_dense`` with the given ``fixed`` and ``int_max``, and flat
    (1-D) views of the margins and outputs when all three are C-contiguous (XGBoost's
    layout), so that it reads and writes each sub-block as one run of entries; otherwise
    it indexes the 2-D arrays. ``flat=False`` forces the 2-D indexing (for
    ``bench/small_k.py``)."""
    if flat is None:
        flat = raw.flags.c_contiguous and grad_out.flags.c_contiguous and hess_out.flags.c_contiguous
    views = (raw.reshape(-1), grad_out.reshape(-1), hess_out.reshape(-1)) if flat else ()
    k = raw.shape[1]
    rows = BLOCK_ROWS
    while rows > 1 and rows * k > SCRATCH_ENTRIES:
        rows //= 2
    scratch = (np.empty(rows * k), np.empty(rows), np.empty(rows))
    args = (raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi)
    status, row = _softmax_grad_hess_dense(fixed, int_max, views, scratch, *args)
    return _find_error(raw, y, row, lo, hi, BLOCK_ROWS) if status == _SEARCH else (status, row)


def _find_error(raw, y, row, lo, hi, block):
    """``(status, row)`` of the first error from ``row`` to the end of its block of
    ``block`` rows (blocks counted from ``lo``, the last one ending at ``hi``), as the
    gathering kernel reports it: ``first_error`` on each ``BLOCK_ROWS`` rows in turn.
    Called from Python when a dense kernel returns ``_SEARCH`` (``first_error`` inside a
    kernel would be compiled with it, on every first call)."""
    end = min(lo + ((row - lo) // block + 1) * block, hi)
    for start in range(row, end, BLOCK_ROWS):
        status, at = first_error(raw, y, start, min(start + BLOCK_ROWS, end))
        if status != OK:
            return status, at
    return OK, -1


@jit
def _softmax_grad_hess_dense(
    fixed, int_max, flat, scratch, raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi
):
    """See ``softmax_grad_hess_dense`` and ``dense_with``; ``fixed`` is ``()`` or a tuple of
    length ``K``; ``int_max`` is ``(0,)`` to take each row's maximum as an integer maximum
    of ``order_key``, ``()`` to take it by float compare and select; ``flat`` is
    ``(raw_flat, grad_flat, hess_flat)``, flat C-order views of ``raw``, ``grad_out`` and
    ``hess_out`` to read and write instead of them, or ``()`` to index the 2-D arrays
    (tuples, so that each choice is a compile-time constant: numba settles ``len`` of a
    tuple argument before typing and prunes the other branch).

    Flat, a sub-block's margins are read in one loop over its ``rows * K`` entries, which
    LLVM vectorises whatever K, and each row's maximum is then taken from the scratch;
    the outputs are written through unsigned flat indices. ``python bench/small_k.py``'s
    fourth table (``bench/results/small_k.txt`` and ``small_k_more_classes.txt``):
    0.87-0.92x the time of the 2-D indexing from K = 2 to 10, 0.95-0.98x from 12 to 24,
    1.01x at 32 and 64.

    Each block of ``BLOCK_ROWS`` rows is worked through in sub-blocks of ``rows`` rows (a
    power of two: scratch of at most ``SCRATCH_ENTRIES``, or one row when ``K`` is more;
    ``scratch`` is ``(ex, rowmax, inv)``, allocated by ``dense_with``). An error found in a
    sub-block is returned as ``(_SEARCH, first row of the sub-block)``, before anything of
    it is written, and ``dense_with`` runs ``first_error`` from there to the end of the
    block: the sub-blocks before it had none, so that is the block's first error.
    Scratch indices are unsigned (``np.uint64``), so numba adds no negative-index
    wraparound to those accesses (see ``softmax_grad_hess_dense_cols``).

    The integer maximum is vectorised by LLVM (the float one is a chain it must keep in
    order, as it cannot assume away NaN); ``softmax_grad_hess_dense`` takes it above
    ``SMALL_K``: with the 2-D indexing it was 0.91x the float maximum's time at K = 24;
    with the flat views, which take the maximum from the scratch, the two are within noise
    from K = 8 to 24, and it is 0.96x at K = 32 and 0.89x at 64 (``python
    bench/small_k.py``'s third table, both files). Where a row's largest
    margin is a zero of both signs the two may differ in the zero's sign, which no output
    sees (``exp(±0) = 1``).
    """
    k = len(fixed) if len(fixed) > 0 else raw.shape[1]
    ex, rowmax, inv = scratch  # ex: sub-block row r, class j at r * k + j: margin - row max, then exp
    rows = rowmax.shape[0]
    for c0 in range(lo, hi, BLOCK_ROWS):
        c1 = c0 + BLOCK_ROWS if c0 + BLOCK_ROWS < hi else hi  # not min(): one compile less
        for b0 in range(c0, c1, rows):
            b1 = b0 + rows if b0 + rows < c1 else c1
            nb = b1 - b0
            bad = False  # NaN or +inf anywhere, a row without a valid class, an invalid label
            base = np.uint64(b0 * k)  # the sub-block's first entry in the flat views
            if len(flat) > 0:  # a compile-time constant: one branch is compiled
                for t in range(nb * k):
                    x = np.float64(flat[0][base + np.uint64(t)])
                    bad |= (x != x) | (x == np.inf)
                    ex[np.uint64(t)] = x if x > INVALID_BELOW else -np.inf
            for r in range(nb):
                mx, key = -np.inf, KEY_NEG_INF
                for j in range(k):
                    if len(flat) > 0:
                        v = ex[np.uint64(r * k + j)]
                    else:
                        x = np.float64(raw[b0 + r, j])
                        bad |= (x != x) | (x == np.inf)
                        v = x if x > INVALID_BELOW else -np.inf
                        ex[np.uint64(r * k + j)] = v
                    if len(int_max) > 0:
                        kv = order_key(v)
                        key = kv if kv > key else key
                    else:
                        mx = v if v > mx else mx
                if len(int_max) > 0:
                    mx = from_order_key(key)  # a NaN margin was taken as -inf (and set ``bad``)
                rowmax[r] = mx
                # checked here, before any write: the outputs may be the margins themselves
                bad |= (mx == -np.inf) | (not ex[np.uint64(r * k + y[b0 + r])] > INVALID_BELOW)
            if bad:  # the caller finds the first error from b0 to the end of the block
                return _SEARCH, b0
            for r in range(nb):
                mx = rowmax[r]
                for j in range(k):
                    ex[np.uint64(r * k + j)] -= mx
            exp_nonpositive(ex, nb * k)
            for r in range(nb):
                total = 0.0
                for j in range(k):
                    total += ex[np.uint64(r * k + j)]
                inv[r] = 1.0 / total
            for r in range(nb):
                w = weight[b0 + r]
                scale = inv[r]  # locals: numba cannot tell inv or weight from the outputs
                at = base + np.uint64(r * k)  # the row's first entry in the flat views
                for j in range(k):
                    p = ex[np.uint64(r * k + j)] * scale
                    h = hess_scale * p * (1.0 - p) * w
                    h = h if h > hess_floor else hess_floor
                    if len(flat) > 0:
                        flat[1][at + np.uint64(j)] = p * w
                        flat[2][at + np.uint64(j)] = h
                    else:
                        grad_out[b0 + r, j] = p * w
                        hess_out[b0 + r, j] = h
                label = y[b0 + r]  # in the row's loop: its cache line is still at hand
                g = (ex[np.uint64(r * k + label)] * scale - 1.0) * w
                if len(flat) > 0:
                    flat[1][at + np.uint64(label)] = g
                else:
                    grad_out[b0 + r, label] = g
    return OK, -1


@jit
def first_error(raw, y, lo, hi):
    """``(status, row)`` of the first error in rows ``lo <= i < hi`` of margins that carry
    the mask, as ``softmax_block`` reports it for one block: the first row with a NaN or
    +inf margin or no valid class, else the first row whose label is not a valid class;
    ``(OK, -1)`` if none. Reads only ``raw``: call it before writing these rows."""
    for i in range(lo, hi):
        empty = True
        for j in range(raw.shape[1]):
            x = np.float64(raw[i, j])
            if x != x or x == np.inf:
                return ERR_NONFINITE, i
            empty &= not x > INVALID_BELOW
        if empty:
            return ERR_EMPTY_ROW, i
    for i in range(lo, hi):
        if not np.float64(raw[i, y[i]]) > INVALID_BELOW:
            return ERR_LABEL_INVALID, i
    return OK, -1


def softmax_grad_hess_dense_cols(raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi):
    """``softmax_grad_hess_dense`` walking each block class by class: for column-major
    outputs (LightGBM's layout), bitwise the same outputs and errors.

    Row-major loops on column-major arrays write a different cache line per class of a
    row; here every loop runs down the rows of one class, in blocks of up to
    ``4 * BLOCK_ROWS`` rows so that each column is written in long runs. Row indices are
    unsigned (``np.uint64``): with a signed index numba adds a negative-index wraparound
    to every access, which keeps LLVM from vectorising these loops. The writes alone
    (``bench/column_writes.py``, K = 24): 2.9 ns per entry row by row, 1.06 class by class
    in blocks of 256 rows, 0.92 in blocks of 1,024, 1.43 with a signed index. Each row's
    sum still adds its classes in order, so the arithmetic is that of the other kernels.

    A Python function, as ``dense_with``: it allocates the scratch and looks for the
    first error when the jitted kernel reports one in a block.
    """
    k = raw.shape[1]
    per_block = 128 // k if k < 128 else 1  # scratch of at most 256 KiB per block (L2)
    rows = BLOCK_ROWS * (per_block if per_block < 4 else 4)
    # ex: class j, block row r at ex[j, r]: margin - row max, then exp
    scratch = (np.empty((k, rows)), np.empty(rows), np.empty(rows), np.empty(rows))
    args = (raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi)
    status, row = _softmax_grad_hess_dense_cols(scratch, *args)
    return _find_error(raw, y, row, lo, hi, rows) if status == _SEARCH else (status, row)


@jit
def _softmax_grad_hess_dense_cols(
    scratch, raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi
):
    """See ``softmax_grad_hess_dense_cols``; ``scratch`` is ``(ex, rowmax, inv, w)``."""
    k = raw.shape[1]
    ex, rowmax, inv, w = scratch
    rows = rowmax.shape[0]
    for b0 in range(lo, hi, rows):
        b1 = b0 + rows if b0 + rows < hi else hi  # not min(): one compile less
        nb = b1 - b0
        bad = False  # NaN or +inf anywhere, a row without a valid class, an invalid label
        for r in range(nb):
            rowmax[r] = -np.inf
        for j in range(k):
            for r in range(nb):
                x = np.float64(raw[np.uint64(b0 + r), j])
                bad |= (x != x) | (x == np.inf)
                v = x if x > INVALID_BELOW else -np.inf
                ex[j, r] = v
                m = rowmax[r]
                rowmax[r] = v if v > m else m
        for r in range(nb):  # checked before any write: the outputs may be the margins themselves
            bad |= (rowmax[r] == -np.inf) | (not ex[y[b0 + r], r] > INVALID_BELOW)
        if bad:  # the caller finds the first error as the other kernels see it
            return _SEARCH, b0
        for j in range(k):
            for r in range(nb):
                ex[j, r] -= rowmax[r]
        for j in range(k):
            exp_nonpositive(ex[j], nb)
        for r in range(nb):
            inv[r] = 0.0
            w[r] = weight[b0 + r]
        for j in range(k):
            for r in range(nb):
                inv[r] += ex[j, r]
        for r in range(nb):
            inv[r] = 1.0 / inv[r]
        for j in range(k):
            for r in range(nb):
                p = ex[j, r] * inv[r]
                i = np.uint64(b0 + r)
                grad_out[i, j] = p * w[r]
                h = hess_scale * p * (1.0 - p) * w[r]
                hess_out[i, j] = h if h > hess_floor else hess_floor
        for r in range(nb):
            label = y[b0 + r]
            grad_out[b0 + r, label] = (ex[label, r] * inv[r] - 1.0) * w[r]
    return OK, -1


@jit
def softmax_loss(raw, y, weight, indptr, indices, from_margin, loss_out, lo, hi):
    """Per-row weighted cross-entropy ``w * (logsumexp(raw[i, valid]) - raw[i, y[i]])``.

    Computed as ``-w log p_y`` by ``log_prob``: accurate relative to the loss as
    ``p_y -> 1`` and exact for any finite margins where ``p_y`` underflows.
    loss_out : (n,) float.
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
