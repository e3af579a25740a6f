"""FocalLoss and BinaryFocalLoss: references, finite differences, reductions, positivity,
training through both backends, bad input."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import given, settings
from hypothesis import strategies as st

import boostobj
from boostobj import BinaryFocalLoss, BinaryLogLoss, ClassMask, FocalLoss, SoftmaxLoss

from . import reference as ref
from .strategies import masked_problems


def focal_reference(y, raw, valid, weight, gamma):
    """Per-row -w (1 - q)^gamma log q, straight from the definition."""
    p = ref.softmax(raw, valid)
    q = p[np.arange(len(y)), y]
    log_q = -ref.softmax_loss(y, raw, valid, np.ones(len(y)))
    return -weight * (1.0 - q) ** gamma * log_q


def _fd(fn, raw, eps=1e-5):
    out = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = eps
        out[:, j] = (fn(raw + step) - fn(raw - step)) / (2 * eps)
    return out


@settings(max_examples=40, deadline=None)
@given(problem=masked_problems(scale=5.0), gamma=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]))
def test_focal_matches_reference_and_finite_differences(problem, gamma):
    valid, raw, y, weight = problem
    mask = ClassMask.from_dense(valid)
    exact = FocalLoss(gamma=gamma, hessian="exact")
    values = exact.loss(y, raw, sample_weight=weight, mask=mask)
    np.testing.assert_allclose(values, focal_reference(y, raw, valid, weight, gamma), rtol=1e-10, atol=1e-12)
    grad, hess = exact.gradient_hessian(y, raw, sample_weight=weight, mask=mask)
    fd_grad = _fd(lambda r: exact.loss(y, r, sample_weight=weight, mask=mask), raw)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-7 * (1 + weight.max()))
    fd_hess = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = 1e-5
        plus = exact.gradient_hessian(y, raw + step, sample_weight=weight, mask=mask)[0][:, j]
        minus = exact.gradient_hessian(y, raw - step, sample_weight=weight, mask=mask)[0][:, j]
        fd_hess[:, j] = (plus - minus) / 2e-5
    np.testing.assert_allclose(hess[valid], fd_hess[valid], atol=1e-6 * (1 + weight.max()))
    assert (grad[~valid] == 0).all()


@pytest.mark.parametrize("hessian", ["positive", "exact"])
def test_gamma_zero_is_softmax_cross_entropy(hessian):
    rng = np.random.default_rng(0)
    valid = rng.random((300, 6)) < 0.5
    valid[np.arange(300), rng.integers(0, 6, 300)] = True
    mask = ClassMask.from_dense(valid)
    raw = rng.normal(scale=4, size=(300, 6))
    y = np.array([rng.choice(np.flatnonzero(r)) for r in valid])
    w = rng.uniform(0, 3, 300)
    focal = FocalLoss(gamma=0.0, hessian=hessian, alpha={0: 2.0, 3: 0.5})
    ce = SoftmaxLoss(hessian="exact", class_weight={0: 2.0, 3: 0.5})
    for a, b in zip(
        focal.gradient_hessian(y, raw, sample_weight=w, mask=mask),
        ce.gradient_hessian(y, raw, sample_weight=w, mask=mask),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        focal.loss(y, raw, sample_weight=w, mask=mask),
        ce.loss(y, raw, sample_weight=w, mask=mask),
        rtol=1e-12,
    )


def test_exact_hessian_is_often_negative_and_the_default_never_is():
    # "about 18% under random logits, gamma = 2": binary focal loss, logits ~ N(0, 3^2)
    rng = np.random.default_rng(1)
    f = rng.normal(scale=3.0, size=100_000)
    y = rng.integers(0, 2, 100_000)
    _, exact = BinaryFocalLoss(gamma=2.0, hessian="exact").gradient_hessian(y, f)
    assert 0.16 < (exact < 0).mean() < 0.20
    assert (BinaryFocalLoss(gamma=2.0).gradient_hessian(y, f)[1] > 0).all()
    raw = rng.normal(scale=3.0, size=(20_000, 3))  # multiclass, 3 classes: about 19%
    y = rng.integers(0, 3, 20_000)
    _, exact = FocalLoss(gamma=2.0, hessian="exact").gradient_hessian(y, raw)
    assert 0.15 < (exact < 0).mean() < 0.25
    assert (FocalLoss(gamma=2.0).gradient_hessian(y, raw)[1] > 0).all()


@settings(max_examples=60, deadline=None)
@given(problem=masked_problems(scale=1e4), gamma=st.floats(0.0, 5.0))
def test_default_hessian_positive_and_finite_for_extreme_logits(problem, gamma):
    valid, raw, y, weight = problem
    mask = ClassMask.from_dense(valid)
    grad, hess = FocalLoss(gamma=gamma).gradient_hessian(y, raw, sample_weight=weight + 1e-3, mask=mask)
    assert np.isfinite(grad).all() and np.isfinite(hess).all()
    assert (hess >= 1e-16).all()
    _, exact = FocalLoss(gamma=gamma, hessian="exact").gradient_hessian(y, raw, mask=mask)
    assert np.isfinite(exact).all()


@settings(max_examples=40, deadline=None)
@given(
    raw=st.lists(st.floats(-30, 30), min_size=1, max_size=20),
    data=st.data(),
    gamma=st.sampled_from([0.0, 0.5, 2.0]),
)
def test_binary_focal_matches_two_class_softmax_focal(raw, data, gamma):
    f = np.array(raw)
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=f.size, max_size=f.size)))
    binary = BinaryFocalLoss(gamma=gamma, hessian="exact")
    two = np.column_stack([np.zeros_like(f), f])  # sigmoid(f) is the softmax of (0, f)
    multi = FocalLoss(gamma=gamma, hessian="exact")
    np.testing.assert_allclose(binary.loss(y, f), multi.loss(y, two), rtol=1e-10, atol=1e-300)
    g_b, h_b = binary.gradient_hessian(y, f)
    g_m, h_m = multi.gradient_hessian(y, two)
    np.testing.assert_allclose(g_b, g_m[:, 1], rtol=1e-9, atol=1e-15)  # d/df of the (0, f) margins
    np.testing.assert_allclose(h_b, h_m[:, 1], rtol=1e-9, atol=1e-15)


def test_binary_focal_reduces_to_logloss_and_alpha_is_retinanet():
    rng = np.random.default_rng(2)
    f = rng.normal(scale=3, size=500)
    y = rng.integers(0, 2, 500)
    g0, h0 = BinaryFocalLoss(gamma=0.0, alpha=0.25).gradient_hessian(y, f)
    g1, h1 = BinaryLogLoss(class_weight={0: 0.75, 1: 0.25}).gradient_hessian(y, f)
    np.testing.assert_allclose(g0, g1, rtol=1e-12)
    np.testing.assert_allclose(h0, h1, rtol=1e-12)


@pytest.mark.parametrize("loss", [FocalLoss(gamma=2.0), FocalLoss(gamma=1.0, hessian="exact")])
def test_focal_trains_through_both_backends(loss):
    X, y, mask = boostobj.datasets.make_transition_data(1500, 5, 3, 6, random_state=3)
    dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask)
    start = loss.loss(y, mask.margin_offset(np.float64), mask=mask).mean()
    bst = xgb.train(
        {"num_class": 5, "nthread": 2, "max_depth": 3, "base_score": 0.5},
        dtrain,
        15,
        obj=boostobj.xgboost_objective(loss),
    )
    after = loss.loss(y, boostobj.predict_margin(bst, X, mask=mask), mask=mask).mean()
    assert after < 0.8 * start
    lgb_model = lgb.train(
        {"num_class": 5, "objective": boostobj.lightgbm_objective(loss), "verbose": -1, "num_threads": 2},
        boostobj.lightgbm_dataset(X, y, mask=mask),
        15,
    )
    after = loss.loss(y, boostobj.predict_margin(lgb_model, X, mask=mask), mask=mask).mean()
    assert after < 0.8 * start


def test_binary_focal_trains_through_both_backends():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1000, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=1000) > 0.8).astype(int)
    loss = BinaryFocalLoss(gamma=2.0, alpha=0.25)
    start = loss.loss(y, np.zeros(1000)).mean()
    bst = xgb.train(
        {"nthread": 2, "base_score": 0.5}, xgb.DMatrix(X, y), 15, obj=boostobj.xgboost_objective(loss)
    )
    assert loss.loss(y, bst.predict(xgb.DMatrix(X), output_margin=True)).mean() < 0.5 * start
    model = lgb.train(
        {"objective": boostobj.lightgbm_objective(loss), "verbose": -1, "num_threads": 2},
        lgb.Dataset(X, y),
        15,
    )
    assert loss.loss(y, model.predict(X, raw_score=True)).mean() < 0.5 * start


def test_focal_in_an_estimator():
    X, y, mask = boostobj.datasets.make_transition_data(800, 4, 2, 5, random_state=5)
    clf = boostobj.MaskedXGBClassifier(loss=FocalLoss(gamma=2.0), n_estimators=10).fit(X, y, valid_mask=mask)
    assert clf.engine_ == "numba"
    proba = clf.predict_proba(X, valid_mask=mask)
    assert (proba[~mask.to_dense()] == 0).all()


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: FocalLoss(gamma=-1.0), ValueError, "gamma: expected gamma >= 0; got -1.0"),
        (lambda: FocalLoss(gamma=float("nan")), TypeError, "gamma: expected a finite real number"),
        (lambda: FocalLoss(hessian="newton"), ValueError, "hessian: expected one of"),
        (lambda: FocalLoss(alpha=[1.0, -2.0]), ValueError, "alpha: weights must be"),
        (
            lambda: BinaryFocalLoss(alpha=1.5),
            ValueError,
            r"alpha: a single alpha must lie in \(0, 1\); got 1.5",
        ),
        (lambda: BinaryFocalLoss(hessian_floor=-1.0), ValueError, "hessian_floor"),
    ],
)
def test_bad_parameters(make, error, match):
    with pytest.raises(error, match=match):
        make()
