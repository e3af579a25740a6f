"""Kernels and losses against slow references, finite differences and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import boostobj
from boostobj import BinaryLogLoss, ClassMask, SoftmaxLoss
from boostobj._kernels import multiclass as mk
from boostobj._kernels.fastexp import KEY_NEG_INF, exp_nonpositive, from_order_key, order_key

from . import reference as ref
from .strategies import masked_problems

CONVENTIONS = {"exact": (1.0, 1e-16), "xgboost": (2.0, 1e-16)}


def _conventions(k):
    return {**CONVENTIONS, "lightgbm": (k / (k - 1.0), 0.0)}


def _assert_loss_close(actual, desired, weight):
    """log-sum-exp is accurate to a few ulps of its argument (~1): an absolute bound for tiny losses."""
    bound = 1e-12 * np.abs(desired) + 4e-16 * (1 + weight)
    assert np.all(np.abs(actual - desired) <= bound), np.max(np.abs(actual - desired) - bound)


def _layout(raw, dtype, order):
    return np.asarray(raw, dtype=dtype, order=order)


# ----------------------------------------------------------------------------- fastexp
def _fast_exp(x):
    out = np.array(x, dtype=np.float64)
    exp_nonpositive(out, out.size)
    return out


def test_fastexp_within_one_ulp_of_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            -rng.exponential(1.0, 20000),
            -rng.uniform(0, 708, 20000),
            -np.logspace(-300, 2.85, 2000),
            -np.arange(0, 708) * np.log(2),  # exact multiples of ln2: 2**k boundaries
        ]
    )
    x = x[x >= -708]
    got, want = _fast_exp(x), np.exp(x)
    ulp = np.spacing(want)
    assert np.max(np.abs(got - want) / ulp) <= 1.0


def test_fastexp_edge_values():
    x = np.array([0.0, -0.0, -1e-300, -708.0, -708.0001, -745.2, -1e4, -1e30, -np.inf])
    got = _fast_exp(x)
    assert got[0] == 1.0 and got[1] == 1.0 and got[2] == 1.0
    assert got[3] == pytest.approx(np.exp(-708.0), rel=1e-15)
    assert (got[4:] == 0.0).all()


_ORDER_EDGES = [
    -np.inf,
    -1e308,
    -1.0,
    -5e-324,
    -0.0,
    0.0,
    5e-324,
    2.2250738585072014e-308,
    1.0,
    1e308,
    np.inf,
]


@settings(max_examples=300, deadline=None)
@given(
    a=st.one_of(st.sampled_from(_ORDER_EDGES), st.floats(allow_nan=False)),
    b=st.one_of(st.sampled_from(_ORDER_EDGES), st.floats(allow_nan=False)),
)
def test_order_key_sorts_as_the_floats_and_inverts_exactly(a, b):
    """Keys order as the floats (-0.0 just below 0.0, the one tie broken) and map back
    to the same bits; no key lies below KEY_NEG_INF, where a maximum starts."""
    ka, kb = order_key(a), order_key(b)
    sign_a, sign_b = math.copysign(1.0, a), math.copysign(1.0, b)
    assert (ka < kb) == (a < b or (a == b and sign_a < sign_b))
    assert (ka == kb) == (a == b and sign_a == sign_b)
    assert KEY_NEG_INF <= min(ka, kb)
    for x, k in ((a, ka), (b, kb)):
        assert np.float64(from_order_key(k)).tobytes() == np.float64(x).tobytes()


# ----------------------------------------------------------------------------- softmax
@settings(max_examples=60, deadline=None)
@given(
    problem=masked_problems(),
    dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from("CF"),
    from_margin=st.booleans(),
)
@example(  # a loss of 1.2e-5: the reference once summed 1 + 5 e^-14 with rounding (now exactly)
    problem=(np.ones((1, 6), bool), np.array([[14.0, 0, 0, 0, 0, 0]]), np.array([0]), np.array([3.0])),
    dtype=np.float32,
    order="C",
    from_margin=False,
)
def test_softmax_grad_hess_loss_match_reference(problem, dtype, order, from_margin):
    valid, raw, y, weight = problem
    raw = _layout(raw, dtype, order)
    exact = raw.astype(np.float64)  # float32 -> float64 is exact: the reference sees the same numbers
    if from_margin:
        raw = _layout(raw + ClassMask.from_dense(valid).margin_offset(dtype), dtype, order)
        mask = None
    else:
        mask = ClassMask.from_dense(valid)
    k = valid.shape[1]
    proba = SoftmaxLoss().predict_proba(raw, mask=mask)
    np.testing.assert_allclose(proba, ref.softmax(exact, valid), rtol=1e-13, atol=1e-300)
    assert (proba[~valid] == 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-13)
    for name, (scale, floor) in _conventions(k).items():
        grad, hess = SoftmaxLoss(hessian=name).gradient_hessian(y, raw, sample_weight=weight, mask=mask)
        assert grad.dtype == dtype and hess.dtype == dtype
        assert grad.flags.f_contiguous if order == "F" else grad.flags.c_contiguous
        g_ref, h_ref = ref.softmax_grad_hess(y, exact, valid, weight, scale, floor)
        tol = 1e-13 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(grad, g_ref, rtol=tol, atol=tol * np.abs(weight).max(initial=1))
        np.testing.assert_allclose(hess, h_ref, rtol=tol, atol=tol * np.abs(weight).max(initial=1))
        assert (grad[~valid] == 0).all()
        assert (hess[~valid] == np.asarray(floor, dtype)).all()
    loss = SoftmaxLoss().loss(y, raw, sample_weight=weight, mask=mask)
    _assert_loss_close(loss, ref.softmax_loss(y, exact, valid, weight), weight)


@settings(max_examples=40, deadline=None)
@given(problem=masked_problems(), shift=st.floats(-1e3, 1e3))
def test_adding_a_constant_to_valid_margins_changes_nothing(problem, shift):
    valid, raw, y, weight = problem
    mask = ClassMask.from_dense(valid)
    row_shift = shift * np.linspace(-1, 1, raw.shape[0])[:, None]
    loss = SoftmaxLoss(hessian="exact")
    g0, h0 = loss.gradient_hessian(y, raw, sample_weight=weight, mask=mask)
    g1, h1 = loss.gradient_hessian(y, raw + row_shift, sample_weight=weight, mask=mask)
    # the shift moves margins by up to 1e3: their rounding moves p by ~1e3 * 1e-16 relative
    np.testing.assert_allclose(g1, g0, atol=1e-11 * (1 + weight.max()))
    np.testing.assert_allclose(h1, h0, atol=1e-11 * (1 + weight.max()))
    np.testing.assert_allclose(
        loss.predict_proba(raw + row_shift, mask=mask), loss.predict_proba(raw, mask=mask), atol=1e-11
    )


@settings(max_examples=40, deadline=None)
@given(problem=masked_problems(scale=1e4), dtype=st.sampled_from([np.float32, np.float64]))
def test_extreme_margins_give_finite_exact_results(problem, dtype):
    valid, raw, y, weight = problem
    raw = raw.astype(dtype)
    mask = ClassMask.from_dense(valid)
    loss = SoftmaxLoss(hessian="exact")
    grad, hess = loss.gradient_hessian(y, raw, sample_weight=weight, mask=mask)
    values = loss.loss(y, raw, sample_weight=weight, mask=mask)
    proba = loss.predict_proba(raw, mask=mask)
    assert np.isfinite(grad).all() and np.isfinite(hess).all() and np.isfinite(values).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    exact = raw.astype(np.float64)
    _assert_loss_close(values, ref.softmax_loss(y, exact, valid, weight), weight)


def test_single_valid_class_row_has_zero_gradient_and_floor_hessian():
    mask = ClassMask.from_lists([[2], [0, 1, 2]], n_classes=3)
    raw = np.array([[5.0, -3.0, 1.0], [0.0, 0.0, 0.0]])
    for name, (_, floor) in _conventions(3).items():
        grad, hess = SoftmaxLoss(hessian=name).gradient_hessian([2, 0], raw, mask=mask)
        assert (grad[0] == 0).all()
        assert (hess[0] == floor).all()
    proba = SoftmaxLoss().predict_proba(raw, mask=mask)
    assert proba[0].tolist() == [0.0, 0.0, 1.0]


def test_margin_mode_equals_csr_mode_on_offset_margins():
    rng = np.random.default_rng(3)
    valid = rng.random((500, 7)) < 0.4
    valid[np.arange(500), rng.integers(0, 7, 500)] = True
    mask = ClassMask.from_dense(valid)
    raw = rng.normal(size=(500, 7)).astype(np.float32)
    y = np.array([rng.choice(np.flatnonzero(r)) for r in valid])
    loss = SoftmaxLoss(hessian="xgboost")
    with_offset = raw + mask.margin_offset()
    a = loss.gradient_hessian(y, raw, mask=mask)
    b = loss.gradient_hessian(y, with_offset)  # mask read from the margins
    c = loss.gradient_hessian(y, with_offset, mask=mask)  # both
    for x, z in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, z)
    for x, z in zip(a, c, strict=True):
        np.testing.assert_array_equal(x, z)


def _dense_2d(raw, *args):
    """The row-major dense kernel as ``softmax_grad_hess_dense`` runs it, but indexing the
    2-D arrays where it would take flat views (C-order margins and outputs)."""
    k = raw.shape[1]
    fixed, int_max = (mk._FIXED_K[k], ()) if k <= mk.SMALL_K else ((), (0,))
    return mk.dense_with(fixed, int_max, raw, *args, flat=False)


DENSE_KERNELS = (mk.softmax_grad_hess_dense, _dense_2d, mk.softmax_grad_hess_dense_cols)


def _gradient_kernels(raw, y, weight, scale, floor, out_dtype, order, lo=0, hi=None, out_order=None):
    """(status, row, grad, hess) of the gathering kernel, then of each dense kernel, on
    rows ``lo <= i < hi`` of the same margins (outputs NaN elsewhere), outputs in
    ``out_order`` (default: ``order``)."""
    hi = len(y) if hi is None else hi
    results = []
    for kernel in (None, *DENSE_KERNELS):
        grad = np.full(raw.shape, np.nan, out_dtype, order=out_order or order)
        hess = np.full(raw.shape, np.nan, out_dtype, order=out_order or order)
        if kernel is None:
            csr = np.zeros(1, np.int64)  # unused: the mask is read from the margins
            status = mk.softmax_grad_hess(raw, y, weight, csr, csr, True, scale, floor, grad, hess, lo, hi)
        else:
            status = kernel(raw, y, weight, scale, floor, grad, hess, lo, hi)
        results.append((*status, grad, hess))
    return results


@settings(max_examples=80, deadline=None)
@given(
    problem=masked_problems(max_rows=600, max_classes=30, scale=800.0),
    dtype=st.sampled_from([np.float32, np.float64]),
    out_dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from("CF"),
    out_order=st.sampled_from("CF"),
    floor=st.sampled_from([0.0, 1e-16, 0.5]),
    invalid=st.sampled_from([-1e30, -np.inf]),
)
def test_dense_kernels_are_bitwise_the_gathering_kernel(
    problem, dtype, out_dtype, order, out_order, floor, invalid
):
    """Margins up to +-800 (exp underflows inside a row), blocks of 256 rows and more, both
    offsets, both layouts and mixed ones (each dense kernel runs on any; the row-major one
    takes flat views when all three arrays are C-order, and is also run without)."""
    valid, raw, y, weight = problem
    raw = _layout(np.where(valid, raw, invalid), dtype, order)
    y = y.astype(np.int64)
    gathered, *dense = _gradient_kernels(raw, y, weight, 2.0, floor, out_dtype, order, out_order=out_order)
    assert gathered[:2] == (0, -1)
    for result in dense:
        assert result[:2] == (0, -1)
        np.testing.assert_array_equal(result[2], gathered[2])
        np.testing.assert_array_equal(result[3], gathered[3])
    assert (gathered[2][~valid] == 0).all() and (gathered[3][~valid] == out_dtype(floor)).all()


def test_key_of_minus_infinity_starts_the_maximum():
    """A maximum over no entries is -inf, as the float maximum started at -inf gives
    (the kernels reach no such row: K >= 1, and the wrapper takes the integer maximum only
    above SMALL_K)."""
    assert order_key(-np.inf) == KEY_NEG_INF and from_order_key(KEY_NEG_INF) == -np.inf


@pytest.mark.parametrize("pad", [0, 6])  # K = 3 (compiled for its K) and 9
@pytest.mark.parametrize("order", "CF")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_kernels_bitwise_where_the_row_maximum_is_a_signed_zero(dtype, order, pad):
    """Above SMALL_K (here K = 9) the row kernel takes the maximum as an integer one (0.0
    above -0.0), the gathering kernel by comparison (the first zero kept): the outputs must
    not tell. K = 3 runs the row kernel's float maximum."""
    z, n = 0.0, -0.0
    rows = [[n, z, -3.0], [z, n, -3.0], [n, n, -1e30], [-1e30, n, z], [n, -2.0, z], [-1.0, n, -1e30]]
    raw = np.hstack([np.array(rows * 100), np.full((600, pad), -1e30)])
    raw = _layout(raw, dtype, order)  # 600 rows: several blocks
    y = np.tile(np.array([0, 1, 1, 2, 2, 1], np.int64), 100)
    weight = np.linspace(0.5, 2.0, len(y))
    gathered, *dense = _gradient_kernels(raw, y, weight, 2.0, 1e-16, np.float64, order)
    assert gathered[:2] == (0, -1)
    for result in dense:
        assert result[:2] == (0, -1)
        np.testing.assert_array_equal(result[2], gathered[2])
        np.testing.assert_array_equal(result[3], gathered[3])
    assert gathered[2][0, 0] == pytest.approx((1 / (2 + math.exp(-3)) - 1.0) * weight[0])


