"""Training time with boostobj's objective against the built-in objective producing the same model.

Contenders: the built-in objective, XGBoost's ``multi:softprob`` / LightGBM's
``multiclass`` on the same data with the mask as a ``-1e30`` margin offset (pure C++, and
the same model as boostobj's conditional objective: their probabilities are compared,
``max |dp|``); boostobj's objective callable with its default threading (all cores); the
same on one kernel thread (the measurement behind the threading policy); "replayed
gradients", an objective callable that computes nothing and returns the gradients and
Hessians boostobj's objective gave in an earlier, untimed training, round by round: the
same trees (``max |dp|`` against boostobj's model is reported as ``dp_vs_boostobj``), so
its time is the floor any Python objective pays for the backend's custom-objective
interface (margins handed to Python, gradients copied back), and boostobj's time above
it is the objective's own cost; and, with
``--losses``, ``FocalLoss(gamma=2)`` and ``LabelSmoothingLoss(0.1)`` (other models: their
ratio is their cost in time against the built-in softmax on the same data).
Contenders run interleaved (A, B, C, ..., then in reverse order) so that machine noise and
drift hit all alike; each ratio is the median of the per-repetition ratios, reported with
their range (min-max).

    python bench/bench_training.py --pairs 5 --losses   # n = 200,000, K = 24, 20 rounds, depth 6
    python bench/bench_training.py --backend xgboost --rows 50000 --pairs 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import boostobj
from boostobj.datasets import make_transition_data

LOSSES = {
    "boostobj": lambda: boostobj.SoftmaxLoss(),
    "focal": lambda: boostobj.FocalLoss(gamma=2.0),
    "smoothing": lambda: boostobj.LabelSmoothingLoss(epsilon=0.1),
}


RECORDED: dict[str, list] = {}
"""Per backend, each round's (gradient, hessian) from boostobj's objective, as the "record"
objective of ``objective_callable`` saw them; the "replay" objective returns them in turn."""


def objective_callable(backend, objective):
    """The objective callable of a contender that is not the built-in objective."""
    if objective == "replay":
        rounds = iter(RECORDED[backend])
        return lambda preds, data: next(rounds)
    loss = LOSSES["boostobj" if objective == "record" else objective]()
    obj = boostobj.xgboost_objective(loss) if backend == "xgboost" else boostobj.lightgbm_objective(loss)
    if objective != "record":
        return obj
    RECORDED[backend] = []

    def record(preds, data):
        grad, hess = obj(preds, data)
        RECORDED[backend].append((np.array(grad), np.array(hess)))  # copies: the outputs are reused
        return grad, hess

    return record


def train_xgboost(X, y, mask, args, objective, threads):
    import xgboost as xgb

    params = {
        "num_class": mask.n_classes,
        "tree_method": "hist",
        "max_depth": args.depth,
        "eta": 0.3,
        "base_score": 0.5,
        "disable_default_eval_metric": 1,
        "nthread": args.nthread,
    }
    dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask)
    before = boostobj.get_num_threads()
    boostobj.set_num_threads(threads)
    start = time.perf_counter()
    if objective == "builtin":
        booster = xgb.train({**params, "objective": "multi:softprob"}, dtrain, args.rounds)
    else:
        booster = xgb.train(params, dtrain, args.rounds, obj=objective_callable("xgboost", objective))
    seconds = time.perf_counter() - start
    boostobj.set_num_threads(before)
    return seconds, boostobj.predict_proba(booster, X[:20000], mask=mask.take(np.arange(min(20000, len(y)))))


def train_lightgbm(X, y, mask, args, objective, threads):
    import lightgbm as lgb

    params = {
        "num_class": mask.n_classes,
        "max_depth": args.depth,
        "num_leaves": 2**args.depth - 1,
        "learning_rate": 0.3,
        "verbose": -1,
        "num_threads": args.nthread,
    }
    dtrain = boostobj.lightgbm_dataset(X, y, mask=mask, params={"verbose": -1})
    dtrain.construct()
    before = boostobj.get_num_threads()
    boostobj.set_num_threads(threads)
    start = time.perf_counter()
    obj = "multiclass" if objective == "builtin" else objective_callable("lightgbm", objective)
    booster = lgb.train({**params, "objective": obj}, dtrain, args.rounds)
    seconds = time.perf_counter() - start
    boostobj.set_num_threads(before)
    return seconds, boostobj.predict_proba(booster, X[:20000], mask=mask.take(np.arange(min(20000, len(y)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["xgboost", "lightgbm", "both"], default="both")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--classes", type=int, default=24)
    parser.add_argument("--valid", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--nthread", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=5, help="interleaved repetitions")
    parser.add_argument("--losses", action="store_true", help="add FocalLoss and LabelSmoothingLoss")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    X, y, mask = make_transition_data(args.rows, args.classes, args.valid, n_features=10, random_state=0)
    backends = ["xgboost", "lightgbm"] if args.backend == "both" else [args.backend]
    cores = boostobj.get_num_threads()
    contenders = [
        ("built-in, -1e30 offset", "builtin", cores),
        (f"boostobj, {cores} kernel threads", "boostobj", cores),
        ("boostobj, 1 kernel thread", "boostobj", 1),
        ("replayed gradients", "replay", cores),
    ]
    if args.losses:
        contenders += [("FocalLoss(gamma=2)", "focal", cores)]
        contenders += [("LabelSmoothingLoss(0.1)", "smoothing", cores)]
    report = {
        "command": "python bench/bench_training.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "args": vars(args),
        "results": {},
    }
    for backend in backends:
        train = train_xgboost if backend == "xgboost" else train_lightgbm
        for objective in {objective for _, objective, _ in contenders} - {"replay"}:  # compile, warm up
            train(X[:2000], y[:2000], mask.take(np.arange(2000)), args, objective, 1)
        _, proba_recorded = train(X, y, mask, args, "record", cores)  # untimed: the gradients to replay
        times = {name: [] for name, _, _ in contenders}
        proba = {}
        for repetition in range(args.pairs):
            for name, objective, threads in contenders if repetition % 2 == 0 else contenders[::-1]:
                seconds, proba[name] = train(X, y, mask, args, objective, threads)
                times[name].append(seconds)
        base = np.array(times[contenders[0][0]])
        print(
            f"\n{backend}: n={args.rows:,} K={args.classes} valid={args.valid} rounds={args.rounds} "
            f"depth={args.depth} nthread={args.nthread}, {args.pairs} interleaved runs"
        )
        print(f"{'contender':28s} {'median s':>9s} {'ratio':>7s} {'range':>11s} {'max|dp|':>9s}")
        rows = {}
        for name, objective, _ in contenders:
            t = np.array(times[name])
            ratios = t / base
            ratio = float(np.median(ratios))
            same_model = objective in ("builtin", "boostobj", "replay")
            dp = float(np.abs(proba[name] - proba[contenders[0][0]]).max()) if same_model else None
            rows[name] = {"seconds": t.tolist(), "ratios": ratios.tolist(), "median_ratio": ratio}
            rows[name]["max_dp"] = dp
            if objective == "replay":
                rows[name]["dp_vs_boostobj"] = float(np.abs(proba[name] - proba_recorded).max())
            spread = f"{ratios.min():.3f}-{ratios.max():.3f}"
            shown = "-" if dp is None else f"{dp:.1e}"
            print(f"{name:28s} {np.median(t):9.2f} {ratio:7.3f} {spread:>11s} {shown:>9s}")
        replayed = rows["replayed gradients"]
        print(f"replayed gradients: max|dp| against boostobj's model {replayed['dp_vs_boostobj']:.1e}")
        report["results"][backend] = rows
        RECORDED.pop(backend)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
