"""Discrete choice in long format: a boosted multinomial logit over transport modes.

Each trip chooses among up to four modes (walk, bike, bus, car); a mode may be unavailable
(no car, no bus line), and each available mode has its own price and travel time. The
true choice probabilities are known (a logit with a non-linear taste for time), so we can
report how far each model is from them. Two models see the same information:

1. long format, ``boostobj.ChoiceLoss``: one row per (trip, available mode) with the
   mode's own attributes; the softmax runs over each trip's rows (XGBoost ``qid``);
2. wide format, ``MaskedXGBClassifier``: one row per trip with every mode's attributes
   side by side and the unavailable modes masked.

    python examples/mode_choice.py
    python examples/mode_choice.py --trips 2000 --rounds 20
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj.choice import ChoiceLoss

MODES = ["walk", "bike", "bus", "car"]
ASC = np.array([0.5, 0.0, -0.3, 0.8])  # alternative-specific constants of the true model


def simulate(n_trips: int, rng: np.random.Generator):
    distance = rng.gamma(2.0, 3.0, n_trips)
    speed = np.array([5.0, 15.0, 25.0, 40.0])
    time = distance[:, None] / speed * 60 * rng.uniform(0.8, 1.3, (n_trips, 4))
    price = np.column_stack([np.zeros(n_trips), np.zeros(n_trips), np.full(n_trips, 2.5),
                             0.3 * distance + rng.uniform(0, 6, n_trips)])  # fmt: skip
    available = np.column_stack([distance < 8, rng.random(n_trips) < 0.7, rng.random(n_trips) < 0.6,
                                 rng.random(n_trips) < 0.75])  # fmt: skip
    available[~available.any(axis=1), 0] = True
    utility = ASC - 0.6 * price - 2.0 * np.log1p(time / 10)
    utility = np.where(available, utility, -np.inf)
    true_p = np.exp(utility - utility.max(axis=1, keepdims=True))
    true_p /= true_p.sum(axis=1, keepdims=True)
    choice = np.array([rng.choice(4, p=p) for p in true_p])
    return time, price, available, true_p, choice


def long_format(time, price, available, choice):
    trip, mode = np.nonzero(available)  # row-major: each trip's modes are contiguous
    X = np.column_stack([time[trip, mode], price[trip, mode], np.eye(4)[mode]])
    return X, (mode == choice[trip]).astype(float), trip, mode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trips", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    time, price, available, true_p, choice = simulate(args.trips, rng)
    train = np.arange(args.trips) < int(0.75 * args.trips)
    test = ~train
    params = {"max_depth": 3, "eta": 0.1, "nthread": 2, "disable_default_eval_metric": 1}

    # 1. long format: one row per available mode, a softmax over each trip's rows
    loss = ChoiceLoss()
    models = {}
    for part, rows in (("train", train), ("test", test)):
        X, y, trip, mode = long_format(time[rows], price[rows], available[rows], choice[rows])
        models[part] = (X, y, trip, mode)
    X, y, trip, _ = models["train"]
    booster = xgb.train(params, boostobj.xgboost_dmatrix(X, y, qid=trip, loss=loss), args.rounds,
                        obj=boostobj.xgboost_objective(loss))  # fmt: skip
    X, y, trip, mode = models["test"]
    p_rows = loss.predict_proba(booster.predict(xgb.DMatrix(X), output_margin=True), qid=trip)
    p_long = np.zeros((test.sum(), 4))
    p_long[trip, mode] = p_rows

    # 2. wide format: every mode's attributes side by side, unavailable modes masked
    wide = np.column_stack([time, price])
    clf = boostobj.MaskedXGBClassifier(n_estimators=args.rounds, learning_rate=0.1, max_depth=3, n_jobs=2)
    clf.fit(wide[train], choice[train], valid_mask=available[train])
    p_wide = clf.predict_proba(wide[test], valid_mask=available[test])

    y_test, truth = choice[test], true_p[test]
    print(f"{args.trips:,} trips, {available.sum():,} available (trip, mode) pairs; held out: {test.sum():,}")
    print(f"{'model':40s} {'log-loss':>9s} {'mean |p - p_true|':>18s}")
    for name, p in (("true probabilities", truth), ("long format, ChoiceLoss", p_long),
                    ("wide format, MaskedXGBClassifier", p_wide)):  # fmt: skip
        logloss = -np.mean(np.log(p[np.arange(len(y_test)), y_test]))
        distance = np.abs(p - truth)[available[test]].mean()
        print(f"{name:40s} {logloss:9.4f} {distance:18.4f}")
    assert np.allclose(p_long.sum(axis=1), 1.0) and (p_long[~available[test]] == 0).all()


if __name__ == "__main__":
    main()
