"""Conditional multiclass on a Markov transition model: mask-aware vs mask-unaware boosting.

Each of K states allows only a few next states. We train

1. XGBoost's built-in ``multi:softprob``, unaware of the mask (what most users run): its
   probabilities are renormalised over each row's allowed states afterwards;
2. boostobj's conditional objective: softmax over the allowed states only, during
   training (the mask travels in the DMatrix's ``base_margin``);

and print the masked test log-loss and accuracy of both.

    python examples/transition_model.py                 # 30,000 transitions, 24 states
    python examples/transition_model.py --rows 3000 --rounds 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import xgboost as xgb

import boostobj
from boostobj.datasets import make_transition_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--states", type=int, default=24)
    parser.add_argument("--allowed", type=int, default=6, help="allowed next states per state")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args(argv)

    X, y, mask = make_transition_data(args.rows, args.states, args.allowed, random_state=0)
    n_train = int(0.8 * len(y))
    train, test = np.arange(n_train), np.arange(n_train, len(y))
    mask_train, mask_test = mask.take(train), mask.take(test)
    params = {
        "num_class": args.states,
        "tree_method": "hist",
        "max_depth": 4,
        "eta": 0.2,
        "nthread": 2,
        "disable_default_eval_metric": 1,
    }

    # 1. The built-in objective, unaware of the mask.
    start = time.perf_counter()
    plain = xgb.DMatrix(X[train], y[train])
    unaware = xgb.train({**params, "objective": "multi:softprob"}, plain, args.rounds)
    t_unaware = time.perf_counter() - start
    # It was trained without base_margin: predict from a plain DMatrix (keeping its base_score);
    # boostobj.predict_proba then renormalises over each row's allowed states.
    p_unaware = boostobj.predict_proba(unaware, xgb.DMatrix(X[test]), mask=mask_test)

    # 2. boostobj's conditional objective; the mask rides in base_margin.
    loss = boostobj.SoftmaxLoss()
    intercept = loss.init_raw_prediction(y[train], mask=mask_train)
    dtrain = boostobj.xgboost_dmatrix(X[train], y[train], mask=mask_train, init_score=intercept)
    start = time.perf_counter()
    aware = xgb.train(params, dtrain, args.rounds, obj=boostobj.xgboost_objective(loss))
    t_aware = time.perf_counter() - start
    p_aware = boostobj.predict_proba(aware, X[test], mask=mask_test, init_score=intercept)

    print(f"{len(y):,} transitions, {args.states} states, {args.allowed} allowed next states each")
    print(f"{'model':34s} {'masked log-loss':>15s} {'accuracy':>9s} {'train s':>8s}")
    for name, proba, seconds in [
        ("multi:softprob (mask-unaware)", p_unaware, t_unaware),
        ("boostobj conditional objective", p_aware, t_aware),
    ]:
        logloss = -np.mean(np.log(proba[np.arange(len(test)), y[test]]))
        accuracy = np.mean(proba.argmax(axis=1) == y[test])
        print(f"{name:34s} {logloss:15.4f} {accuracy:9.4f} {seconds:8.2f}")


if __name__ == "__main__":
    main()
