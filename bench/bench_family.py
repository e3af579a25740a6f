"""Cost per margin of the family's losses against ``SoftmaxLoss`` doing the same work.

Each comparison gives both losses the same number of margins with every one of them
valid (a full mask), so the work per margin is comparable:

* ``GroupedSoftmaxLoss`` with G groups of size s (K = G s columns) against
  ``SoftmaxLoss`` over K classes, and over s classes on G times the rows;
* ``ChoiceLoss`` on choice sets of s alternatives in long format (one margin per row)
  against ``SoftmaxLoss`` over s classes in wide format (the same margins);
* ``MultiLabelLoss`` on K labels, every pair observed, against ``SoftmaxLoss`` over K classes.

Each is the gradient/Hessian call the objective makes (float32 margins in XGBoost's
layout, labels as the backends carry them, XGBoost's Hessian convention, outputs
supplied, as the adapters do), timed
``--repeat`` times interleaved; the median ns per margin and the median of the per-repeat
ratios, with their range, are reported.

    python bench/bench_family.py                     # 4.8M margins per case
    python bench/bench_family.py --margins 480000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import boostobj
from boostobj.choice import ChoiceLoss
from boostobj.grouped import GroupedSoftmaxLoss
from boostobj.multilabel import MultiLabelLoss


def softmax_case(rows, k, rng):
    raw = rng.normal(size=(rows, k)).astype(np.float32)
    y = rng.integers(0, k, rows)
    loss = boostobj.SoftmaxLoss(hessian="xgboost")
    return _call(loss, y, raw, {})


def grouped_case(rows, groups, size, rng):
    raw = rng.normal(size=(rows, groups * size)).astype(np.float32)
    loss = GroupedSoftmaxLoss([size] * groups, hessian="xgboost")
    y = loss.encode_labels(rng.integers(0, size, (rows, groups)))  # one code per row, as the backends carry
    return _call(loss, y, raw, {})


def choice_case(situations, size, rng):
    raw = rng.normal(size=situations * size).astype(np.float32)
    y = np.zeros(raw.size)
    y[np.arange(situations) * size + rng.integers(0, size, situations)] = 1.0
    loss = ChoiceLoss(hessian="xgboost")
    return _call(loss, y, raw, {"group_ptr": np.arange(situations + 1) * size})


def multilabel_case(rows, k, rng):
    raw = rng.normal(size=(rows, k)).astype(np.float32)
    loss = MultiLabelLoss()
    y = loss.encode_labels(rng.random((rows, k)) < 0.2)  # one code per row, as the backends carry them
    return _call(loss, y, raw, {})


def _call(loss, y, raw, extra):
    grad, hess = np.empty_like(raw), np.empty_like(raw)
    return lambda: loss.gradient_hessian(y, raw, gradient_out=grad, hessian_out=hess, **extra)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--margins", type=int, default=4_800_000, help="margins per case")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    m = args.margins
    rng = np.random.default_rng(0)
    calls = {
        "SoftmaxLoss K=24, full mask": softmax_case(m // 24, 24, rng),
        "SoftmaxLoss K=6, full mask": softmax_case(m // 6, 6, rng),
        "GroupedSoftmaxLoss 4 groups of 6": grouped_case(m // 24, 4, 6, rng),
        "ChoiceLoss, sets of 6, long format": choice_case(m // 6, 6, rng),
        "ChoiceLoss, sets of 24, long format": choice_case(m // 24, 24, rng),
        "MultiLabelLoss, 24 labels": multilabel_case(m // 24, 24, rng),
    }
    pairs = [  # (family contender, SoftmaxLoss doing the same work on the same margins)
        ("GroupedSoftmaxLoss 4 groups of 6", "SoftmaxLoss K=24, full mask"),
        ("GroupedSoftmaxLoss 4 groups of 6", "SoftmaxLoss K=6, full mask"),
        ("ChoiceLoss, sets of 6, long format", "SoftmaxLoss K=6, full mask"),
        ("ChoiceLoss, sets of 24, long format", "SoftmaxLoss K=24, full mask"),
        ("MultiLabelLoss, 24 labels", "SoftmaxLoss K=24, full mask"),
    ]
    for fn in calls.values():  # compile, warm up
        fn()
    times = {name: [] for name in calls}
    names = list(calls)
    for repetition in range(args.repeat):
        for name in names if repetition % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    times = {name: np.array(t) for name, t in times.items()}
    threads = boostobj.get_num_threads()
    print(f"{m:,} margins per call, float32, {threads} threads, median of {args.repeat} interleaved runs")
    print(f"{'contender':40s} {'ns/margin':>9s}   {'vs':28s} {'ratio':>6s} {'range':>11s}")
    report = {
        "command": "python bench/bench_family.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "margins": m,
        "threads": threads,
        "ns_per_margin": {name: float(np.median(t) / m * 1e9) for name, t in times.items()},
        "ratios": [],
    }
    for name, t in times.items():
        if name.startswith("SoftmaxLoss"):
            print(f"{name:40s} {np.median(t) / m * 1e9:9.2f}")
    for title, ref_name in pairs:
        ratios = times[title] / times[ref_name]
        print(
            f"{title:40s} {np.median(times[title]) / m * 1e9:9.2f}   {ref_name:28s} "
            f"{np.median(ratios):6.2f} {ratios.min():5.2f}-{ratios.max():<5.2f}"
        )
        entry = {"contender": title, "reference": ref_name, "median": float(np.median(ratios))}
        report["ratios"].append({**entry, "runs": ratios.tolist()})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
