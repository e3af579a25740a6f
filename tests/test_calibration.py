"""``MaskedCalibratedClassifier``: temperature/vector scaling that keeps exact zeros, fitted
by minimising the masked log-loss (checked against a brute-force search over T), and the
leak of scikit-learn's per-class sigmoid calibration that it avoids."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from boostobj import MaskedLGBMClassifier, MaskedXGBClassifier, TransitionMask
from boostobj.calibration import MaskedCalibratedClassifier
from boostobj.datasets import make_transition_data

K = 6


@pytest.fixture(scope="module")
def problem():
    X, y, mask, allowed = make_transition_data(3000, K, 2, n_features=4, random_state=4, return_allowed=True)
    rule = TransitionMask(0, allowed)
    # an overconfident model: deep trees, a large learning rate, many rounds
    clf = MaskedXGBClassifier(n_estimators=80, learning_rate=0.6, max_depth=6, n_jobs=1, mask_from=rule)
    clf.fit(X[:1200], y[:1200])
    return {"X": X, "y": y, "mask": mask, "rule": rule, "clf": clf}


def _log_loss(proba, y):
    return float(-np.mean(np.log(proba[np.arange(len(y)), y])))


def _masked_softmax(z, valid):
    s = np.where(valid, z, -np.inf)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_temperature_is_the_masked_log_loss_minimum(problem):
    X, y, mask, clf = problem["X"], problem["y"], problem["mask"], problem["clf"]
    cal = MaskedCalibratedClassifier(clf).fit(X[1200:2100], y[1200:2100])
    # brute force, independently: the log-loss of softmax(z / T) over valid classes on a grid of T
    raw = np.log(clf.predict_proba(X[1200:2100]) + 1e-300)  # log-probabilities: margins up to a row constant
    valid = mask[1200:2100].to_dense()
    grid = np.exp(np.linspace(-2, 3, 2001))
    losses = [_log_loss(_masked_softmax(raw / t, valid), y[1200:2100]) for t in grid]
    best = grid[int(np.argmin(losses))]
    assert cal.temperature_ == pytest.approx(best, rel=5e-3)
    assert cal.temperature_ > 1.2  # the overconfident model is cooled down
    test = slice(2100, None)
    proba = cal.predict_proba(X[test])
    assert (proba[~mask[test].to_dense()] == 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert _log_loss(proba, y[test]) < _log_loss(clf.predict_proba(X[test]), y[test])
    np.testing.assert_array_equal(cal.predict(X[test]), clf.predict(X[test]))  # T keeps the ranking


@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
def test_vector_scaling_and_cross_fitting_with_routed_masks(cls, problem):
    X, y, mask = problem["X"], problem["y"], problem["mask"]
    extra = {"num_leaves": 15} if cls is MaskedLGBMClassifier else {"max_depth": 5}
    base = cls(n_estimators=30, learning_rate=0.5, n_jobs=1, **extra)
    cal = MaskedCalibratedClassifier(base, method="vector", cv=3).fit(
        X[:2100], y[:2100], valid_mask=mask[:2100]
    )
    assert cal.bias_.shape == (K,) and abs(cal.bias_.sum()) < 1e-9
    proba = cal.predict_proba(X[2100:], valid_mask=mask[2100:])
    assert (proba[~mask[2100:].to_dense()] == 0).all()
    uncalibrated = base.fit(X[:2100], y[:2100], valid_mask=mask[:2100]).predict_proba(
        X[2100:], valid_mask=mask[2100:]
    )
    assert _log_loss(proba, y[2100:]) < _log_loss(uncalibrated, y[2100:])
    with pytest.raises(ValueError, match="valid_mask: this model was fitted with per-row masks"):
        cal.predict_proba(X[2100:])


def test_sklearn_sigmoid_calibration_leaks_onto_forbidden_classes(problem):
    """The documented leak (README): scikit-learn's one-vs-rest sigmoid puts mass on classes
    that cannot occur; the masked temperature scaling never does."""
    X, y, mask, clf = problem["X"], problem["y"], problem["mask"], problem["clf"]
    sk = CalibratedClassifierCV(FrozenEstimator(clf), method="sigmoid").fit(X[1200:2100], y[1200:2100])
    forbidden = ~mask[2100:].to_dense()
    leaked = (sk.predict_proba(X[2100:]) * forbidden).sum(axis=1)
    assert leaked.mean() > 0.01
    ours = MaskedCalibratedClassifier(clf).fit(X[1200:2100], y[1200:2100]).predict_proba(X[2100:])
    assert (ours * forbidden).sum() == 0.0


def test_errors(problem):
    X, y, clf = problem["X"], problem["y"], problem["clf"]
    with pytest.raises(
        ValueError, match=r"^method: expected one of \['temperature', 'vector'\]; got 'isotonic'"
    ):
        MaskedCalibratedClassifier(clf, method="isotonic").fit(X[:100], y[:100])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MaskedCalibratedClassifier(MaskedXGBClassifier()).fit(X[:100], y[:100])


@pytest.mark.parametrize("method", ["temperature", "vector"])
def test_weights_summing_to_zero_are_refused_on_every_path(method, problem):
    """All-zero weights leave the calibration log-loss undefined (0 / 0): an error, never a
    silent T = 1; cross-fitted, a fold whose training rows carry no weight is named."""
    X, y, mask, clf = problem["X"], problem["y"], problem["mask"], problem["clf"]
    message = r"^sample_weight: the weights sum to zero; the calibration's log-loss is undefined$"
    with pytest.raises(ValueError, match=message):
        MaskedCalibratedClassifier(clf, method=method).fit(
            X[1200:1400], y[1200:1400], sample_weight=np.zeros(200)
        )
    base = MaskedXGBClassifier(n_estimators=2, n_jobs=1)
    rows = slice(0, 300)
    with pytest.raises(ValueError, match=message):
        MaskedCalibratedClassifier(base, method=method, cv=3).fit(
            X[rows], y[rows], valid_mask=mask[rows], sample_weight=np.zeros(300)
        )
    from sklearn.model_selection import KFold

    weight = np.zeros(300)
    weight[:100] = 1.0  # all of it in fold 0's held-out rows: fold 0's model has none
    with pytest.raises(
        ValueError,
        match=r"^sample_weight: the weights sum to zero on the training rows of fold 0 \(all the weight",
    ):
        MaskedCalibratedClassifier(base, method=method, cv=KFold(3)).fit(
            X[rows], y[rows], valid_mask=mask[rows], sample_weight=weight
        )
    # weight on a few rows only is fine
    weight = np.zeros(200)
    weight[::7] = 1.0
    cal = MaskedCalibratedClassifier(clf, method=method).fit(X[1200:1400], y[1200:1400], sample_weight=weight)
    assert np.isfinite(cal.temperature_) and np.isfinite(cal.bias_).all()


def test_a_mask_indexed_unlike_x_is_refused_before_any_fold_is_fitted(monkeypatch):
    import pandas as pd

    from boostobj import MaskedXGBClassifier
    from boostobj.calibration import MaskedCalibratedClassifier
    from boostobj.datasets import make_transition_data

    X, y, mask = make_transition_data(300, 4, 2, random_state=0)
    frame = pd.DataFrame(X)
    shuffled = pd.DataFrame(mask.to_dense()).sample(frac=1.0, random_state=0)
    fits = []
    monkeypatch.setattr(MaskedXGBClassifier, "fit", lambda self, *a, **k: fits.append(1))
    with pytest.raises(ValueError, match=r"^valid_mask: its index differs from X's"):
        calibrated = MaskedCalibratedClassifier(MaskedXGBClassifier(n_estimators=2), cv=3)
        calibrated.fit(frame, y, valid_mask=shuffled)
    assert fits == []
