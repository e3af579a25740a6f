"""LabelSmoothingLoss: smoothing over the valid classes only, soft targets, reductions,
finite differences, training through both backends, bad input."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import given, settings
from hypothesis import strategies as st

import boostobj
from boostobj import ClassMask, LabelSmoothingLoss, SoftmaxLoss

from . import reference as ref
from .strategies import masked_problems


def smoothed_targets(y, valid, eps):
    """(1 - eps) one-hot + eps spread evenly over each row's valid classes."""
    t = np.zeros(valid.shape)
    t[np.arange(len(y)), y] = 1.0 - eps
    t += eps * valid / valid.sum(axis=1, keepdims=True)
    return t


def cross_entropy_reference(targets, raw, valid, weight):
    p = ref.softmax(raw, valid)
    logp = np.where(valid, np.log(np.where(valid, p, 1.0)), 0.0)
    return -weight * (targets * logp).sum(axis=1)


@settings(max_examples=50, deadline=None)
@given(problem=masked_problems(scale=8.0), eps=st.sampled_from([0.0, 0.1, 0.5, 0.9]))
def test_smoothing_goes_to_valid_classes_only(problem, eps):
    valid, raw, y, weight = problem
    mask = ClassMask.from_dense(valid)
    loss = LabelSmoothingLoss(epsilon=eps, hessian="exact")
    targets = smoothed_targets(y, valid, eps)
    grad, hess = loss.gradient_hessian(y, raw, sample_weight=weight, mask=mask)
    p = ref.softmax(raw, valid)
    np.testing.assert_allclose(grad, weight[:, None] * (p - targets), atol=1e-12 * (1 + weight.max()))
    assert (grad[~valid] == 0).all()
    _, ce_hess = SoftmaxLoss(hessian="exact").gradient_hessian(y, raw, sample_weight=weight, mask=mask)
    np.testing.assert_array_equal(hess, ce_hess)  # the Hessian does not depend on the targets
    np.testing.assert_allclose(
        loss.loss(y, raw, sample_weight=weight, mask=mask),
        cross_entropy_reference(targets, raw, valid, weight),
        rtol=1e-10,
        atol=1e-12,
    )
    # soft targets given explicitly give the same
    soft = loss.gradient_hessian(smoothed_targets(y, valid, 0.0), raw, sample_weight=weight, mask=mask)
    np.testing.assert_allclose(soft[0], grad, atol=1e-12 * (1 + weight.max()))


def test_gradient_matches_finite_differences_with_soft_targets():
    rng = np.random.default_rng(0)
    valid = rng.random((200, 5)) < 0.6
    valid[np.arange(200), rng.integers(0, 5, 200)] = True
    mask = ClassMask.from_dense(valid)
    raw = rng.normal(scale=3, size=(200, 5))
    targets = rng.random((200, 5)) * valid
    targets /= targets.sum(axis=1, keepdims=True)
    loss = LabelSmoothingLoss(epsilon=0.2)
    grad, _ = loss.gradient_hessian(targets, raw, mask=mask)
    fd = np.empty_like(raw)
    for j in range(5):
        step = np.zeros_like(raw)
        step[:, j] = 1e-5
        fd[:, j] = (
            loss.loss(targets, raw + step, mask=mask) - loss.loss(targets, raw - step, mask=mask)
        ) / 2e-5
    np.testing.assert_allclose(grad, fd, atol=1e-8)


def test_epsilon_zero_is_softmax_loss():
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(100, 4)).astype(np.float32)
    y = rng.integers(0, 4, 100)
    for hessian in ("xgboost", "lightgbm", "exact"):
        a = LabelSmoothingLoss(epsilon=0.0, hessian=hessian).gradient_hessian(y, raw)
        b = SoftmaxLoss(hessian=hessian).gradient_hessian(y, raw)
        np.testing.assert_allclose(a[0], b[0], atol=1e-7)
        np.testing.assert_array_equal(a[1], b[1])


def test_label_smoothing_trains_through_both_backends_and_the_estimator():
    X, y, mask = boostobj.datasets.make_transition_data(1500, 5, 3, 6, random_state=2)
    loss = LabelSmoothingLoss(epsilon=0.1)
    start = loss.loss(y, mask.margin_offset(np.float64), mask=mask).mean()
    bst = xgb.train(
        {"num_class": 5, "nthread": 2, "max_depth": 3},
        boostobj.xgboost_dmatrix(X, y, mask=mask),
        15,
        obj=boostobj.xgboost_objective(loss),
    )
    assert loss.loss(y, boostobj.predict_margin(bst, X, mask=mask), mask=mask).mean() < 0.9 * start
    model = lgb.train(
        {"num_class": 5, "objective": boostobj.lightgbm_objective(loss), "verbose": -1, "num_threads": 2},
        boostobj.lightgbm_dataset(X, y, mask=mask),
        15,
    )
    assert loss.loss(y, boostobj.predict_margin(model, X, mask=mask), mask=mask).mean() < 0.9 * start
    clf = boostobj.MaskedLGBMClassifier(loss=loss, n_estimators=10).fit(X, y, valid_mask=mask)
    assert (clf.predict_proba(X, valid_mask=mask)[~mask.to_dense()] == 0).all()


