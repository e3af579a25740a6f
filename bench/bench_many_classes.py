"""Many candidate classes: one tree per class against XGBoost's multi-output trees.

With K = 1,000 candidate classes and about 20 valid per row, XGBoost grows K trees per
round by default (``multi_strategy="one_output_per_tree"``); ``multi_strategy=
"multi_output_tree"`` (hist only) grows one tree per round whose leaves hold K values.
This script trains both, each with the built-in ``multi:softprob`` carrying the mask as a
-1e30 margin offset and with boostobj's objective, on the same data, interleaved,
``--repeat`` times, and reports the median seconds per round (with the range), the time
inside boostobj's objective, the masked test log-loss and accuracy, and the largest
probability difference between boostobj's model and the built-in's with the same strategy,
on the test rows and on 2,000 training rows (on test rows, split thresholds that tie on the
training rows may be broken differently: see docs/benchmarks.md).

    python bench/bench_many_classes.py                    # 20,000 rows, K = 1,000, 20 valid
    python bench/bench_many_classes.py --rows 2000 --classes 100 --rounds 2 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import xgboost as xgb

import boostobj
from boostobj._bench import TimedObjective
from boostobj.datasets import make_transition_data

STRATEGIES = ("one_output_per_tree", "multi_output_tree")


def fit(strategy, objective, dtrain, args):
    params = {
        "num_class": args.classes,
        "tree_method": "hist",
        "multi_strategy": strategy,
        "max_depth": args.depth,
        "eta": 0.3,
        "base_score": 0.5,
        "nthread": args.nthread,
        "disable_default_eval_metric": 1,
    }
    timed = None
    start = time.perf_counter()
    if objective == "builtin":
        booster = xgb.train({**params, "objective": "multi:softprob"}, dtrain, args.rounds)
    else:
        timed = TimedObjective(boostobj.xgboost_objective())
        booster = xgb.train(params, dtrain, args.rounds, obj=timed)
    seconds = time.perf_counter() - start
    return booster, seconds, None if timed is None else timed.seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--test-rows", type=int, default=5_000)
    parser.add_argument("--classes", type=int, default=1_000)
    parser.add_argument("--valid", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--nthread", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    n = args.rows + args.test_rows
    X, y, mask = make_transition_data(n, args.classes, args.valid, n_features=10, random_state=0)
    tr, te = np.arange(args.rows), np.arange(args.rows, n)
    dtrain = boostobj.xgboost_dmatrix(X[tr], y[tr], mask=mask.take(tr))
    runs = [(s, o) for s in STRATEGIES for o in ("builtin", "boostobj")]
    small = boostobj.xgboost_dmatrix(X[:200], y[:200], mask=mask.take(np.arange(200)))
    for strategy, objective in runs:  # warm up: numba kernels, XGBoost's code paths
        fit(strategy, objective, small, argparse.Namespace(**{**vars(args), "rounds": 1}))
    seconds = {run: [] for run in runs}
    objective_seconds = {run: [] for run in runs}
    models = {}
    for repetition in range(args.repeat):
        for run in runs if repetition % 2 == 0 else runs[::-1]:
            booster, s, inside = fit(*run, dtrain, args)
            seconds[run].append(s)
            objective_seconds[run].append(inside)
            models[run] = booster
    m_te = mask.take(te)
    proba = {run: boostobj.predict_proba(models[run], X[te], mask=m_te) for run in runs}
    head = tr[: min(2_000, len(tr))]  # training rows: where models that agree must agree
    proba_train = {run: boostobj.predict_proba(models[run], X[head], mask=mask.take(head)) for run in runs}
    print(
        f"XGBoost hist: {args.rows:,} training rows, {len(te):,} test rows, K = {args.classes}, "
        f"{args.valid} valid per row, {args.rounds} rounds, depth {args.depth}, {args.nthread} threads; "
        f"median of {args.repeat} interleaved runs"
    )
    print(f"{'strategy':22s} {'objective':10s} {'s/round':>8s} {'range':>13s} {'obj s/round':>11s} "
          f"{'logloss':>8s} {'accuracy':>8s} {'max|dp| test':>12s} {'max|dp| train':>13s}")  # fmt: skip
    report = {
        "command": "python bench/bench_many_classes.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "args": vars(args),
        "results": [],
    }
    for strategy, objective in runs:
        per_round = np.array(seconds[strategy, objective]) / args.rounds
        inside = objective_seconds[strategy, objective]
        inside_text = "-" if inside[0] is None else f"{np.median(inside) / args.rounds:.3f}"
        p = proba[strategy, objective]
        logloss = float(-np.mean(np.log(p[np.arange(len(te)), y[te]])))
        accuracy = float(np.mean(p.argmax(axis=1) == y[te]))
        dp = float(np.abs(p - proba[strategy, "builtin"]).max())
        dp_train = float(np.abs(proba_train[strategy, objective] - proba_train[strategy, "builtin"]).max())
        print(
            f"{strategy:22s} {objective:10s} {np.median(per_round):8.3f} "
            f"{per_round.min():6.3f}-{per_round.max():<6.3f} {inside_text:>11s} {logloss:8.4f} "
            f"{accuracy:8.4f} {dp:12.1e} {dp_train:13.1e}"
        )
        report["results"].append(
            {
                "strategy": strategy,
                "objective": objective,
                "seconds_per_round": per_round.tolist(),
                "objective_seconds_per_round": None
                if inside[0] is None
                else (np.array(inside) / args.rounds).tolist(),
                "test_log_loss": logloss,
                "test_accuracy": accuracy,
                "max_dp_vs_builtin_test": dp,
                "max_dp_vs_builtin_train": dp_train,
            }
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