@settings(max_examples=80, deadline=None)
@given(
    problem=masked_problems(max_rows=1400, max_classes=10),
    faults=st.lists(
        st.tuples(st.sampled_from(["nan", "+inf", "empty", "label"]), st.floats(0, 1, exclude_max=True)),
        min_size=1,
        max_size=3,
    ),
    order=st.sampled_from("CF"),
    bounds=st.one_of(st.just((0.0, 1.0)), st.tuples(st.floats(0, 1), st.floats(0, 1))),
)
def test_dense_kernels_report_the_gathering_kernels_first_error(problem, faults, order, bounds):
    """Also on a slice of rows (as one thread's share), where blocks start at ``lo``: the
    column kernel's blocks of up to 1,024 rows must report what blocks of 256 report."""
    valid, raw, y, weight = problem
    raw = np.where(valid, raw, -1e30)
    y = y.astype(np.int64)
    for kind, where in faults:
        i = int(where * len(y))
        if kind == "nan":
            raw[i, (i * 7) % raw.shape[1]] = np.nan  # on a valid or an invalid class
        elif kind == "+inf":
            raw[i, y[i]] = np.inf
        elif kind == "empty":
            raw[i] = -1e30
        else:
            raw[i, y[i]] = -np.inf
    lo, hi = sorted(int(b * len(y)) for b in bounds)
    raw = _layout(raw, np.float64, order)
    gathered, *dense = _gradient_kernels(raw, y, weight, 1.0, 1e-16, np.float64, order, lo, hi)
    assert gathered[0] != 0 or (lo, hi) != (0, len(y))  # every fault is an error
    for result in dense:
        assert result[:2] == gathered[:2]
        if gathered[0] == 0:  # no fault in [lo, hi): the same outputs, rows outside untouched
            np.testing.assert_array_equal(result[2], gathered[2])
            np.testing.assert_array_equal(result[3], gathered[3])


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(
    ("lo", "label_row", "nan_row", "expected"),
    [
        (0, 100, 400, (3, 100)),  # different blocks of 256: the earlier block's error
        (0, 300, 260, (1, 260)),  # same block: NaN before an invalid label, whatever the rows
        (50, 300, 310, (3, 300)),  # blocks start at lo: rows 50-305, then 306-561
        (50, 310, 300, (1, 300)),
        (50, 320, 310, (1, 310)),
    ],
)
def test_dense_kernels_report_errors_block_by_block(order, lo, label_row, nan_row, expected):
    """Pinned cases of the rule the hypothesis test checks: the column kernel's blocks of up
    to 1,024 rows report the first error as the other kernels' blocks of 256 rows do."""
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(1200, 4))
    y = rng.integers(0, 4, 1200)
    raw[label_row, y[label_row]] = -1e30
    raw[nan_row, 2] = np.nan
    raw = _layout(raw, np.float64, order)
    for result in _gradient_kernels(raw, y, np.ones(1200), 1.0, 0.0, np.float64, order, lo):
        assert result[:2] == expected


