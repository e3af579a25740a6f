"""Property tests of every loss through both backends' adapters, on hostile but legal inputs.

Random ragged masks (K = 2 and rows with a single valid class included), margins up to
+-1e4 and the -1e30 offset on invalid classes, weights from 0 to 1e6. Each loss is called
the way each backend calls it: XGBoost with float32 C-order ``predt`` and a DMatrix built
by ``xgboost_dmatrix``; LightGBM with float64 F-order ``preds`` and a Dataset built by
``lightgbm_dataset`` (and through the scikit-learn signature). Whatever the draw, no NaN
or infinity may come back (it would reach the backend), invalid classes get gradient 0 and
the loss's Hessian floor, and probabilities sum to 1 with exactly 0 on invalid classes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import boostobj as bo
from boostobj import (
    BinaryFocalLoss,
    BinaryLogLoss,
    ClassMask,
    FocalLoss,
    LabelSmoothingLoss,
    SoftmaxLoss,
)
from boostobj.losses import HESSIAN_CONVENTIONS

from . import reference as ref
from .strategies import dense_masks


def stable_cross_entropy(f, classes, y):
    """A user's row loss for make_loss: max-shifted, complex-step safe."""
    shift = np.max(np.real(f))
    return np.log(np.sum(np.exp(f - shift))) + shift - f[y]


BIG_MARGIN = 1e4
BIG_WEIGHT = 1e6

MULTICLASS = {
    "softmax-auto": SoftmaxLoss(),
    "softmax-exact": SoftmaxLoss(hessian="exact"),
    "softmax-xgboost": SoftmaxLoss(hessian="xgboost"),
    "softmax-lightgbm": SoftmaxLoss(hessian="lightgbm"),
    "softmax-balanced": SoftmaxLoss(class_weight="balanced"),
    "focal": FocalLoss(gamma=2.0),
    "focal-exact": FocalLoss(gamma=0.5, hessian="exact"),
    "smoothing": LabelSmoothingLoss(epsilon=0.1),
    "make_loss-label-probability": bo.make_loss(
        lambda q: -((1 - q) ** 2) * np.log(q), of="label_probability"
    ),
    "make_loss-margins-derived": bo.make_loss(stable_cross_entropy, hessian_kind="exact"),
}
BINARY = {
    "logloss": BinaryLogLoss(),
    "logloss-pos-weight": BinaryLogLoss(pos_weight=3.0),
    "focal": BinaryFocalLoss(gamma=2.0),
    "focal-exact": BinaryFocalLoss(gamma=0.5, hessian="exact"),
}
BACKENDS = ["xgboost", "lightgbm-dataset", "lightgbm-sklearn"]
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

margins = st.one_of(st.floats(-BIG_MARGIN, BIG_MARGIN), st.sampled_from([-BIG_MARGIN, BIG_MARGIN, 0.0, -0.0]))
weights = st.one_of(st.floats(0.0, BIG_WEIGHT), st.sampled_from([0.0, BIG_WEIGHT, 1.0]))


@st.composite
def hostile_problems(draw, max_rows: int = 10, max_classes: int = 6):
    """(valid (n, K) bool, raw (n, K) float64 in [-1e4, 1e4], y valid in its row, weight in [0, 1e6])."""
    valid = draw(dense_masks(max_rows, max_classes))
    n, k = valid.shape
    raw = draw(hnp.arrays(np.float64, (n, k), elements=margins))
    y = np.array([draw(st.sampled_from(np.flatnonzero(row).tolist())) for row in valid])
    weight = draw(hnp.arrays(np.float64, n, elements=weights))
    return valid, raw, y, weight


@st.composite
def hostile_binary_problems(draw, max_rows: int = 12):
    n = draw(st.integers(1, max_rows))
    raw = draw(hnp.arrays(np.float64, n, elements=margins))
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    weight = draw(hnp.arrays(np.float64, n, elements=weights))
    return raw, y, weight


