"""Label smoothing over each row's valid classes, and distillation with soft targets.

1. ``LabelSmoothingLoss(epsilon)`` in a scikit-learn estimator: the smoothing mass goes to
   the row's *valid* classes only, so no probability leaks to impossible transitions.
2. Distillation: a large teacher model's masked probabilities become the (n, K) soft
   targets of a small student, trained with ``xgboost.train`` and an objective bound to the
   training rows' targets (``xgboost_objective(loss, targets=...)``).

    python examples/label_smoothing.py
    python examples/label_smoothing.py --rows 2000 --rounds 10
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj.datasets import make_transition_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--states", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)

    X, y, mask = make_transition_data(args.rows, args.states, 4, random_state=0)
    n_train = int(0.75 * y.size)
    tr, te = np.arange(n_train), np.arange(n_train, y.size)
    m_tr, m_te = mask.take(tr), mask.take(te)

    print(f"{'model':40s} {'masked log-loss':>15s} {'accuracy':>9s}")
    for eps in (0.0, 0.1, 0.3):
        clf = boostobj.MaskedLGBMClassifier(
            loss=boostobj.LabelSmoothingLoss(epsilon=eps), n_estimators=args.rounds, num_leaves=15
        )
        clf.fit(X[tr], y[tr], valid_mask=m_tr)
        proba = clf.predict_proba(X[te], valid_mask=m_te)
        assert (proba[~m_te.to_dense()] == 0).all()  # nothing leaks to invalid classes
        logloss = -np.mean(np.log(proba[np.arange(te.size), y[te]]))
        accuracy = clf.score(X[te], y[te], valid_mask=m_te)
        print(f"{f'LabelSmoothingLoss(epsilon={eps})':40s} {logloss:15.4f} {accuracy:9.4f}")

    # Distillation: teacher (deep trees) -> soft targets -> student (stumps).
    params = {"num_class": args.states, "eta": 0.2, "nthread": 2, "base_score": 0.5}
    dtrain = boostobj.xgboost_dmatrix(X[tr], y[tr], mask=m_tr)
    teacher = xgb.train({**params, "max_depth": 6}, dtrain, args.rounds, obj=boostobj.xgboost_objective())
    targets = boostobj.predict_proba(teacher, X[tr], mask=m_tr)  # (n, K), 0 on invalid classes
    loss = boostobj.LabelSmoothingLoss(epsilon=0.0)  # soft targets as they are
    on_labels = boostobj.xgboost_objective()
    on_targets = boostobj.xgboost_objective(loss, targets=targets)  # the training rows' targets, bound
    for name, obj in [("student on labels", on_labels), ("student on teacher's soft targets", on_targets)]:
        student = xgb.train({**params, "max_depth": 1}, dtrain, args.rounds, obj=obj)
        proba = boostobj.predict_proba(student, X[te], mask=m_te)
        logloss = -np.mean(np.log(proba[np.arange(te.size), y[te]]))
        print(f"{name:40s} {logloss:15.4f} {np.mean(proba.argmax(axis=1) == y[te]):9.4f}")


if __name__ == "__main__":
    main()