def test_dense_kernel_is_chosen_when_most_classes_are_valid(monkeypatch):
    calls = []
    for name in ("softmax_grad_hess", "softmax_grad_hess_dense", "softmax_grad_hess_dense_cols"):
        kernel = getattr(mk, name)
        monkeypatch.setattr(mk, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    rng = np.random.default_rng(0)
    small = mk.SMALL_K
    for share, order, k, expected in [
        (0.5, "C", 40, "softmax_grad_hess_dense"),
        (0.5, "F", 40, "softmax_grad_hess_dense_cols"),  # column-major outputs: LightGBM's layout
        (0.05, "C", 40, "softmax_grad_hess"),
        (0.05, "F", 40, "softmax_grad_hess_dense_cols"),  # in that layout, even with few valid
        (0.5, "F", small, "softmax_grad_hess_dense"),  # up to SMALL_K classes: the row kernel
        (0.5, "F", small + 1, "softmax_grad_hess_dense_cols"),
        (0.5, "C", small, "softmax_grad_hess_dense"),
    ]:
        valid = rng.random((300, k)) < share
        valid[:, 0] = True
        offset = ClassMask.from_dense(valid).margin_offset()
        raw = np.asarray(rng.normal(size=valid.shape) + offset, order=order)
        SoftmaxLoss().gradient_hessian(np.zeros(300, int), raw)
        assert calls.pop() == expected
        SoftmaxLoss().gradient_hessian(np.zeros(300, int), raw, mask=valid)  # a mask: always gathered
        assert calls.pop() == "softmax_grad_hess"


def test_caller_supplied_outputs_any_dtype_and_order():
    rng = np.random.default_rng(4)
    raw = np.asfortranarray(rng.normal(size=(50, 4)))
    y = rng.integers(0, 4, 50)
    want_g, want_h = SoftmaxLoss(hessian="lightgbm").gradient_hessian(y, raw)
    g = np.empty((50, 4), np.float32, order="F")
    h = np.empty((50, 4), np.float32, order="F")
    out = SoftmaxLoss(hessian="lightgbm").gradient_hessian(y, raw, gradient_out=g, hessian_out=h)
    assert out[0] is g and out[1] is h
    np.testing.assert_array_equal(g, want_g.astype(np.float32))
    np.testing.assert_array_equal(h, want_h.astype(np.float32))


# ----------------------------------------------------------------------------- finite differences
def _fd_gradient(loss_fn, raw, eps=1e-5):
    """Central differences of per-row losses, one class column at a time: (n, K)."""
    grad = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = eps
        grad[:, j] = (loss_fn(raw + step) - loss_fn(raw - step)) / (2 * eps)
    return grad


@settings(max_examples=40, deadline=None)
@given(problem=masked_problems(scale=6.0))
def test_gradient_and_exact_hessian_match_finite_differences(problem):
    valid, raw, y, weight = problem
    mask = ClassMask.from_dense(valid)
    loss = SoftmaxLoss(hessian="exact", hessian_floor=0.0)
    grad, hess = loss.gradient_hessian(y, raw, sample_weight=weight, mask=mask)
    fd_grad = _fd_gradient(lambda r: loss.loss(y, r, sample_weight=weight, mask=mask), raw)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-7 * (1 + weight.max()))
    fd_hess = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = 1e-5
        g_plus = loss.gradient_hessian(y, raw + step, sample_weight=weight, mask=mask)[0][:, j]
        g_minus = loss.gradient_hessian(y, raw - step, sample_weight=weight, mask=mask)[0][:, j]
        fd_hess[:, j] = (g_plus - g_minus) / 2e-5
    np.testing.assert_allclose(hess, fd_hess, atol=1e-7 * (1 + weight.max()))