def hessian_floor(loss, backend: str) -> float:
    """The Hessian of an invalid class: the floor of the loss as resolved for ``backend``."""
    resolved = loss.for_backend(backend.split("-")[0])
    if isinstance(resolved, (SoftmaxLoss, LabelSmoothingLoss)) and resolved.hessian_floor is None:
        return HESSIAN_CONVENTIONS[resolved.hessian][1]
    return 1e-16 if resolved.hessian_floor is None else resolved.hessian_floor


def call_objective(loss, backend: str, raw, y, weight, valid=None):
    """Margins as ``backend`` hands them to the objective, and its (grad, hess).

    ``valid`` given: the mask rides in ``base_margin`` / ``init_score`` as the -1e30
    offset, and the margins the backend passes include it.
    """
    n = raw.shape[0]
    X = np.zeros((n, 1))
    mask = None if valid is None else ClassMask.from_dense(valid)
    if backend == "xgboost":
        predt = raw.astype(np.float32)
        if mask is not None:
            predt = predt + mask.margin_offset(np.float32)
        dtrain = bo.xgboost_dmatrix(X, y, mask=mask, weight=weight)
        return predt, bo.xgboost_objective(loss)(predt, dtrain)
    preds = np.asfortranarray(raw)
    if mask is not None:
        preds = np.asfortranarray(preds + mask.margin_offset(np.float64, "F"))
    objective = bo.lightgbm_objective(loss)
    if backend == "lightgbm-sklearn":
        return preds, objective(y, preds, weight)
    params = {"verbose": -1, "min_data_in_bin": 1}
    dataset = bo.lightgbm_dataset(X, y, mask=mask, weight=weight, params=params).construct()
    return preds, objective(preds, dataset)


def check_outputs(grad, hess, backend: str, shape) -> None:
    """What the backend receives: its dtype and layout, finite everywhere."""
    assert grad.shape == hess.shape == shape
    assert grad.dtype == hess.dtype == np.float32
    if backend != "xgboost" and len(shape) == 2:
        assert grad.flags.f_contiguous and hess.flags.f_contiguous
    assert np.isfinite(grad).all(), grad
    assert np.isfinite(hess).all(), hess


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(MULTICLASS))
@SETTINGS
@given(problem=hostile_problems())
def test_multiclass_objective_outputs_are_finite_and_zero_on_invalid_classes(name, backend, problem):
    valid, raw, y, weight = problem
    loss = MULTICLASS[name]
    predt, (grad, hess) = call_objective(loss, backend, raw, y, weight, valid)
    check_outputs(grad, hess, backend, raw.shape)
    floor = np.float32(hessian_floor(loss, backend))
    assert (grad[~valid] == 0).all()
    assert (hess[~valid] == floor).all()
    exact = getattr(loss, "hessian_kind", loss.hessian) == "exact"  # make_loss names it hessian_kind
    if not exact or isinstance(loss, SoftmaxLoss):
        assert (hess[valid] >= floor).all()
    # a row with one valid class has nothing to learn
    single = valid.sum(axis=1) == 1
    assert (grad[single] == 0).all()
    if isinstance(loss, SoftmaxLoss) and loss.class_weight is None:  # against the slow reference
        resolved = loss.for_backend(backend.split("-")[0])
        k = raw.shape[1]
        scale = {"exact": 1.0, "xgboost": 2.0, "lightgbm": k / (k - 1.0)}[resolved.hessian]
        g_ref, h_ref = ref.softmax_grad_hess(
            y, np.asarray(predt, np.float64), valid, weight, scale, float(floor)
        )
        atol = 1e-6 * max(1.0, weight.max())
        np.testing.assert_allclose(grad, g_ref, rtol=1e-6, atol=atol)
        np.testing.assert_allclose(hess, h_ref, rtol=1e-6, atol=atol)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(problem=hostile_binary_problems())
