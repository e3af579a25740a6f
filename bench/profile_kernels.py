"""Where the time of a softmax gradient goes, per (row, class) entry, on the path training uses.

For each case (K classes, v valid per row) and each backend's layout (XGBoost: float32
C-order margins and outputs; LightGBM: float64 F-order margins, float32 F-order outputs),
the margins carry the ``-1e30`` offset (the mask is read from them, as in training) and
these are timed, interleaved, ``--repeat`` times each (median reported, with the range):

* ``write floor``: only writing the two outputs (the memory floor of any kernel);
* ``read margins``: only reading the margins once (numpy's ``sum``);
* ``softmax_block``: gathering each row's valid entries, its maximum and their ``exp``
  (the gathering kernels' first step), without writing outputs;
* ``kernel``: the jitted gradient/Hessian kernel that training runs on these margins
  (for row-major outputs the dense one when enough classes are valid, else the gathering
  one; for column-major outputs the column-wise dense one), on preallocated outputs,
  one thread;
* ``adapter 1 thread`` / ``adapter N threads``: the objective callable as the backend
  calls it (float32 labels, validation, reused outputs, threads);
* ``numpy``: the vectorised NumPy version (``boostobj._bench.numpy_gradient``).

The last line of each case is the NumPy version's time over the objective callable's on
the most threads, taken run by run (the two were timed in the same repetition): median and
range. So ``softmax_block - read margins`` is the gather and ``exp``, ``kernel - softmax_block``
the normalisation and the writes (when the gathering kernel runs; each case's header
says which), and ``adapter 1 thread - kernel`` the Python layer.

    python bench/profile_kernels.py                       # n*K = 24M entries per case
    python bench/profile_kernels.py --entries 2000000 --repeat 3
    python bench/profile_kernels.py --cases 3:2,24:6 --backends xgboost
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numba
import numpy as np

import boostobj
from boostobj._bench import numpy_gradient
from boostobj._inputs import dense_softmax_kernel
from boostobj._kernels import multiclass as mk
from boostobj._kernels.softmax import BLOCK_ROWS, softmax_block

CASES = ((24, 6), (24, 24), (3, 2), (100, 10), (1000, 20))


@numba.njit(nogil=True, cache=True)
def write_floor(grad, hess, floor):
    if grad.flags.f_contiguous:
        for j in range(grad.shape[1]):
            for i in range(grad.shape[0]):
                grad[i, j] = 0.0
                hess[i, j] = floor
    else:
        for i in range(grad.shape[0]):
            for j in range(grad.shape[1]):
                grad[i, j] = 0.0
                hess[i, j] = floor


@numba.njit(nogil=True, cache=True)
def block_only(raw, indptr, indices):
    size = BLOCK_ROWS * raw.shape[1]
    cols, expv = np.empty(size, np.int64), np.empty(size)
    start, rowmax = np.empty(BLOCK_ROWS + 1, np.int64), np.empty(BLOCK_ROWS)
    total = 0.0
    for b0 in range(0, raw.shape[0], BLOCK_ROWS):
        b1 = min(b0 + BLOCK_ROWS, raw.shape[0])
        softmax_block(raw, b0, b1, indptr, indices, True, cols, expv, start, rowmax)
        total += expv[0]
    return total


def make_case(n, k, v, seed=0):
    rng = np.random.default_rng(seed)
    cols = np.sort(np.argsort(rng.random((n, k)), axis=1)[:, :v], axis=1)
    mask = boostobj.ClassMask.from_lists(cols, k)
    y = cols[np.arange(n), rng.integers(0, v, n)]
    raw = rng.normal(size=(n, k)) + mask.margin_offset()
    return raw, y, mask


def stages(raw, y, mask, backend, threads):
    """(name -> zero-argument callable, the name of the kernel training runs), for one layout."""
    if backend == "xgboost":
        raw = np.ascontiguousarray(raw, dtype=np.float32)
        obj = boostobj.xgboost_objective()
        order = "C"
    else:
        raw = np.asfortranarray(raw, dtype=np.float64)
        obj = boostobj.lightgbm_objective()
        order = "F"
    loss = obj._loss
    grad = np.empty(raw.shape, np.float32, order=order)
    hess = np.empty(raw.shape, np.float32, order=order)
    weight = np.ones(len(y))
    empty = np.zeros(1, np.int64)
    scale, floor = loss._hessian_scale_floor(raw.shape[1])
    yi = y.astype(np.int64)
    valid = mask.to_dense()
    raw_valid = np.where(valid, raw, 0).astype(raw.dtype, order=order)
    dense = dense_softmax_kernel(raw, grad)  # the kernel training runs (None: gathering)

    labels = y.astype(np.float32)  # as both backends hand labels to an objective

    def adapter(n_threads):
        def call():
            before = boostobj.get_num_threads()
            boostobj.set_num_threads(n_threads)
            try:
                obj(labels, raw)
            finally:
                boostobj.set_num_threads(before)

        return call

    result = {
        "write floor": lambda: write_floor(grad, hess, floor),
        "read margins": lambda: raw.sum(),  # numpy's SIMD pairwise sum: about the speed of the reads
        "softmax_block": lambda: block_only(raw, empty, empty),
        "kernel": (
            (lambda: dense(raw, yi, weight, scale, floor, grad, hess, 0, len(y)))
            if dense is not None
            else lambda: mk.softmax_grad_hess(
                raw, yi, weight, empty, empty, True, scale, floor, grad, hess, 0, len(y)
            )
        ),
        "adapter 1 thread": adapter(1),
    }
    if threads > 1:
        result[f"adapter {threads} threads"] = adapter(threads)
    result["numpy"] = lambda: numpy_gradient(raw_valid, y, valid, hessian=backend)
    return result, "gathering" if dense is None else dense.__name__


def _cases(text):
    """``"24:6,3:2"`` -> ``((24, 6), (3, 2))``."""
    try:
        pairs = tuple(tuple(int(part) for part in item.split(":")) for item in text.split(","))
    except ValueError:
        pairs = ()
    if not pairs or any(len(p) != 2 or not 2 <= p[0] or not 1 <= p[1] <= p[0] for p in pairs):
        raise argparse.ArgumentTypeError(
            f"expected classes:valid pairs (2 <= classes, 1 <= valid <= classes), e.g. 24:6,3:2; got {text!r}"
        )
    return pairs


def _backends(text):
    names = tuple(text.split(","))
    if not names or not set(names) <= {"xgboost", "lightgbm"}:
        raise argparse.ArgumentTypeError(f"expected xgboost, lightgbm or xgboost,lightgbm; got {text!r}")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=24_000_000, help="n * K per case")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument(
        "--cases",
        type=_cases,
        default=CASES,
        help="classes:valid pairs, comma-separated (default: all five cases)",
    )
    parser.add_argument("--backends", type=_backends, default=("xgboost", "lightgbm"), help="comma-separated")
    args = parser.parse_args(argv)
    threads = boostobj.get_num_threads()
    report = {
        "command": "python bench/profile_kernels.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "threads": threads,
        "versions": {"numpy": np.__version__, "numba": numba.__version__},
        "cases": [],
    }
    for k, v in args.cases:
        n = min(1_000_000, args.entries // k)
        raw, y, mask = make_case(n, k, v)
        for backend in args.backends:
            calls, kernel = stages(raw, y, mask, backend, threads)
            for fn in calls.values():  # compile, warm up, fault the outputs in
                fn()
            times = {name: [] for name in calls}
            for repetition in range(args.repeat):
                names = list(calls) if repetition % 2 == 0 else list(calls)[::-1]
                for name in names:
                    start = time.perf_counter()
                    calls[name]()
                    times[name].append(time.perf_counter() - start)
            ns = {name: np.array(t) / (n * k) * 1e9 for name, t in times.items()}
            print(f"\n{backend}: n={n:,} K={k} valid={v} (mask from -1e30 margins; kernel {kernel})")
            print(f"{'stage':22s} {'ns/entry':>9s} {'range':>13s}")
            for name, values in ns.items():
                print(f"{name:22s} {np.median(values):9.2f} {values.min():6.2f}-{values.max():<6.2f}")
            fastest = f"adapter {threads} threads" if threads > 1 else "adapter 1 thread"
            paired = ns["numpy"] / ns[fastest]  # run by run: both timed in the same repetition
            print(f"numpy / {fastest}: {np.median(paired):.2f} (range {paired.min():.2f}-{paired.max():.2f})")
            report["cases"].append(
                {
                    "backend": backend,
                    "rows": n,
                    "classes": k,
                    "valid": v,
                    "kernel": kernel,
                    "ns_per_entry": {name: float(np.median(values)) for name, values in ns.items()},
                    "ns_per_entry_runs": {name: values.tolist() for name, values in ns.items()},
                    "numpy_over_fastest": {
                        "stage": fastest,
                        "median": float(np.median(paired)),
                        "runs": paired.tolist(),
                    },
                }
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
