"""Label smoothing over each row's valid classes, and distillation with soft targets.

1. ``LabelSmoothingLoss(epsilon)`` in a scikit-learn estimator, trained on labels of which
   a share (``--noise``, default 20%) was replaced by another allowed next state, as in
   mislabelled data, and scored on clean test labels. The smoothing mass goes to each
   row's *valid* classes only, so no probability leaks to impossible transitions. Two
   regimes: a model trained long enough to memorise the wrong labels (``--rounds``,
   default 200, at learning rate 0.3 with 63 leaves), and a short one (a fifth of the
   rounds, 15 leaves).
2. Distillation: a deep teacher's masked probabilities become the (n, K) soft targets of a
   small student (stumps), trained with ``xgboost.train`` and an objective bound to the
   training rows' targets (``xgboost_objective(loss, targets=...)``); the student trained
   on the labels is the comparison. This part shows how soft targets travel, not a gain.

Each comparison prints a difference in masked log-loss over the test rows with its
standard error, and says whether it is larger than the noise.

    python examples/label_smoothing.py
    python examples/label_smoothing.py --rows 2000 --rounds 50

What to expect (measured at both sizes). Smoothing is a guard against overconfidence:
the long-trained model without it memorises the wrong labels and its clean test
log-loss is far worse; epsilon 0.1 or 0.3 cuts it by many standard errors. The short
model does not memorise, and there smoothing only costs log-loss (the labels' own noise
already spreads its probabilities; more than the noise at the default size, within it
at 2,000 rows). The distilled student scores about the same as the
student trained on labels (slightly worse, by a few thousandths): a teacher's
probabilities on its own training rows mostly repeat the labels it has learnt, so they
teach the student little more than the labels do. Distillation pays when the teacher
knows more than the student's labels (more data, more features, an ensemble).
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj.datasets import make_transition_data


def row_log_loss(proba, y):
    """Per-row masked log-loss (the probabilities are 0 on invalid classes)."""
    return -np.log(proba[np.arange(y.size), y])


def say_difference(name, loss_a, loss_b):
    """Mean of ``loss_b - loss_a`` over the rows, with its standard error."""
    diff = loss_b - loss_a
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(diff.size)
    verdict = "more than" if abs(mean) > 2 * se else "within"
    print(f"  {name}: {mean:+.4f} (standard error {se:.4f}): {verdict} the noise")


def relabel(y, mask, share, rng):
    """Replace a ``share`` of the labels by another valid class of their row."""
    y = y.copy()
    for i in np.flatnonzero(rng.random(y.size) < share):
        others = mask.indices[mask.indptr[i] : mask.indptr[i + 1]]
        others = others[others != y[i]]
        if others.size:
            y[i] = rng.choice(others)
    return y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--states", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.2, help="share of wrong training labels")
    args = parser.parse_args(argv)

    X, y, mask = make_transition_data(args.rows, args.states, 4, random_state=0)
    n_train = int(0.75 * y.size)
    tr, te = np.arange(n_train), np.arange(n_train, y.size)
    m_tr, m_te = mask.take(tr), mask.take(te)
    y_noisy = relabel(y[tr], m_tr, args.noise, np.random.default_rng(1))
    wrong = np.mean(y_noisy != y[tr])
    print(f"{n_train:,} training rows, {wrong:.0%} of their labels wrong; {te.size:,} clean test rows")

    print(f"{'model':44s} {'masked log-loss':>15s} {'accuracy':>9s}")
    for regime, rounds, leaves in (("long", args.rounds, 63), ("short", max(1, args.rounds // 5), 15)):
        losses = {}
        for eps in (0.0, 0.1, 0.3):
            clf = boostobj.MaskedLGBMClassifier(
                loss=boostobj.LabelSmoothingLoss(epsilon=eps),
                n_estimators=rounds,
                num_leaves=leaves,
                learning_rate=0.3,
                min_child_samples=5,
            )
            clf.fit(X[tr], y_noisy, valid_mask=m_tr)
            proba = clf.predict_proba(X[te], valid_mask=m_te)
            assert (proba[~m_te.to_dense()] == 0).all()  # nothing leaks to invalid classes
            losses[eps] = row_log_loss(proba, y[te])
            accuracy = clf.score(X[te], y[te], valid_mask=m_te)
            name = f"{regime} ({rounds} rounds), epsilon={eps}"
            print(f"{name:44s} {losses[eps].mean():15.4f} {accuracy:9.4f}")
        for eps in (0.1, 0.3):
            say_difference(f"log-loss, epsilon={eps} minus epsilon=0", losses[0.0], losses[eps])

    # Distillation: teacher (deep trees) -> soft targets -> student (stumps).
    rounds = args.rounds
    params = {"num_class": args.states, "eta": 0.2, "nthread": 2, "base_score": 0.5}
    dtrain = boostobj.xgboost_dmatrix(X[tr], y_noisy, mask=m_tr)
    teacher = xgb.train({**params, "max_depth": 6}, dtrain, rounds, obj=boostobj.xgboost_objective())
    targets = boostobj.predict_proba(teacher, X[tr], mask=m_tr)  # (n, K), 0 on invalid classes
    loss = boostobj.LabelSmoothingLoss(epsilon=0.0)  # soft targets as they are
    scores = {}
    for name, obj in [
        ("student on labels", boostobj.xgboost_objective()),
        ("student on teacher's soft targets", boostobj.xgboost_objective(loss, targets=targets)),
    ]:
        student = xgb.train({**params, "max_depth": 1}, dtrain, rounds, obj=obj)
        proba = boostobj.predict_proba(student, X[te], mask=m_te)
        scores[name] = row_log_loss(proba, y[te])
        print(f"{name:44s} {scores[name].mean():15.4f} {np.mean(proba.argmax(axis=1) == y[te]):9.4f}")
    say_difference("log-loss, soft targets minus labels", *scores.values())


if __name__ == "__main__":
    main()