def test_binary_objective_outputs_are_finite(name, backend, problem):
    raw, y, weight = problem
    loss = BINARY[name]
    _, (grad, hess) = call_objective(loss, backend, raw, y, weight)
    check_outputs(grad, hess, backend, raw.shape)
    if getattr(loss, "hessian", "positive") != "exact":  # an exact focal Hessian may be negative
        assert (hess >= np.float32(hessian_floor(loss, backend))).all()
    if isinstance(loss, BinaryLogLoss):
        with np.errstate(over="ignore"):  # the reference's exp(1e4) is inf: p = 0, as it should be
            g_ref, _ = ref.logloss_grad_hess(y, raw, weight * np.where(y == 1, loss.pos_weight, 1.0), 0.0)
        np.testing.assert_allclose(grad, g_ref, rtol=1e-6, atol=1e-6 * max(1.0, weight.max()))


@pytest.mark.parametrize("dtype, order", [(np.float32, "C"), (np.float64, "F")], ids=["xgboost", "lightgbm"])
@SETTINGS
@given(problem=hostile_problems())
def test_probabilities_sum_to_one_and_are_zero_on_invalid_classes(dtype, order, problem):
    valid, raw, _, _ = problem
    mask = ClassMask.from_dense(valid)
    raw = np.asarray(raw, dtype=dtype, order=order)
    with_offset = np.asarray(raw + mask.margin_offset(dtype, order), order=order)
    by_mask = bo.masked_softmax(raw, mask=mask)
    by_offset = bo.masked_softmax(with_offset)
    for proba in (by_mask, by_offset):
        assert np.isfinite(proba).all()
        assert (proba[~valid] == 0).all()
        assert (proba >= 0).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(by_mask, by_offset)  # the offset and the mask say the same
    assert (by_mask[valid.sum(axis=1) == 1][valid[valid.sum(axis=1) == 1]] == 1).all()
    np.testing.assert_allclose(by_mask, ref.softmax(raw.astype(np.float64), valid), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", list(MULTICLASS))
@SETTINGS
@given(problem=hostile_problems())
def test_losses_and_metrics_are_finite(name, problem):
    valid, raw, y, weight = problem
    mask = ClassMask.from_dense(valid)
    loss = MULTICLASS[name]
    values = loss.loss(y, raw, sample_weight=weight, mask=mask)
    assert np.isfinite(values).all() and (values >= 0).all()
    with_offset = raw + mask.margin_offset(np.float64)
    np.testing.assert_array_equal(loss.loss(y, with_offset, sample_weight=weight), values)
    if weight.sum() > 0:
        assert np.isfinite(bo.masked_log_loss(y, with_offset, sample_weight=weight))
        assert 0.0 <= bo.masked_error_rate(y, with_offset, sample_weight=weight) <= 1.0


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(problem=hostile_binary_problems())
def test_binary_losses_and_probabilities_are_finite(name, problem):
    raw, y, weight = problem
    loss = BINARY[name]
    values = loss.loss(y, raw, sample_weight=weight)
    assert np.isfinite(values).all() and (values >= 0).all()
    proba = loss.predict_proba(raw)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)


@SETTINGS
@given(problem=hostile_problems(), intercept_scale=st.floats(0.0, 30.0))
def test_intercepts_are_finite_and_keep_the_offset(problem, intercept_scale):
    valid, _, y, weight = problem
    if weight.sum() == 0:
        weight = np.ones_like(weight)
    mask = ClassMask.from_dense(valid)
    intercept = SoftmaxLoss().init_raw_prediction(y, sample_weight=weight, mask=mask)
    assert np.isfinite(intercept).all()
    start = bo.xgboost_dmatrix(np.zeros((len(y), 1)), y, mask=mask, init_score=intercept * intercept_scale)
    base = start.get_base_margin().reshape(valid.shape)
    assert (base[~valid] <= -1e29).all() and np.isfinite(base[valid]).all()