def test_class_weights_multiply_the_rows_of_their_class():
    rng = np.random.default_rng(5)
    raw = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, 40)
    sw = rng.uniform(0, 2, 40)
    cw = np.array([0.5, 2.0, 3.0])
    base = SoftmaxLoss(hessian="exact")
    weighted = SoftmaxLoss(hessian="exact", class_weight=cw)
    as_dict = SoftmaxLoss(hessian="exact", class_weight={0: 0.5, 1: 2.0, 2: 3.0})
    g0, h0 = base.gradient_hessian(y, raw, sample_weight=sw * cw[y])
    for loss in (weighted, as_dict):
        g1, h1 = loss.gradient_hessian(y, raw, sample_weight=sw)
        np.testing.assert_allclose(g1, g0, rtol=1e-15)
        np.testing.assert_allclose(h1, h0, rtol=1e-15)
    balanced = SoftmaxLoss(hessian="exact", class_weight="balanced")
    counts = np.bincount(y, weights=sw, minlength=3)
    expected = counts.sum() / (3 * counts)
    np.testing.assert_allclose(
        balanced.loss(y, raw, sample_weight=sw), base.loss(y, raw, sample_weight=sw * expected[y]), rtol=1e-14
    )


# ----------------------------------------------------------------------------- binary
@settings(max_examples=40, deadline=None)
@given(
    raw=st.lists(st.floats(-50, 50), min_size=1, max_size=30),
    data=st.data(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_binary_logloss_matches_reference(raw, data, dtype):
    raw = np.array(raw, dtype=dtype)
    n = raw.size
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    w = np.array(data.draw(st.lists(st.floats(0, 5), min_size=n, max_size=n)))
    loss = BinaryLogLoss(pos_weight=2.5)
    eff = w * np.where(y == 1, 2.5, 1.0)
    grad, hess = loss.gradient_hessian(y, raw, sample_weight=w)
    g_ref, h_ref = ref.logloss_grad_hess(y, raw.astype(np.float64), eff, 1e-16)
    tol = 1e-13 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(grad, g_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(hess, h_ref, rtol=tol, atol=tol)
    values = loss.loss(y, raw, sample_weight=w)
    np.testing.assert_allclose(values, ref.logloss(y, raw.astype(np.float64), eff), rtol=1e-12, atol=1e-12)
    proba = loss.predict_proba(raw)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_binary_gradient_hessian_match_finite_differences():
    rng = np.random.default_rng(6)
    raw = rng.normal(scale=3, size=200)
    y = rng.integers(0, 2, 200)
    w = rng.uniform(0, 3, 200)
    loss = BinaryLogLoss(class_weight={0: 1.5, 1: 0.5}, hessian_floor=0.0)
    grad, hess = loss.gradient_hessian(y, raw, sample_weight=w)
    eps = 1e-5
    fd_grad = loss.loss(y, raw + eps, sample_weight=w) - loss.loss(y, raw - eps, sample_weight=w)
    fd_grad /= 2 * eps
    fd_hess = (
        loss.gradient_hessian(y, raw + eps, sample_weight=w)[0]
        - loss.gradient_hessian(y, raw - eps, sample_weight=w)[0]
    ) / (2 * eps)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-8)
    np.testing.assert_allclose(hess, fd_hess, atol=1e-8)


def test_binary_extreme_margins():
    raw = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    y = np.array([1, 0, 1, 1, 0])
    loss = BinaryLogLoss()
    values = loss.loss(y, raw)
    np.testing.assert_allclose(values, [1e4, 0.0, np.log(2), 0.0, 1e4], rtol=1e-15)
    grad, hess = loss.gradient_hessian(y, raw)
    np.testing.assert_allclose(grad, [-1.0, 0.0, -0.5, 0.0, 1.0])
    assert (hess >= 1e-16).all()


# ----------------------------------------------------------------------------- threads
def _large_problem(n=40_000, k=9, seed=7):  # enough entries to split across threads
    rng = np.random.default_rng(seed)
    valid = rng.random((n, k)) < 0.5
    valid[np.arange(n), rng.integers(0, k, n)] = True
    raw = rng.normal(size=(n, k)).astype(np.float32)
    y = np.array([rng.choice(np.flatnonzero(r)) for r in valid])
    return ClassMask.from_dense(valid), raw, y


@pytest.fixture
def restore_threads():
    before = boostobj.get_num_threads()
    yield
    boostobj.set_num_threads(before)


def test_threaded_calls_equal_single_threaded_and_report_the_first_bad_row(restore_threads):
    mask, raw, y = _large_problem()
    loss = SoftmaxLoss(hessian="xgboost")
    boostobj.set_num_threads(1)
    single = loss.gradient_hessian(y, raw, mask=mask)
    boostobj.set_num_threads(3)
    multi = loss.gradient_hessian(y, raw, mask=mask)
    bad = raw.copy()
    bad[[35_000, 30_001]] = np.nan
    with pytest.raises(ValueError, match="row 30001 has a NaN"):
        loss.gradient_hessian(y, bad, mask=mask)
    for a, b in zip(single, multi, strict=True):
        np.testing.assert_array_equal(a, b)


def test_thread_count_follows_the_policy_everywhere(restore_threads, monkeypatch):
    from boostobj import _threads

    mask, raw, y = _large_problem()
    calls = []
    real_executor = _threads._executor
    # threads of a call: the pool's workers and the calling thread
    monkeypatch.setattr(_threads, "_executor", lambda size: calls.append(size + 1) or real_executor(size))
    dtrain = boostobj.xgboost_dmatrix(np.zeros((len(y), 1)), y, mask=mask)
    boostobj.set_num_threads(1)
    SoftmaxLoss().gradient_hessian(y, raw, mask=mask)
    boostobj.xgboost_objective()(raw + mask.margin_offset(), dtrain)
    assert calls == []
    boostobj.set_num_threads(2)
    SoftmaxLoss().gradient_hessian(y, raw, mask=mask)
    boostobj.xgboost_objective()(raw + mask.margin_offset(), dtrain)
    boostobj.xgboost_metric()(raw + mask.margin_offset(), dtrain)
    SoftmaxLoss().gradient_hessian(y[:100], raw[:100], mask=mask.take(np.arange(100)))  # too small to split
    assert calls == [2, 2, 2]


@pytest.mark.parametrize("late", [False, True])
@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("failing", [[], [5_000], [40_000, 9_000], [70_000, 130_000]])
def test_run_rows_takes_chunks_in_order_and_reports_the_first_failure(
    restore_threads, late, threads, failing
):
    """Chunks start at multiples of BLOCK_ROWS and cover the rows once; every chunk before
    the first failing one is run, whichever thread is late to start; the error reported is
    the smallest failing row, as on one thread."""
    import threading
    import time

    from boostobj import _threads
    from boostobj._kernels.softmax import BLOCK_ROWS

    n_rows = 131_000
    runs = []  # (lo, hi, thread)
    slept = set()

    def kernel(lo, hi):
        worker = threading.current_thread() is not threading.main_thread()
        if late and worker and threading.get_ident() not in slept:
            slept.add(threading.get_ident())
            time.sleep(0.05)  # a worker slow to start its first chunk
        runs.append((lo, hi, threading.get_ident()))
        bad = [row for row in failing if lo <= row < hi]
        return (7, bad[0]) if bad else (0, -1)

    boostobj.set_num_threads(threads)
    status, row = _threads.run_rows(kernel, n_rows, _threads.MIN_ENTRIES_PER_THREAD)
    expected = (7, min(failing)) if failing else (0, -1)
    assert (status, row) == expected
    chunks = sorted((lo, hi) for lo, hi, _ in runs)
    assert len(chunks) == len(set(chunks))
    assert all(lo % BLOCK_ROWS == 0 for lo, _ in chunks)
    if failing:  # every chunk up to the failing one ran, contiguous from row 0
        first = next(i for i, (lo, hi) in enumerate(chunks) if lo <= min(failing) < hi)
        assert [lo for lo, _ in chunks[: first + 1]] == [0] + [hi for _, hi in chunks[:first]]
    else:
        assert chunks[0][0] == 0 and chunks[-1][1] == n_rows
        assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))
        assert len(chunks) == threads * _threads.CHUNKS_PER_THREAD
    if late and not failing:  # the calling thread did not wait for the late worker
        main = threading.get_ident()
        assert sum(ident == main for *_, ident in runs) > _threads.CHUNKS_PER_THREAD


