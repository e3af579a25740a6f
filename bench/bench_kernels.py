"""Speed of the conditional-softmax gradient/Hessian, boostobj against what users write.

One run times, side by side on the same data (n rows, K classes, v valid per row,
float32 margins as XGBoost hands them over):

* boostobj's public ``SoftmaxLoss(hessian="xgboost").gradient_hessian`` with a
  ``ClassMask``, with the mask read from ``-1e30`` margin offsets, and with outputs
  supplied by the caller; each on one thread and on all cores (the default for direct
  calls);
* the best vectorised NumPy version (``boostobj._bench.numpy_gradient``);
* the classic per-row Python loop (on a row subsample: it is timed on ``--loop-rows``
  rows and reported per entry, clearly labelled).

Also the first-call (compile or cache-load) time in a fresh process.

    python bench/bench_kernels.py                     # n = 1,000,000, K = 24, 6 valid
    python bench/bench_kernels.py --rows 200000 --json bench/results/kernels.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

import boostobj
from boostobj._bench import best_time, numpy_gradient, python_loop_gradient


def make_problem(n, k, v, seed=0):
    rng = np.random.default_rng(seed)
    cols = np.argsort(rng.random((n, k)), axis=1)[:, :v]
    mask = boostobj.ClassMask.from_lists(cols, k)
    y = cols[np.arange(n), rng.integers(0, v, n)]
    raw = rng.normal(size=(n, k)).astype(np.float32)
    return raw, y, mask


#: First calls timed in a fresh process: the training path (mask read from the margins:
#: XGBoost's row-major float32 layout and LightGBM's column-major float64 one, both the
#: row-major dense kernel compiled for K = 3) and a direct call with a ClassMask (the
#: gathering kernel).
FIRST_CALLS = {
    "margins": "np.zeros((4, 3), np.float32)",
    "margins column-major": "np.zeros((4, 3), order='F')",
    "ClassMask": "np.zeros((4, 3), np.float32), mask=boostobj.ClassMask.from_lists([[0, 1]] * 4, 3)",
}


def first_call_seconds(cold, path="margins", repeat=3):
    """Seconds of a first gradient_hessian call in a fresh process (median and range of
    ``repeat`` processes): with an empty numba cache directory (``cold``: compiles) or
    with the package's cache (loads it). Import is not timed (it compiles nothing)."""
    code = (
        "import time, numpy as np, boostobj; t = time.perf_counter(); "
        "boostobj.SoftmaxLoss(hessian='xgboost')"
        f".gradient_hessian(np.zeros(4, int), {FIRST_CALLS[path]}); "
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache} if cold else dict(os.environ)
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            )
        times.append(float(out.stdout.strip()))
    return float(np.median(times)), min(times), max(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=24)
    parser.add_argument("--valid", type=int, default=6)
    parser.add_argument("--loop-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--first-calls", type=int, default=3, help="fresh processes per first-call figure (median)"
    )
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    n, k, v = args.rows, args.classes, args.valid
    raw, y, mask = make_problem(n, k, v)
    offset_raw = raw + mask.margin_offset()
    dense = mask.to_dense()
    loss = boostobj.SoftmaxLoss(hessian="xgboost")
    grad_out, hess_out = np.empty_like(raw), np.empty_like(raw)

    # Consistency first: every contender computes the same thing.
    want = loss.gradient_hessian(y, raw, mask=mask)
    for name, got in [
        ("numpy", numpy_gradient(raw, y, dense)),
        ("loop", python_loop_gradient(raw[:1000], y[:1000], mask.take(np.arange(1000)))),
    ]:
        rows = got[0].shape[0]
        assert np.allclose(got[0], want[0][:rows], atol=1e-6), name
        assert np.allclose(got[1], want[1][:rows], atol=1e-6), name

    cases = {
        "boostobj, ClassMask": lambda: loss.gradient_hessian(y, raw, mask=mask),
        "boostobj, mask from -1e30 margins": lambda: loss.gradient_hessian(y, offset_raw),
        "boostobj, ClassMask, caller's outputs": lambda: loss.gradient_hessian(
            y, raw, mask=mask, gradient_out=grad_out, hessian_out=hess_out
        ),
    }
    results = {}
    cores = boostobj.get_num_threads()
    for threads in sorted({1, cores}):
        boostobj.set_num_threads(threads)
        for name, fn in cases.items():
            results[f"{name}, {threads} thread{'s' if threads > 1 else ''}"] = best_time(fn, args.repeat)
    boostobj.set_num_threads(cores)
    results["NumPy vectorised"] = best_time(lambda: numpy_gradient(raw, y, dense), max(2, args.repeat // 2))
    m = min(args.loop_rows, n)
    sub = mask.take(np.arange(m))
    loop = best_time(lambda: python_loop_gradient(raw[:m], y[:m], sub), 1)
    per_entry = {name: t / (n * k) * 1e9 for name, t in results.items()}
    per_entry[f"Python loop (timed on {m} rows)"] = loop / (m * k) * 1e9
    base = per_entry["boostobj, ClassMask, 1 thread"]
    first = {
        f"{path}, {state}": first_call_seconds(cold=state == "compiling", path=path, repeat=args.first_calls)
        for path in FIRST_CALLS
        for state in ("compiling", "from numba's cache")
    }

    print(f"n={n:,} K={k} valid/row={v} float32; {platform.processor() or platform.machine()}")
    print(f"{'contender':50s} {'ns/entry':>9s} {'x boostobj 1 thread':>20s}")
    for name, ns in per_entry.items():
        print(f"{name:50s} {ns:9.2f} {ns / base:20.2f}")
    print(f"first call in a fresh process, s (median and range of {args.first_calls} processes):")
    for name, (median, low, high) in first.items():
        print(f"  {name:40s} {median:5.2f}  {low:.2f}-{high:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "command": "python bench/bench_kernels.py " + " ".join(argv or sys.argv[1:]),
                    "date": time.strftime("%Y-%m-%d"),
                    "rows": n,
                    "classes": k,
                    "valid": v,
                    "ns_per_entry": per_entry,
                    "first_call_s": {name: list(values) for name, values in first.items()},
                    "versions": {"numpy": np.__version__, "numba": __import__("numba").__version__},
                },
                fh,
                indent=2,
            )


if __name__ == "__main__":
    main()
