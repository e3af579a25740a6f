"""Experiment: what column-major (LightGBM-layout) outputs cost a kernel, and why the
column-wise softmax kernel (``softmax_grad_hess_dense_cols``) is shaped as it is.

Two float32 column-major (n, K) outputs are written from a float64 column-major input
(``out = 0.5 * x``, ``out2 = x``), n = 1,000,000, K = 24, by small numba loops that differ
in one thing each:

* ``rows``: row by row, every class of a row (the row-major kernels' order);
* ``classes, blocks of B``: class by class within blocks of B rows (B = 256, 1024, 4096),
  row index unsigned (``np.uint64``);
* ``classes, blocks of 1024, signed``: the same with a signed row index ``b0 + r``, on which
  numba adds a negative-index wraparound that LLVM cannot remove.

Interleaved, median of ``--repeat`` runs, ns per (row, class) entry; one thread.

    python bench/column_writes.py
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np


@numba.njit(nogil=True)
def by_rows(x, out, out2):
    n, k = x.shape
    for i in range(n):
        for j in range(k):
            out[i, j] = 0.5 * x[i, j]
            out2[i, j] = x[i, j]


@numba.njit(nogil=True)
def by_classes(x, out, out2, rows):
    n, k = x.shape
    for b0 in range(0, n, rows):
        nb = rows if b0 + rows < n else n - b0
        for j in range(k):
            for r in range(nb):
                i = np.uint64(b0 + r)
                out[i, j] = 0.5 * x[i, j]
                out2[i, j] = x[i, j]


@numba.njit(nogil=True)
def by_classes_signed(x, out, out2, rows):
    n, k = x.shape
    for b0 in range(0, n, rows):
        nb = rows if b0 + rows < n else n - b0
        for j in range(k):
            for r in range(nb):
                out[b0 + r, j] = 0.5 * x[b0 + r, j]
                out2[b0 + r, j] = x[b0 + r, j]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    n, k = args.rows, args.classes
    x = np.asfortranarray(np.random.default_rng(0).normal(size=(n, k)))
    out = np.empty((n, k), np.float32, order="F")
    out2 = np.empty((n, k), np.float32, order="F")
    calls = {"rows": lambda: by_rows(x, out, out2)}
    for rows in (256, 1024, 4096):
        calls[f"classes, blocks of {rows}"] = lambda rows=rows: by_classes(x, out, out2, rows)
    calls["classes, blocks of 1024, signed"] = lambda: by_classes_signed(x, out, out2, 1024)
    for fn in calls.values():  # compile, fault the outputs in
        fn()
    times = {name: [] for name in calls}
    for repetition in range(args.repeat):
        for name in list(calls) if repetition % 2 == 0 else list(calls)[::-1]:
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    print(f"n={n:,} K={k}: float64 column-major input, two float32 column-major outputs, 1 thread")
    print(f"{'loop order':34s} {'ns/entry':>9s} {'range':>13s}")
    for name, t in times.items():
        ns = np.array(t) / (n * k) * 1e9
        print(f"{name:34s} {np.median(ns):9.2f} {ns.min():6.2f}-{ns.max():<6.2f}")


if __name__ == "__main__":
    main()
