"""Several categorical targets in one model: the hour of day and the day of week of a
customer's next visit, as one grouped softmax (24 + 7 margins per row).

``boostobj.GroupedSoftmaxLoss`` fits one softmax per group of columns in a single
booster; labels (one per group) travel with the rows as one code each, so eval sets, CV
folds and early stopping work as usual. Some visits have an unknown weekday
(``ignore_index``): they still teach the hour. The backends grow one tree per column
and round, so the grouped model learns what two separate models (one per target, the
weekday model on the rows that have one) learn: the printout shows about the same
held-out log-loss and accuracy (not the same bits: the visits without a weekday still
take part in XGBoost's histogram bins), from one model, one data set and one run.

    python examples/grouped_softmax.py
    python examples/grouped_softmax.py --rows 3000 --rounds 20
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj import GroupedSoftmaxLoss

GROUPS = [24, 7]


def simulate(n: int, rng: np.random.Generator):
    """Habitual visitors: a preferred hour and day, blurred."""
    X = rng.standard_normal((n, 6))
    hour = (np.round(12 + 5 * np.tanh(X[:, 0]) + 2 * X[:, 1] + rng.normal(0, 1.5, n)) % 24).astype(int)
    day = (np.round(3 + 2.5 * np.tanh(X[:, 2] - X[:, 3]) + rng.normal(0, 0.8, n)) % 7).astype(int)
    return X, np.column_stack([hour, day])


def log_loss_accuracy(proba, y):
    keep = y >= 0
    rows = np.flatnonzero(keep)
    return -np.mean(np.log(proba[rows, y[keep]])), np.mean(proba[rows].argmax(axis=1) == y[keep])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X, Y = simulate(args.rows, rng)
    Y[rng.random(args.rows) < 0.3, 1] = -1  # unknown weekday
    n_train = int(0.8 * args.rows)
    params = {"max_depth": 4, "eta": 0.1, "nthread": 2, "disable_default_eval_metric": 1}

    loss = GroupedSoftmaxLoss(GROUPS, ignore_index=-1)
    b = loss.init_raw_prediction(Y[:n_train])
    booster = xgb.train({**params, "num_class": sum(GROUPS)},
                        boostobj.xgboost_dmatrix(X[:n_train], Y[:n_train], loss=loss, init_score=b),
                        args.rounds, obj=boostobj.xgboost_objective(loss))  # fmt: skip
    grouped = loss.predict_proba(boostobj.predict_margin(booster, X[n_train:], init_score=b))

    separate = []
    for g, k in enumerate(GROUPS):
        keep = Y[:n_train, g] >= 0
        single = boostobj.SoftmaxLoss()
        b_g = single.init_raw_prediction(Y[:n_train][keep, g], n_classes=k)
        model = xgb.train({**params, "num_class": k},
                          boostobj.xgboost_dmatrix(X[:n_train][keep], Y[:n_train][keep, g], init_score=b_g),
                          args.rounds, obj=boostobj.xgboost_objective(single))  # fmt: skip
        separate.append(boostobj.predict_proba(model, X[n_train:], init_score=b_g))

    print(f"{args.rows:,} visits; 30% with an unknown weekday; held out: {args.rows - n_train:,}")
    print(f"{'model':24s} {'target':>7s} {'log-loss':>9s} {'accuracy':>9s}")
    results = {}
    for name, probas in (("one grouped softmax", grouped), ("two separate softmaxes", separate)):
        for g, target in enumerate(("hour", "weekday")):
            results[name, g] = log_loss_accuracy(probas[g], Y[n_train:, g])
            print(f"{name:24s} {target:>7s} {results[name, g][0]:9.4f} {results[name, g][1]:9.4f}")
    assert all(np.allclose(p.sum(axis=1), 1.0) for p in grouped)


if __name__ == "__main__":
    main()
