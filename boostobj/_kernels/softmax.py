"""Softmax over each row's valid classes: the shared block step and the masked softmax.

A row's valid classes come from one of two places:

* a CSR mask (``indptr``, ``indices``; sorted, unique, validated by ``ClassMask``), or
* the margins themselves (``from_margin=True``): class ``j`` is valid in row ``i`` when
  ``raw[i, j] > INVALID_BELOW``; this is how a ``-1e30`` margin offset, carried by
  XGBoost's ``base_margin`` or LightGBM's ``init_score``, marks invalid classes (so does
  ``-inf``; NaN anywhere and ``+inf`` are errors).

Kernels walk rows ``lo <= i < hi`` (their last two arguments; callers may split rows
across threads) in blocks of ``BLOCK_ROWS``: ``softmax_block`` gathers the valid entries
of a block into a flat buffer, subtracts each row's maximum and exponentiates the whole
buffer at once (``fastexp``); each kernel then reads the buffer row by row. An invalid entry is never
exponentiated, and in CSR mode never read.

Each kernel repeats the same few lines of scaffolding (allocate the block buffers, loop
over blocks, call ``softmax_block``, check its status) on purpose: numba compiles every
jitted helper separately, and the helpers that factored it out added about 0.6 s to the
first call of every kernel (measured with an empty cache, ``bench/bench_kernels.py``).
``multiclass.softmax_grad_hess``, the first call of a loss with a mask, takes its block
buffers from ``block_scratch`` instead (allocated in Python: ``np.empty`` in a kernel is
compiled with it).

Every kernel returns ``(status, row)``: ``OK`` or an error code with the first row where
it happened, so that the Python layer raises a clear error instead of training on NaN.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .fastexp import exp_nonpositive

#: Margin offset that marks an invalid class (0 marks a valid one).
INVALID_OFFSET = -1e30
#: A margin at or below this is an invalid class when the mask is read from the margins.
INVALID_BELOW = -1e29
#: Rows per block: the block's buffers (about 24 * BLOCK_ROWS * K bytes) stay in cache.
BLOCK_ROWS = 256

OK = 0
ERR_NONFINITE = 1  # NaN or +-inf margin on a valid class (from margins: NaN anywhere, +inf)
ERR_EMPTY_ROW = 2  # no valid class in the row (only possible when reading margins)
ERR_LABEL_INVALID = 3  # the row's label is not one of its valid classes


def block_scratch(k):
    """The scratch arrays of ``softmax_block`` for ``k`` classes: ``(cols, expv, start,
    rowmax)``, allocated by the caller's Python wrapper (``np.empty`` inside a kernel is
    compiled with it)."""
    size = BLOCK_ROWS * k
    return np.empty(size, np.int64), np.empty(size), np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)


@jit
def softmax_block(raw, b0, b1, indptr, indices, from_margin, cols, expv, start, rowmax):
    """Gather and exponentiate the valid entries of rows ``b0 <= i < b1``.

    Scratch arrays, allocated once per kernel call: ``cols`` (BLOCK_ROWS * K,)
    int64, ``expv`` (BLOCK_ROWS * K,) float64, ``start`` (BLOCK_ROWS + 1,) int64,
    ``rowmax`` (BLOCK_ROWS,) float64. On return, for block row ``r = i - b0`` and
    ``start[r] <= t < start[r + 1]``: ``cols[t]`` is a valid class of row ``i``
    (ascending) and ``expv[t] = exp(raw[i, cols[t]] - rowmax[r])``. Returns
    ``(status, row)``.
    """
    t = np.int64(0)  # not the literal 0: numba would also compile exp_nonpositive for Literal[int](0)
    for i in range(b0, b1):
        r = i - b0
        start[r] = t
        mx = -np.inf
        bad = False  # becomes True if a margin read is NaN or +-inf (NaN anywhere, from margins)
        if from_margin:
            for j in range(raw.shape[1]):
                x = np.float64(raw[i, j])
                bad |= x != x  # NaN; -inf is just an invalid class, +inf is caught below
                cols[t] = j
                expv[t] = x
                t += x > INVALID_BELOW  # branch-free compaction
            if bad:
                return ERR_NONFINITE, i
            if t == start[r]:
                return ERR_EMPTY_ROW, i
            for s in range(start[r], t):
                x = expv[s]
                bad |= x - x != 0.0
                mx = x if x > mx else mx
        else:
            for c in range(indptr[i], indptr[i + 1]):
                x = np.float64(raw[i, indices[c]])
                bad |= x - x != 0.0
                mx = x if x > mx else mx
                cols[t] = indices[c]
                expv[t] = x
                t += 1
        if bad:
            return ERR_NONFINITE, i
        rowmax[r] = mx
        for s in range(start[r], t):
            expv[s] -= mx
    start[b1 - b0] = t
    exp_nonpositive(expv, t)
    return OK, -1


@jit
def log_prob(e_y, rest, shifted_y, total):
    """``log q`` for ``q = e_y / (e_y + rest)``: ``-log1p(rest / e_y)`` (accurate as q -> 1), or
    from the shifted margin ``shifted_y = f_y - max`` when ``e_y`` underflowed."""
    return -np.log1p(rest / e_y) if e_y > 0.0 else shifted_y - np.log(total)


@jit
def masked_softmax(raw, indptr, indices, from_margin, proba_out, lo, hi):
    """Softmax over each row's valid classes; invalid classes get exactly 0.

    raw : (n, K) float margins; proba_out : (n, K) float, rows ``lo:hi`` written in
    full. Returns ``(status, row)``.
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
            for j in range(proba_out.shape[1]):
                proba_out[i, j] = 0.0
        for i in range(b0, b1):
            r = i - b0
            total = 0.0
            for t in range(start[r], start[r + 1]):
                total += expv[t]
            inv = 1.0 / total
            for t in range(start[r], start[r + 1]):
                proba_out[i, cols[t]] = expv[t] * inv
    return OK, -1
