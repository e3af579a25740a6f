"""MultiLabelLoss (masked multi-label) and ignore_index on the softmax-type losses.

References: a per-entry pure-NumPy logistic loss (independent of the kernels), central
finite differences, and, for ignore_index, the same loss on the rows that are kept."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import given, settings
from hypothesis import strategies as st

import boostobj as bo
from boostobj import ClassMask, FocalLoss, LabelSmoothingLoss, MultiLabelLoss, SoftmaxLoss


def _reference(y, raw, w):
    """Slow obvious per-entry logistic loss, gradient and Hessian (w = 0: unobserved)."""
    p = 1.0 / (1.0 + np.exp(-raw))
    # -log p for y = 1 and -log(1 - p) for y = 0, each as log1p(exp(.)): accurate to rounding
    # (log(p) and log1p(-p) lose digits when the loss is small)
    loss = w * np.where(y == 1, np.log1p(np.exp(-raw)), np.log1p(np.exp(raw)))
    return loss.sum(axis=1), w * (p - y), w * p * (1 - p)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(2, 5), st.integers(0, 2**31 - 1))  # K = 1: BinaryLogLoss
def test_against_the_reference(n, k, seed):
    rng = np.random.default_rng(seed)
    raw = rng.normal(0, 3, (n, k))
    y = rng.integers(0, 2, (n, k))
    observed = rng.random((n, k)) < 0.7
    sw, cw, pw = rng.random(n) + 0.1, rng.random(k) + 0.1, rng.random(k) + 0.5
    loss = MultiLabelLoss(pos_weight=pw, class_weight=cw)
    w = sw[:, None] * cw * np.where(y == 1, pw, 1.0) * observed
    ref_loss, ref_grad, ref_hess = _reference(y, raw, w)
    grad, hess = loss.gradient_hessian(
        y, raw, sample_weight=sw, mask=observed if observed.any(axis=1).all() else None
    )
    if observed.any(axis=1).all():  # a ClassMask needs an observed pair per row
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hess, np.maximum(ref_hess, 1e-16), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(loss.loss(y, raw, sample_weight=sw, mask=observed), ref_loss, rtol=1e-12)
    # the same through the -1e30 offset in the margins
    offset = np.where(observed, raw, -1e30)
    g2, h2 = loss.gradient_hessian(y, offset, sample_weight=sw)
    np.testing.assert_allclose(g2, ref_grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h2, np.maximum(ref_hess, 1e-16), rtol=1e-12, atol=1e-15)
    assert (g2[~observed] == 0).all() and (h2[~observed] == 1e-16).all()


def test_finite_differences_float32_f_order_and_codes():
    rng = np.random.default_rng(1)
    raw, y = rng.normal(size=(20, 5)), rng.integers(0, 2, (20, 5))
    assert bo.check_objective(MultiLabelLoss(pos_weight=2.0), y, raw).ok
    loss = MultiLabelLoss()
    codes = loss.encode_labels(y)
    np.testing.assert_array_equal(loss.decode_labels(codes, 5), y)
    expected = loss.gradient_hessian(y, raw)
    for form in (np.asfortranarray(raw), raw.astype(np.float32)):
        got = loss.gradient_hessian(codes, form)
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-6, atol=1e-7)
        assert got[0].flags.f_contiguous == form.flags.f_contiguous and got[0].dtype == form.dtype


def test_through_both_backends_with_the_observed_mask_in_the_start_margins():
    rng = np.random.default_rng(2)
    n, k = 600, 4
    X = rng.standard_normal((n, 3))
    y = (X[:, [0]] + rng.standard_normal((n, k)) > 0).astype(int)
    observed = rng.random((n, k)) < 0.75
    observed[:, 0] = True
    loss = MultiLabelLoss()
    b = loss.init_raw_prediction(y, mask=observed)
    rate = (y * observed).sum(0) / observed.sum(0)
    np.testing.assert_allclose(b, np.log(rate / (1 - rate)))
    xgb_model = xgb.train(
        {"num_class": k, "max_depth": 2, "nthread": 1, "disable_default_eval_metric": 1},
        bo.xgboost_dmatrix(X, y, mask=observed, init_score=b, loss=loss),
        3,
        obj=bo.xgboost_objective(loss),
    )
    lgb_model = lgb.train(
        {
            "num_class": k,
            "num_leaves": 4,
            "num_threads": 1,
            "verbose": -1,
            "objective": bo.lightgbm_objective(loss),
        },
        bo.lightgbm_dataset(X, y, mask=observed, init_score=b, loss=loss),
        3,
    )
    for model in (xgb_model, lgb_model):
        p = loss.predict_proba(bo.predict_margin(model, X, init_score=b))
        assert p.shape == (n, k) and ((p > 0) & (p < 1)).all()
        assert loss.mean_loss(y, bo.predict_margin(model, X, init_score=b), mask=observed) < loss.mean_loss(
            y, np.broadcast_to(b, (n, k)), mask=observed
        )


def test_bad_inputs():
    loss = MultiLabelLoss()
    with pytest.raises(ValueError, match=r"^y_true: expected 0/1 targets; row 0, class 1 has 2"):
        loss.gradient_hessian(np.array([[0, 2]]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"^y: 25 classes do not travel as the bits of one float32 code"):
        loss.encode_labels(np.zeros((2, 25), dtype=int))
    with pytest.raises(ValueError, match=r"^pos_weight: expected a number or one number per class"):
        MultiLabelLoss(pos_weight=-1.0)
    with pytest.raises(ValueError, match=r"^y_true: expected \(n, 3\) targets or \(n,\) codes of 3 bits"):
        loss.gradient_hessian(np.array([9.0]), np.zeros((1, 3)))


# ---------------------------------------------------------------------- ignore_index
@pytest.mark.parametrize(
    "make",
    [
        lambda: SoftmaxLoss(hessian="exact", ignore_index=-1),
        lambda: FocalLoss(ignore_index=-1),
        lambda: LabelSmoothingLoss(epsilon=0.2, ignore_index=-1),
    ],  # fmt: skip
)
def test_ignored_rows_contribute_nothing(make):
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(12, 4))
    mask = ClassMask.from_lists([[0, 1], [1, 2, 3], [0, 3]] * 4, 4)
    y = np.array([0, 2, 3] * 4)
    y[[1, 7]] = -1
    keep = y != -1
    loss = make()
    grad, hess = loss.gradient_hessian(y, raw, mask=mask)
    assert (grad[~keep] == 0).all() and (hess[~keep] == hess.min()).all()
    kept_grad, kept_hess = loss.gradient_hessian(y[keep], raw[keep], mask=mask[keep])
    np.testing.assert_array_equal(grad[keep], kept_grad)
    np.testing.assert_array_equal(hess[keep], kept_hess)
    values = loss.loss(y, raw, mask=mask)
    assert (values[~keep] == 0).all()
    assert loss.mean_loss(y, raw, mask=mask) == pytest.approx(
        loss.loss(y[keep], raw[keep], mask=mask[keep]).mean()
    )
    np.testing.assert_array_equal(
        loss.init_raw_prediction(y, mask=mask, n_classes=4),
        loss.init_raw_prediction(y[keep], mask=mask[keep], n_classes=4),
    )


def test_ignore_index_through_the_data_sets():
    X = np.random.default_rng(4).standard_normal((300, 3))
    y = np.arange(300) % 3
    y[::5] = -1
    loss = SoftmaxLoss(ignore_index=-1)
    d = bo.xgboost_dmatrix(X, y, loss=loss)
    np.testing.assert_array_equal(d.get_label(), y)
    with pytest.raises(ValueError, match=r"^y: label -1 in row 0 is out of range"):
        bo.xgboost_dmatrix(X, y, loss=SoftmaxLoss())
    with pytest.raises(TypeError, match=r"^ignore_index: expected an integer or None; got 'x'"):
        SoftmaxLoss(ignore_index="x")


def test_the_loss_of_confident_right_answers_keeps_its_digits():
    raw = np.array([[8.34, -20.0, 35.0]])
    y = np.array([[1, 0, 1]])
    want = np.log1p(np.exp(-np.abs(raw))).sum()
    assert MultiLabelLoss().loss(y, raw)[0] == pytest.approx(want, rel=1e-15, abs=0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 600),
    k=st.integers(1, 30),
    seed=st.integers(0, 2**31 - 1),
    dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from("CF"),
    use_codes=st.booleans(),
    unobserved=st.sampled_from([-1e30, -np.inf]),
    fault=st.sampled_from([None, "nan", "+inf"]),
    out_dtype=st.sampled_from([np.float32, np.float64]),
)
def test_dense_kernel_is_bitwise_the_csr_kernel(
    n, k, seed, dtype, order, use_codes, unobserved, fault, out_dtype
):
    """The kernel for observed pairs read from the margins gives the CSR kernel's outputs
    on the same pairs, and reports the first row with a NaN or +inf margin anywhere."""
    from boostobj._kernels import multilabel as mk
    from boostobj._kernels.softmax import ERR_NONFINITE

    rng = np.random.default_rng(seed)
    raw = rng.normal(scale=rng.choice([1.0, 30.0, 800.0]), size=(n, k))
    raw[rng.random((n, k)) < 0.3] = unobserved
    if fault is not None:
        raw[rng.integers(0, n), rng.integers(0, k)] = np.nan if fault == "nan" else np.inf
    raw = np.asarray(raw, dtype=dtype, order=order)
    y = (rng.random((n, k)) < 0.4).astype(np.uint8)
    codes = (y.astype(np.int64) << np.arange(k)).sum(axis=1) if use_codes else np.zeros(1, np.int64)
    targets = np.zeros((1, 1), np.uint8) if use_codes else y
    data = (
        raw,
        codes,
        targets,
        use_codes,
        rng.uniform(0, 3, n),
        rng.uniform(0.5, 2, k),
        rng.uniform(1, 4, k),
    )
    observed = raw > -1e29  # the pairs the dense kernel reads as observed (rows may have none)
    indptr = np.concatenate([[0], np.cumsum(observed.sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(observed)[1].astype(np.int64)
    outs = []
    for kernel in ("csr", "dense"):
        grad = np.full((n, k), np.nan, out_dtype, order=order)
        hess = np.full((n, k), np.nan, out_dtype, order=order)
        if kernel == "dense":
            status = mk.multilabel_grad_hess_dense(*data, 1e-16, grad, hess, 0, n)
        else:
            status = mk.multilabel_grad_hess(*data, indptr, indices, 1e-16, grad, hess, 0, n)
        outs.append((status, grad, hess))
    bad_rows = np.flatnonzero((np.isnan(raw) | (raw == np.inf)).any(axis=1))
    if fault is None:
        assert outs[0][0] == outs[1][0] == (0, -1)
        np.testing.assert_array_equal(outs[1][1], outs[0][1])
        np.testing.assert_array_equal(outs[1][2], outs[0][2])
    else:
        assert outs[1][0] == (ERR_NONFINITE, bad_rows[0])
