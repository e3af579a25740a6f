"""Why the dense softmax kernels run as they do for small K: the row-major kernel is
compiled per K up to ``SMALL_K`` classes, and runs on LightGBM's column-major layout too.

``softmax_grad_hess_dense`` passes its jitted body a tuple of length K when
``K <= SMALL_K`` (K is then a compile-time constant and LLVM unrolls the per-row loops,
and each row's maximum is taken by float compare and select) and an empty tuple
otherwise (K read from the array at run time, each row's maximum an integer maximum of
``order_key``, which LLVM vectorises). Four tables, each timing two ways of computing
the same outputs on the same margins (carrying the -1e30 offset, two thirds of the
classes valid, float32 outputs, one thread), interleaved, with the median ns per (row,
class) entry of each and the median of the per-pair ratios (second over first) with
their range:

* XGBoost's layout (float32 C-order margins and outputs): the row-major kernel as it
  runs above ``SMALL_K`` (K read at run time, integer maximum) against K compiled in;
* LightGBM's layout (float64 F-order margins, float32 F-order outputs): the column-wise
  kernel (``softmax_grad_hess_dense_cols``) against the row-major one as it runs (K
  compiled in up to ``SMALL_K``);
* XGBoost's layout, K read at run time: the row maximum by float compare and select
  against the integer maximum;
* XGBoost's layout, as ``softmax_grad_hess_dense`` runs (K compiled in up to
  ``SMALL_K``, else the integer maximum): the 2-D arrays indexed row by row against
  flat views of them, through which each sub-block's margins are read in one loop.

    python bench/small_k.py
    python bench/small_k.py --classes 3 24 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from boostobj._kernels import multiclass as mk


def margins(n, k, seed=0):
    """(raw float64 with the offset, y int64 on a valid class)."""
    rng = np.random.default_rng(seed)
    v = max(1, (2 * k) // 3)
    order = np.argsort(rng.random((n, k)), axis=1)
    valid = np.zeros((n, k), bool)
    np.put_along_axis(valid, order[:, :v], True, axis=1)
    y = order[np.arange(n), rng.integers(0, v, n)]
    return np.where(valid, rng.normal(size=(n, k)), -1e30), y.astype(np.int64)


TABLES = {
    "xgboost": "xgboost's layout",
    "lightgbm": "lightgbm's layout",
    "row maximum": "xgboost's layout, K at run time",
    "flat views": "xgboost's layout, as softmax_grad_hess_dense runs",
}
"""The tables, in order: the name ``contenders`` takes, and the title printed."""


def contenders(layout, k):
    """(margin dtype and order, {name: kernel(raw, y, weight, scale, floor, grad, hess, lo, hi)})."""
    if layout == "xgboost":

        def compiled_in(*args):
            return mk.dense_with((0,) * k, (), *args)

        def run_time(*args):
            return mk.dense_with((), (0,), *args)

        return (np.float32, "C"), {"K at run time": run_time, "K compiled in": compiled_in}
    if layout == "flat views":
        fixed, int_max = ((0,) * k, ()) if k <= mk.SMALL_K else ((), (0,))

        def indexed(*args):
            return mk.dense_with(fixed, int_max, *args, flat=False)

        def flat(*args):
            return mk.dense_with(fixed, int_max, *args)

        return (np.float32, "C"), {"2-D indexing": indexed, "flat views": flat}
    if layout == "row maximum":

        def float_max(*args):
            return mk.dense_with((), (), *args)

        def int_max(*args):
            return mk.dense_with((), (0,), *args)

        return (np.float32, "C"), {"float maximum": float_max, "integer maximum": int_max}
    kernels = {"column kernel": mk.softmax_grad_hess_dense_cols, "row kernel": mk.softmax_grad_hess_dense}
    return (np.float64, "F"), kernels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 3, 4, 5, 6, 7, 8, 10, 16, 24])
    parser.add_argument("--entries", type=int, default=6_000_000, help="n * K per case")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    print(" ".join(["$ python bench/small_k.py", *(argv if argv is not None else sys.argv[1:])]))
    print(f"SMALL_K = {mk.SMALL_K}; one thread; ns per entry, median of {args.repeat} interleaved runs")
    for layout, title in TABLES.items():
        print()
        for k in args.classes:
            n = args.entries // k
            raw, y = margins(n, k)
            (dtype, order), kernels = contenders(layout, k)
            raw = np.asarray(raw, dtype=dtype, order=order)
            grad = np.empty(raw.shape, np.float32, order=order)
            hess = np.empty(raw.shape, np.float32, order=order)
            weight = np.ones(n)

            def call(kernel, raw=raw, y=y, weight=weight, grad=grad, hess=hess, n=n):
                start = time.perf_counter()
                kernel(raw, y, weight, 2.0, 1e-16, grad, hess, 0, n)
                return time.perf_counter() - start

            if k == args.classes[0]:
                first, second = kernels
                print(title)
                print(f"{'K':>4s} {first:>14s} {second:>14s} {'ratio':>7s} {'range':>13s}")
            for kernel in kernels.values():  # compile and warm up
                call(kernel)
            times = {name: [] for name in kernels}
            for repetition in range(args.repeat):
                names = list(kernels) if repetition % 2 == 0 else list(kernels)[::-1]
                for name in names:
                    times[name].append(call(kernels[name]))
            a, b = (np.array(t) for t in times.values())
            ratio = b / a
            print(
                f"{k:4d} {np.median(a) / (n * k) * 1e9:14.2f} {np.median(b) / (n * k) * 1e9:14.2f} "
                f"{np.median(ratio):7.3f} {ratio.min():6.3f}-{ratio.max():<6.3f}"
            )


if __name__ == "__main__":
    main()
