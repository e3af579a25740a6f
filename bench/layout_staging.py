"""Experiment: staging column-major (LightGBM-layout) blocks through a row-major scratch.

LightGBM hands its margins over as float64 column-major (n, K) arrays and takes the
gradient back column-major; the gradient kernel costs about twice as much per entry in
that layout as in XGBoost's row-major one (``bench/profile_kernels.py``). This script tries
the textbook fix: copy each block of rows into a row-major scratch column by column, run
the kernel's row loop on the scratch, and copy the outputs back column by column. It times
a copy of ``multiclass.softmax_grad_hess`` rewritten that way (``grad2``, with layout chosen
at compile time by numba overloads) against the kernel itself, interleaved, median of 7,
on both layouts, after checking that both give identical outputs. It also times numpy's
own layout-changing copies, for scale.

    python bench/layout_staging.py

Result on the development machine (``bench/results/layout_staging.txt``): the staged kernel
is no faster in row-major layout and slower in column-major layout, and numpy's copy of a
float32 array into column-major order alone costs about 4 ns per entry: the layout's
cost is the memory system's, not the kernel's loop order. The kernels keep their direct
strided loops.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba.extending import overload

import boostobj
from boostobj._kernels import multiclass as mk
from boostobj._kernels.fastexp import exp_nonpositive
from boostobj._kernels.softmax import (
    BLOCK_ROWS,
    ERR_EMPTY_ROW,
    ERR_LABEL_INVALID,
    ERR_NONFINITE,
    INVALID_BELOW,
    OK,
)


def stage(raw, blk, b0, b1):
    pass


@overload(stage, inline="always")
def _stage(raw, blk, b0, b1):
    if raw.layout == "F":

        def impl(raw, blk, b0, b1):
            k = raw.shape[1]
            for j in range(k):
                for i in range(b0, b1):
                    blk[(i - b0) * k + j] = raw[i, j]

        return impl
    return lambda raw, blk, b0, b1: None


def load(raw, blk, i, j, b0):
    pass


@overload(load, inline="always")
def _load(raw, blk, i, j, b0):
    if raw.layout == "F":
        return lambda raw, blk, i, j, b0: blk[(i - b0) * raw.shape[1] + j]
    return lambda raw, blk, i, j, b0: np.float64(raw[i, j])


def put(out, scratch, i, j, b0, v):
    pass


@overload(put, inline="always")
def _put(out, scratch, i, j, b0, v):
    if out.layout == "F":

        def impl(out, scratch, i, j, b0, v):
            scratch[(i - b0) * out.shape[1] + j] = v

        return impl

    def impl(out, scratch, i, j, b0, v):
        out[i, j] = v

    return impl


def flush(out, scratch, b0, b1):
    pass


@overload(flush, inline="always")
def _flush(out, scratch, b0, b1):
    if out.layout == "F":

        def impl(out, scratch, b0, b1):
            k = out.shape[1]
            for j in range(k):
                for i in range(b0, b1):
                    out[i, j] = scratch[(i - b0) * k + j]

        return impl
    return lambda out, scratch, b0, b1: None


@numba.njit(nogil=True, fastmath={"contract"}, error_model="numpy")
def block2(raw, b0, b1, from_margin, cols, expv, start, rowmax, blk):
    stage(raw, blk, b0, b1)
    t = np.int64(0)
    for i in range(b0, b1):
        r = i - b0
        start[r] = t
        mx = -np.inf
        bad = False
        for j in range(raw.shape[1]):
            x = load(raw, blk, i, j, b0)
            bad |= x != x
            cols[t] = j
            expv[t] = x
            t += x > INVALID_BELOW
        if bad:
            return ERR_NONFINITE, i
        if t == start[r]:
            return ERR_EMPTY_ROW, i
        for s in range(start[r], t):
            x = expv[s]
            bad |= x - x != 0.0
            mx = max(mx, x)
        if bad:
            return ERR_NONFINITE, i
        rowmax[r] = mx
        for s in range(start[r], t):
            expv[s] -= mx
    start[b1 - b0] = t
    exp_nonpositive(expv, t)
    return OK, -1


@numba.njit(nogil=True, fastmath={"contract"}, error_model="numpy")
def grad2(raw, y, weight, hess_scale, hess_floor, grad_out, hess_out, lo, hi):
    k = raw.shape[1]
    size = BLOCK_ROWS * k
    cols, expv, blk = np.empty(size, np.int64), np.empty(size), np.empty(size)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    gs = np.empty(
        size if grad_out.flags.f_contiguous and not grad_out.flags.c_contiguous else 1, grad_out.dtype
    )
    hs = np.empty(gs.size, hess_out.dtype)
    for b0 in range(lo, hi, BLOCK_ROWS):
        b1 = min(b0 + BLOCK_ROWS, hi)
        status, row = block2(raw, b0, b1, True, cols, expv, start, rowmax, blk)
        if status != OK:
            return status, row
        for i in range(b0, b1):
            for j in range(k):
                put(grad_out, gs, i, j, b0, 0.0)
                put(hess_out, hs, i, j, b0, hess_floor)
        for i in range(b0, b1):
            r = i - b0
            total = 0.0
            for t in range(start[r], start[r + 1]):
                total += expv[t]
            inv = 1.0 / total
            w = weight[i]
            label = y[i]
            at = -1
            for t in range(start[r], start[r + 1]):
                j = cols[t]
                p = expv[t] * inv
                at = t if j == label else at
                put(grad_out, gs, i, j, b0, p * w)
                h = hess_scale * p * (1.0 - p) * w
                hv = h if h > hess_floor else hess_floor
                put(hess_out, hs, i, j, b0, hv)
            if at < 0:
                return ERR_LABEL_INVALID, i
            put(grad_out, gs, i, label, b0, (expv[at] * inv - 1.0) * w)
        flush(grad_out, gs, b0, b1)
        flush(hess_out, hs, b0, b1)
    return OK, -1


def median_ns(fn, entries, repeat=7):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / entries * 1e9


def compare(raw, y, order, repeat=7):
    """ns per entry of the kernel and of the staged copy, interleaved; outputs checked equal."""
    n = len(y)
    w, empty = np.ones(n), np.zeros(1, np.int64)
    g1 = np.empty(raw.shape, np.float32, order=order)
    h1, g2, h2 = np.empty_like(g1), np.empty_like(g1), np.empty_like(g1)
    calls = {
        "kernel": lambda: mk.softmax_grad_hess(raw, y, w, empty, empty, True, 2.0, 1e-16, g1, h1, 0, n),
        "staged": lambda: grad2(raw, y, w, 2.0, 1e-16, g2, h2, 0, n),
    }
    for fn in calls.values():
        fn()
    assert np.array_equal(g1, g2) and np.array_equal(h1, h2)
    times = {name: [] for name in calls}
    for _ in range(repeat):
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) / raw.size * 1e9 for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows at K = 24 (fewer at K = 100)")
    rows = parser.parse_args(argv).rows
    rng = np.random.default_rng(0)
    n, k = rows, 24
    column_major = np.asfortranarray(rng.random((n, k)))
    row_major32 = rng.random((n, k)).astype(np.float32)
    out_c, out_f = np.empty((n, k)), np.empty((n, k), np.float32, order="F")
    to_rows = median_ns(lambda: np.copyto(out_c, column_major), n * k)
    to_columns = median_ns(lambda: np.copyto(out_f, row_major32), n * k)
    print(f"numpy copy, float64 column-major -> row-major: {to_rows:.2f} ns/entry")
    print(f"numpy copy, float32 row-major -> column-major: {to_columns:.2f} ns/entry")
    print(
        f"{'n':>9s} {'K':>4s} {'valid':>5s} {'layout':>14s} {'kernel':>7s} {'staged':>7s}  ns/entry, 1 thread"
    )
    for n, k, v in ((rows, 24, 6), (rows, 24, 24), (rows, 3, 2), (max(1, rows * 24 // 100), 100, 10)):
        cols = np.sort(np.argsort(rng.random((n, k)), axis=1)[:, :v], axis=1)
        mask = boostobj.ClassMask.from_lists(cols, k)
        y = cols[np.arange(n), rng.integers(0, v, n)].astype(np.int64)
        margins = rng.normal(size=(n, k)) + mask.margin_offset()
        for layout, raw, order in (
            ("XGBoost (C)", np.ascontiguousarray(margins, dtype=np.float32), "C"),
            ("LightGBM (F)", np.asfortranarray(margins), "F"),
        ):
            ns = compare(raw, y, order)
            print(f"{n:9,d} {k:4d} {v:5d} {layout:>14s} {ns['kernel']:7.2f} {ns['staged']:7.2f}")


if __name__ == "__main__":
    main()
