"""Conditional multiclass on a Markov transition model: train with the mask, or without it.

Each of K states allows only a few next states. We train two XGBoost models on the same
rows and score three ways of predicting the next state:

1. ``multi:softprob``, unaware of the mask (what most users run), as it predicts: it
   puts probability on impossible next states (column ``P(impossible)``);
2. the same model, its probabilities renormalised over each row's allowed states
   afterwards (``boostobj.predict_proba(..., mask=...)``): exact zeros, but the trees
   were still fitted to the unmasked problem;
3. boostobj's conditional objective: the softmax over the allowed states during
   training (the mask travels in the DMatrix's ``base_margin``).

It prints the test log-loss and accuracy of each, then the difference between 3 and 2
with its standard error over the test rows, and says whether that difference is larger
than the noise of a test set of that size.

    python examples/transition_model.py                 # 30,000 transitions, 24 states
    python examples/transition_model.py --rows 3000 --rounds 10

What to expect. Model 1 is far behind at every size. At the default size, 3 is ahead of
2 by several standard errors. With 2,000 rows (400 test rows) the standard error of the
difference between 2 and 3 is about 0.03, as large as the difference itself, and the
sign changes with the seed: so small a run cannot tell 2 and 3 apart, and the script
says so instead of declaring a winner.

Why a short run at a small learning rate can put 2 ahead of 3 (measured on this data,
30,000 rows): not the intercept (3 starts from the maximum-likelihood intercept under the
mask, 1 from XGBoost's own per-class ``base_score``; starting 3 from 0 instead moved its
log-loss by at most 0.03), but the step size. Both models take Newton steps with
XGBoost's Hessian ``2 p (1 - p)`` (half the exact diagonal) times the learning rate.
Model 1 takes its steps while the impossible states still hold much of the probability
(half of it after 5 rounds at learning rate 0.2), so the ``p`` of the possible states is
small and the steps on them are large; renormalising keeps those large moves. After a
few rounds both models are undertrained, and the larger steps win: with learning rate
0.2, 3 was behind 2 after 5 rounds (1.368 against 1.343) and ahead from 10 rounds on;
3 trained with ``SoftmaxLoss(hessian="exact")`` (a step twice as large) was ahead at
every number of rounds checked (1 to 60). With learning rate 0.4 for both models (the
default here), 3 was ahead at every number of rounds checked (5 to 60).
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj.datasets import make_transition_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=30_000, help="transitions; 80%% train, 20%% test")
    parser.add_argument("--states", type=int, default=24)
    parser.add_argument("--allowed", type=int, default=6, help="allowed next states per state")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--learning-rate", type=float, default=0.4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y, mask = make_transition_data(args.rows, args.states, args.allowed, random_state=args.seed)
    n_train = int(0.8 * len(y))
    train, test = np.arange(n_train), np.arange(n_train, len(y))
    mask_train, mask_test = mask.take(train), mask.take(test)
    params = {
        "num_class": args.states,
        "tree_method": "hist",
        "max_depth": 4,
        "eta": args.learning_rate,
        "nthread": 2,
        "disable_default_eval_metric": 1,
    }

    # 1 and 2: the built-in objective, unaware of the mask.
    plain = xgb.DMatrix(X[train], y[train])
    unaware = xgb.train({**params, "objective": "multi:softprob"}, plain, args.rounds)
    p_raw = unaware.predict(xgb.DMatrix(X[test]))  # 1: as it predicts
    # It was trained without base_margin: predict from a plain DMatrix (keeping its base_score);
    # boostobj.predict_proba then renormalises over each row's allowed states (2).
    p_renormalised = boostobj.predict_proba(unaware, xgb.DMatrix(X[test]), mask=mask_test)

    # 3: boostobj's conditional objective; the mask rides in base_margin.
    loss = boostobj.SoftmaxLoss()
    intercept = loss.init_raw_prediction(y[train], mask=mask_train)
    dtrain = boostobj.xgboost_dmatrix(X[train], y[train], mask=mask_train, init_score=intercept)
    aware = xgb.train(params, dtrain, args.rounds, obj=boostobj.xgboost_objective(loss))
    p_aware = boostobj.predict_proba(aware, X[test], mask=mask_test, init_score=intercept)

    print(
        f"{len(y):,} transitions ({len(train):,} train, {len(test):,} test), {args.states} states, "
        f"{args.allowed} allowed next states each; {args.rounds} rounds, learning rate {args.learning_rate}"
    )
    print(f"{'model':44s} {'log-loss':>9s} {'accuracy':>9s} {'P(impossible)':>14s}")
    impossible = ~mask_test.to_dense()
    per_row = {}
    for name, proba in [
        ("1 multi:softprob, mask ignored", p_raw),
        ("2 multi:softprob, renormalised afterwards", p_renormalised),
        ("3 boostobj conditional objective", p_aware),
    ]:
        per_row[name[0]] = -np.log(np.maximum(proba[np.arange(len(test)), y[test]], 1e-300))
        accuracy = np.mean(proba.argmax(axis=1) == y[test])
        on_impossible = np.mean(np.where(impossible, proba, 0.0).sum(axis=1))
        print(f"{name:44s} {per_row[name[0]].mean():9.4f} {accuracy:9.4f} {on_impossible:14.4f}")

    diff = per_row["3"] - per_row["2"]
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    print(f"\nlog-loss of 3 minus 2: {diff.mean():+.4f}, standard error {se:.4f} ({len(diff):,} test rows)")
    if abs(diff.mean()) < 2 * se:
        print(
            "Within two standard errors: this run is too small to tell 2 and 3 apart (try the default size)."
        )
    elif diff.mean() < 0:
        print("Training with the mask (3) beats renormalising afterwards (2) by more than the noise.")
    else:
        print(
            "Renormalising afterwards (2) is ahead by more than the noise: too few rounds or too small "
            "a learning rate for 3 (see this script's docstring)."
        )


if __name__ == "__main__":
    main()
