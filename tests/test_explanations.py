"""``boostobj.explain``: the backends' exact TreeSHAP with boostobj's intercept as the base
value, adding up to the masked margins (``boostobj.predict_margin``, the reference), with
forbidden (row, class) entries marked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import boostobj as bo
from boostobj import MaskedLGBMClassifier, MaskedXGBClassifier, TransitionMask, explain
from boostobj.datasets import make_transition_data

K = 5
ESTIMATORS = [MaskedXGBClassifier, MaskedLGBMClassifier]


@pytest.fixture(scope="module")
def problem():
    X, y, mask, allowed = make_transition_data(600, K, 2, n_features=4, random_state=2, return_allowed=True)
    return X, y, mask, allowed


def _small(cls, **kwargs):
    extra = {"num_leaves": 7} if cls is MaskedLGBMClassifier else {"max_depth": 3}
    return cls(**{"n_estimators": 6, "n_jobs": 1, **extra, **kwargs})


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_contributions_add_up_to_the_masked_margins(cls, problem):
    X, y, mask, allowed = problem
    clf = _small(cls, mask_from=TransitionMask(0, allowed)).fit(X, y)
    ex = explain(clf, X)
    margins = bo.predict_margin(clf.booster_, X, mask=mask, init_score=clf.intercept_)
    valid = mask.to_dense()
    np.testing.assert_array_equal(ex.valid, valid)
    tol = 1e-5 if cls is MaskedXGBClassifier else 1e-10  # XGBoost sums float32 contributions
    np.testing.assert_allclose(ex.margins()[valid], margins[valid], rtol=0, atol=tol)
    assert np.isnan(ex.values[~valid]).all() and np.isnan(ex.base_values[~valid]).all()
    assert np.isfinite(ex.values[valid]).all()
    # the base value is boostobj's intercept plus the trees' expectation, not XGBoost's 0.5
    unmasked = explain(clf, X, valid_mask="all")
    assert np.isfinite(unmasked.values).all()
    plain = bo.predict_margin(clf.booster_, X, init_score=clf.intercept_)
    np.testing.assert_allclose(unmasked.margins(), plain, rtol=0, atol=tol)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_boosters_with_free_form_masks_and_early_stopping(cls, problem):
    X, y, mask, _ = problem
    clf = _small(cls, n_estimators=30, learning_rate=0.8, early_stopping_rounds=1)
    clf.fit(
        X[:400], y[:400], valid_mask=mask[:400], eval_set=[(X[400:], y[400:])], eval_valid_mask=[mask[400:]]
    )
    assert clf.best_iteration_ is not None
    ex = explain(clf, X, valid_mask=mask)
    # softmax of the explained margins over each row's valid classes is the model's probability
    logits = np.where(ex.valid, ex.margins(), -np.inf)
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    tol = 1e-5 if cls is MaskedXGBClassifier else 1e-10
    np.testing.assert_allclose(proba, clf.predict_proba(X, valid_mask=mask), rtol=0, atol=tol)
    with pytest.raises(
        ValueError, match=r"^valid_mask: this model was fitted with per-row masks, so explain"
    ):
        explain(clf, X)
    booster_ex = explain(clf.booster_, X, mask=mask, init_score=clf.intercept_)
    assert booster_ex.values.shape == (len(X), K, X.shape[1])


def test_to_shap_and_a_plot(problem, tmp_path):
    shap = pytest.importorskip("shap")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y, mask, allowed = problem
    frame = pd.DataFrame(X, columns=["state", "a", "b", "c"])
    clf = _small(MaskedXGBClassifier, mask_from=TransitionMask("state", allowed)).fit(frame, y)
    ex = explain(clf, frame)
    assert ex.feature_names == ["state", "a", "b", "c"]
    one = ex.to_shap(2)
    rows = mask.to_dense()[:, 2]
    assert isinstance(one, shap.Explanation) and one.values.shape == (rows.sum(), 4)
    np.testing.assert_array_equal(one.values, ex.values[rows, 2])
    shap.plots.beeswarm(one, show=False)
    plt.savefig(tmp_path / "beeswarm.png")
    plt.close("all")
    assert (tmp_path / "beeswarm.png").stat().st_size > 0
    with pytest.raises(ValueError, match=r"^class_index: expected 0..4; got 5"):
        ex.to_shap(5)


def test_argument_errors(problem):
    X, y, mask, _ = problem
    clf = _small(MaskedXGBClassifier).fit(X, y)
    with pytest.raises(ValueError, match=r"^mask, init_score: an estimator brings its own"):
        explain(clf, X, mask=mask)
    with pytest.raises(ValueError, match=r"^valid_mask: for a booster pass mask="):
        explain(clf.booster_, X, valid_mask=mask)
    with pytest.raises(TypeError, match=r"^booster: expected an xgboost.Booster or a lightgbm.Booster"):
        explain(object(), X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_one_margin_binary_models_are_explained_as_two_classes(cls):
    """A two-class model without a mask has one margin f; explain gives the two classes
    (0, f) that predict_proba takes the softmax of, and takes the two-class masks it takes."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 3))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(120) > 0, "yes", "no")
    clf = _small(cls).fit(X, y)
    assert clf.intercept_.size == 1  # one margin
    valid = np.ones((120, 2), dtype=bool)
    valid[:10, 0] = False
    valid[10:20, 1] = False
    ex = explain(clf, X, valid_mask=valid)
    assert ex.classes == ["no", "yes"]
    assert ex.values.shape == (120, 2, 3) and ex.base_values.shape == (120, 2)
    np.testing.assert_array_equal(ex.valid, valid)
    assert np.isnan(ex.values[~valid]).all() and np.isnan(ex.base_values[~valid]).all()
    # class 0 is the reference (margin 0); class 1 carries the margin, intercept included
    f = bo.predict_margin(clf.booster_, X, init_score=clf.intercept_)
    tol = 1e-5 if cls is MaskedXGBClassifier else 1e-10
    np.testing.assert_array_equal(ex.values[valid[:, 0], 0], 0.0)
    np.testing.assert_array_equal(ex.base_values[valid[:, 0], 0], 0.0)
    np.testing.assert_allclose(ex.margins()[valid[:, 1], 1], f[valid[:, 1]], rtol=0, atol=tol)
    logits = np.where(ex.valid, ex.margins(), bo.INVALID_OFFSET)
    np.testing.assert_allclose(
        bo.masked_softmax(logits), clf.predict_proba(X, valid_mask=valid), rtol=0, atol=tol
    )
    # the booster alone: labels 0 and 1, the same numbers; it takes no mask, as predict_proba
    booster_ex = explain(clf.booster_, X, init_score=clf.intercept_)
    assert booster_ex.classes == [0, 1] and booster_ex.values.shape == (120, 2, 3)
    np.testing.assert_allclose(booster_ex.margins(), explain(clf, X).margins(), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"^mask: a one-margin \(binary\) booster has no per-row classes"):
        explain(clf.booster_, X, mask=valid)
    with pytest.raises(ValueError, match=r"^class_index: expected 0..1; got 2$"):
        ex.to_shap(2)
    shap = pytest.importorskip("shap")
    one = explain(clf, X).to_shap(1)
    assert isinstance(one, shap.Explanation) and one.values.shape == (120, 3)
    np.testing.assert_allclose(one.values.sum(axis=1) + one.base_values, f, rtol=0, atol=tol)


def test_class_index_and_explanation_shapes_are_checked(problem):
    X, y, mask, _ = problem
    clf = _small(MaskedXGBClassifier).fit(X, y, valid_mask=mask)
    ex = explain(clf, X, valid_mask=mask)
    for bad in (1.0, "1", True):
        with pytest.raises(
            TypeError, match=r"^class_index: expected an integer position in classes \(0..4\)"
        ):
            ex.to_shap(bad)
    with pytest.raises(ValueError, match=r"^class_index: expected 0..4; got -1$"):
        ex.to_shap(-1)
    with pytest.raises(
        ValueError, match=r"^init_score: expected 5 values \(one per margin of the booster\); got 3$"
    ):
        explain(clf.booster_, X, mask=mask, init_score=np.zeros(3))
    with pytest.raises(ValueError, match=r"^classes: expected 5 labels"):
        bo.MaskedExplanation(ex.values, ex.base_values, ex.valid, X, ex.feature_names, [0, 1])
    with pytest.raises(ValueError, match=r"^valid: expected shape \(600, 5\)"):
        bo.MaskedExplanation(ex.values, ex.base_values, ex.valid[:, :1], X, ex.feature_names, ex.classes)
