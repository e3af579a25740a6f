"""Calibrate an overconfident masked model without leaking probability onto forbidden
classes: masked temperature scaling against scikit-learn's sigmoid calibration.

scikit-learn's ``CalibratedClassifierCV(method="sigmoid")`` calibrates each class on its
own: a forbidden class's probability 0 becomes ``sigmoid(b) > 0``. boostobj's
``MaskedCalibratedClassifier`` rescales the margins of the valid classes only. Printed:
the held-out masked log-loss of each, and the probability each puts on classes that
cannot occur.

    python examples/calibrate_masked_model.py
    python examples/calibrate_masked_model.py --rows 3000 --estimators 20
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from boostobj import MaskedCalibratedClassifier, MaskedXGBClassifier, TransitionMask
from boostobj.datasets import make_transition_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--estimators", type=int, default=200)
    args = parser.parse_args(argv)

    X, y, mask, allowed = make_transition_data(args.rows, 12, 3, random_state=0, return_allowed=True)
    fit, cal, test = np.split(np.arange(len(y)), [len(y) // 2, 3 * len(y) // 4])
    # deep trees, a large learning rate: an overconfident model
    clf = MaskedXGBClassifier(
        n_estimators=args.estimators, learning_rate=0.5, max_depth=8, mask_from=TransitionMask(0, allowed)
    ).fit(X[fit], y[fit])
    models = {
        "uncalibrated": clf,
        "masked temperature scaling": MaskedCalibratedClassifier(clf).fit(X[cal], y[cal]),
        "masked vector scaling": MaskedCalibratedClassifier(clf, method="vector").fit(X[cal], y[cal]),
        "sklearn sigmoid": CalibratedClassifierCV(FrozenEstimator(clf), method="sigmoid").fit(X[cal], y[cal]),
    }
    forbidden = ~mask.take(test).to_dense()
    print(f"{'model':28s} {'masked log-loss':>15s} {'mass on forbidden classes':>26s}")
    for name, model in models.items():
        proba = model.predict_proba(X[test])
        logloss = -np.mean(np.log(np.maximum(proba[np.arange(len(test)), y[test]], 1e-300)))
        leaked = (proba * forbidden).sum(axis=1)
        print(f"{name:28s} {logloss:15.4f} {f'mean {leaked.mean():.3f}, max {leaked.max():.3f}':>26s}")
    print(f"fitted temperature: {models['masked temperature scaling'].temperature_:.3f}")


if __name__ == "__main__":
    main()