def test_default_thread_count_follows_omp_num_threads():
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "BOOSTOBJ_NUM_THREADS")}
    code = "import boostobj; print(boostobj.get_num_threads())"
    cases = [({"OMP_NUM_THREADS": "3"}, "3"), ({"OMP_NUM_THREADS": "3", "BOOSTOBJ_NUM_THREADS": "5"}, "5")]
    for env, expected in cases:
        result = subprocess.run(
            [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True
        )
        assert result.stdout.strip() == expected, result.stderr


def test_set_num_threads_rejects_bad_values():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            boostobj.set_num_threads(bad)


def _threaded_call_in_child(queue):
    mask, raw, y = _large_problem(seed=8)
    boostobj.set_num_threads(2)
    grad, _ = SoftmaxLoss().gradient_hessian(y, raw, mask=mask)
    queue.put(float(np.abs(grad).sum()))


def test_fork_after_a_threaded_call_is_safe(restore_threads):
    import multiprocessing

    mask, raw, y = _large_problem(seed=8)
    boostobj.set_num_threads(2)
    want = float(np.abs(SoftmaxLoss().gradient_hessian(y, raw, mask=mask)[0]).sum())  # pool now running
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_threaded_call_in_child, args=(queue,))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0, "the child hung or failed after fork"
    assert queue.get(timeout=5) == want


@pytest.mark.parametrize("x", [8.34, 20.0, 35.0, -8.34, -20.0])
def test_binary_loss_of_a_confident_right_answer_keeps_its_digits(x):
    """-log p for the right label is log1p(exp(-|f|)): tiny when |f| is large, and must not be
    computed as (log1p(..) + f) - f, which keeps only the digits that survive next to f."""
    y = np.array([1.0 if x > 0 else 0.0])
    got = BinaryLogLoss().loss(y, np.array([x]))[0]
    want = np.log1p(np.exp(-abs(x)))
    assert got == pytest.approx(want, rel=1e-15, abs=0)