def test_soft_targets_bound_to_both_backends_train_the_direct_api_model():
    """A bound ``targets=`` gives each backend the loss's own gradient on the soft targets:
    the same model as an objective that calls ``gradient_hessian(targets, raw)`` itself;
    one-hot targets give the labels' model."""
    X, y, mask = boostobj.datasets.make_transition_data(800, 5, 3, 6, random_state=4)
    rng = np.random.default_rng(0)
    soft = mask.to_dense() * rng.random((800, 5))
    soft /= soft.sum(axis=1, keepdims=True)
    params = {"num_class": 5, "nthread": 2, "max_depth": 3}
    loss = LabelSmoothingLoss(epsilon=0.0, hessian="xgboost")
    for targets in (soft, np.eye(5)[y]):
        dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask)
        bound = xgb.train(params, dtrain, 5, obj=boostobj.xgboost_objective(loss, targets=targets))
        by_hand = xgb.train(params, dtrain, 5, obj=lambda p, d, t=targets: loss.gradient_hessian(t, p))
        np.testing.assert_array_equal(
            boostobj.predict_margin(bound, X, mask=mask), boostobj.predict_margin(by_hand, X, mask=mask)
        )
        lgb_params = {"num_class": 5, "verbose": -1, "num_threads": 2}
        model = lgb.train(
            {
                **lgb_params,
                "objective": boostobj.lightgbm_objective(LabelSmoothingLoss(0.0), targets=targets),
            },
            boostobj.lightgbm_dataset(X, y, mask=mask),
            5,
        )
        margins = boostobj.predict_margin(model, X, mask=mask)
        if targets is not soft:  # one-hot targets: the labels' model
            labels = lgb.train(
                {**lgb_params, "objective": boostobj.lightgbm_objective(LabelSmoothingLoss(0.0))},
                boostobj.lightgbm_dataset(X, y, mask=mask),
                5,
            )
            np.testing.assert_allclose(margins, boostobj.predict_margin(labels, X, mask=mask), rtol=1e-12)
        else:  # trained towards the soft targets: closer to them than at the start
            start = np.abs(boostobj.masked_softmax(mask.margin_offset(np.float64), mask=mask) - soft).mean()
            assert np.abs(boostobj.masked_softmax(margins, mask=mask) - soft).mean() < start


def test_bound_targets_bad_input():
    with pytest.raises(TypeError, match="targets: SoftmaxLoss takes labels, not soft targets"):
        boostobj.xgboost_objective(boostobj.SoftmaxLoss(), targets=np.ones((2, 2)) / 2)
    with pytest.raises(ValueError, match=r"targets: expected an \(n_samples, n_classes\) array"):
        boostobj.lightgbm_objective(LabelSmoothingLoss(), targets=[0, 1])
    obj = boostobj.xgboost_objective(LabelSmoothingLoss(), targets=np.ones((3, 2)) / 2)
    with pytest.raises(
        ValueError, match=r"targets: the bound soft targets have shape \(3, 2\) but the training"
    ):
        obj(np.zeros((4, 2), dtype=np.float32), boostobj.xgboost_dmatrix(np.zeros((4, 1)), [0, 1, 0, 1]))


@pytest.mark.parametrize(
    ("targets", "match"),
    [
        (np.array([[0.5, 0.6, 0.0]]), "each row of soft targets must sum to 1; row 0 sums to 1.1"),
        (np.array([[0.5, 0.0, 0.5]]), "soft targets put mass 0.5 on class 2, invalid in row 0"),
        (np.array([[1.5, -0.5, 0.0]]), "soft targets must be finite and >= 0; row 0"),
        (np.array([[np.nan, 1.0, 0.0]]), "soft targets must be finite and >= 0; row 0"),
        (np.ones((1, 2)) / 2, r"soft targets must have the margins' shape \(1, 3\); got \(1, 2\)"),
    ],
)
def test_bad_soft_targets(targets, match):
    mask = ClassMask.from_lists([[0, 1]], 3)
    with pytest.raises(ValueError, match=match):
        LabelSmoothingLoss().gradient_hessian(targets, np.zeros((1, 3)), mask=mask)


@pytest.mark.parametrize("eps", [-0.1, 1.0, 1.5])
def test_epsilon_outside_the_unit_interval(eps):
    with pytest.raises(ValueError, match=rf"epsilon: expected 0 <= epsilon < 1; got {eps}"):
        LabelSmoothingLoss(epsilon=eps)


def test_label_invalid_in_its_row_and_class_weight_with_soft_targets():
    mask = ClassMask.from_lists([[0, 1]], 3)
    with pytest.raises(ValueError, match=r"the label 2 of row 0 is not one of its valid classes \[0, 1\]"):
        LabelSmoothingLoss().gradient_hessian([2], np.zeros((1, 3)), mask=mask)
    with pytest.raises(ValueError, match="class_weight: needs labels"):
        LabelSmoothingLoss(class_weight="balanced").gradient_hessian(
            np.array([[0.5, 0.5, 0.0]]), np.zeros((1, 3))
        )
