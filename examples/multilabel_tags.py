"""Masked multi-label classification: tags that nobody checked are not "no".

Each item has 8 yes/no tags; annotators checked only some of them per item (60%). The
usual shortcut fills the unchecked tags with "no", which biases every tag's probability
downwards. ``boostobj.MultiLabelLoss`` with the mask of checked (row, tag) pairs learns
from the checked pairs only (the mask rides in the data set's start margins, as for the
conditional softmax). Printed: the log-loss against the true tags of held-out items
(all of them known here), and the mean predicted probability against the true rate.

    python examples/multilabel_tags.py
    python examples/multilabel_tags.py --rows 2000 --rounds 10
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj import MultiLabelLoss

K = 8


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, 6))
    logits = X @ rng.normal(0, 0.8, (6, K)) + rng.normal(-0.5, 0.5, K)
    Y = (rng.random((args.rows, K)) < 1 / (1 + np.exp(-logits))).astype(int)
    checked = rng.random((args.rows, K)) < 0.6
    checked[np.arange(args.rows), rng.integers(0, K, args.rows)] = True  # every item: one checked tag
    n_train = int(0.8 * args.rows)
    params = {"num_class": K, "max_depth": 3, "eta": 0.1, "nthread": 2, "disable_default_eval_metric": 1}
    loss = MultiLabelLoss()

    probas = {}
    variants = {"unchecked tags as 'no'": (None, Y * checked), "masked (checked pairs only)": (checked, Y)}
    for name, (mask, targets) in variants.items():
        m = None if mask is None else mask[:n_train]
        b = loss.init_raw_prediction(targets[:n_train], mask=m)
        data = boostobj.xgboost_dmatrix(X[:n_train], targets[:n_train], mask=m, init_score=b, loss=loss)
        booster = xgb.train(params, data, args.rounds, obj=boostobj.xgboost_objective(loss))
        probas[name] = loss.predict_proba(boostobj.predict_margin(booster, X[n_train:], init_score=b))

    truth = Y[n_train:]
    print(f"{args.rows:,} items x {K} tags, 60% of the (item, tag) pairs checked; held out: {len(truth):,}")
    print(f"true tag rate: {truth.mean():.3f}")
    print(f"{'model':30s} {'log-loss (true tags)':>21s} {'mean probability':>17s}")
    for name, p in probas.items():
        p = np.clip(p, 1e-12, 1 - 1e-12)
        logloss = -np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p))
        print(f"{name:30s} {logloss:21.4f} {p.mean():17.3f}")


if __name__ == "__main__":
    main()
