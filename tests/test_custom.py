"""make_loss: user row functions with given or derived derivatives.

Derived derivatives are checked against losses whose derivatives were written by hand
(FocalLoss, SoftmaxLoss), against finite differences (a cost-sensitive loss with no
hand-written counterpart), and the jets against closed-form derivatives."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import lightgbm as lgb
import numba
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import given, settings
from hypothesis import strategies as st

import boostobj
from boostobj import ClassMask, FocalLoss, SoftmaxLoss, make_loss
from boostobj._jets import derivatives

from .strategies import masked_problems

# Row functions of the margins form, at module level so that the losses pickle.


def softmax_ce(f, classes, y):
    """-log softmax(f)[y], written without a max shift so it also takes complex margins."""
    return np.log(np.sum(np.exp(f))) - f[y]


def softmax_ce_gradient(f, classes, y):
    p = np.exp(f) / np.sum(np.exp(f))
    p[y] -= 1.0
    return p


def softmax_ce_hessian(f, classes, y):
    p = np.exp(f) / np.sum(np.exp(f))
    return p * (1.0 - p)


COST = np.array([[0.0, 1.0, 4.0, 9.0, 16.0], [1.0, 0.0, 1.0, 4.0, 9.0], [4.0, 1.0, 0.0, 1.0, 4.0]])
COST = np.vstack([COST, COST[::-1, ::-1][1:]])  # (5, 5): squared distance between ordinal classes


def expected_cost(f, classes, y):
    """Expected squared ordinal distance sum_c p_c (c - label)^2 plus the cross-entropy."""
    e = np.exp(f)
    p = e / np.sum(e)
    label = classes[y]
    cost = 0.0 * f[0]
    for t in range(f.shape[0]):
        cost += p[t] * (classes[t] - label) ** 2
    return cost + np.log(np.sum(e)) - f[y]


def focal_q(q):
    return -((1.0 - q) ** 2) * np.log(q)


def _problem(n=300, k=5, seed=0, scale=2.0):
    rng = np.random.default_rng(seed)
    raw = rng.normal(scale=scale, size=(n, k))
    y = rng.integers(0, k, n)
    valid = rng.random((n, k)) < 0.6
    valid[np.arange(n), y] = True
    weight = rng.uniform(0.0, 3.0, n)
    return raw, y, ClassMask.from_dense(valid), weight


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("kind", ["exact", "positive"])
def test_label_probability_form_reproduces_focal_loss(gamma, kind):
    raw, y, mask, w = _problem()
    alpha = [0.5, 1.0, 2.0, 1.0, 0.25]
    derived = make_loss(
        lambda q: -((1 - q) ** gamma) * np.log(q),
        of="label_probability",
        hessian_kind=kind,
        class_weight=alpha,
    )
    by_hand = FocalLoss(gamma=gamma, alpha=alpha, hessian=kind)
    g1, h1 = derived.gradient_hessian(y, raw, sample_weight=w, mask=mask)
    g2, h2 = by_hand.gradient_hessian(y, raw, sample_weight=w, mask=mask)
    np.testing.assert_allclose(g1, g2, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(h1, h2, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(
        derived.loss(y, raw, sample_weight=w, mask=mask),
        by_hand.loss(y, raw, sample_weight=w, mask=mask),
        rtol=1e-12,
    )


def test_label_probability_given_derivatives_match_derived():
    raw, y, mask, w = _problem(seed=1)
    derived = make_loss(focal_q, of="label_probability", hessian_kind="exact")
    given_ = make_loss(
        focal_q,
        lambda q: 2 * (1 - q) * np.log(q) - (1 - q) ** 2 / q,
        lambda q: -2 * np.log(q) + 4 * (1 - q) / q + (1 - q) ** 2 / q**2,
        of="label_probability",
        hessian_kind="exact",
    )
    for a, b in zip(
        derived.gradient_hessian(y, raw, mask=mask), given_.gradient_hessian(y, raw, mask=mask), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(problem=masked_problems(scale=1e4), gamma=st.floats(0.0, 5.0))
def test_label_probability_default_hessian_positive_for_extreme_logits(problem, gamma):
    valid, raw, y, weight = problem
    loss = make_loss(lambda q: -((1 - q) ** gamma) * np.log(q), of="label_probability")
    grad, hess = loss.gradient_hessian(y, raw, sample_weight=weight, mask=ClassMask.from_dense(valid))
    assert np.isfinite(grad).all() and np.isfinite(hess).all()
    assert (hess >= 1e-16).all()
    assert (grad[~valid] == 0).all()


# (loss, Hessian tolerance); built once so that each compiles once for all dtypes and layouts
SOFTMAX_BY_HAND_OR_DERIVED = [
    (make_loss(softmax_ce, hessian_kind="exact"), 1e-9),  # Hessian: second-order complex step
    (make_loss(softmax_ce, softmax_ce_gradient, hessian_kind="exact"), 1e-12),  # complex step of g
    (make_loss(softmax_ce, softmax_ce_gradient, softmax_ce_hessian, hessian_kind="exact"), 1e-12),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_margin_form_derived_derivatives_reproduce_softmax_loss(dtype, order):
    raw, y, mask, w = _problem(seed=2)
    raw = np.asarray(raw, dtype=dtype, order=order)
    g_ref, h_ref = SoftmaxLoss(hessian="exact").gradient_hessian(y, raw, sample_weight=w, mask=mask)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for loss, h_tol in SOFTMAX_BY_HAND_OR_DERIVED:
        g, h = loss.gradient_hessian(y, raw, sample_weight=w, mask=mask)
        assert g.dtype == dtype and g.flags.f_contiguous == (order == "F")
        np.testing.assert_allclose(g, g_ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(h, h_ref, rtol=max(tol, h_tol), atol=max(tol, h_tol))
    np.testing.assert_allclose(
        loss.loss(y, raw, sample_weight=w, mask=mask),
        SoftmaxLoss().loss(y, raw, sample_weight=w, mask=mask),
        rtol=1e-12,
        atol=1e-15,  # softmax_ce's own rounding: log(exp(f)) - f on a row with one valid class
    )


def softmax_ce_times_100(f, classes, y):
    """The cross-entropy of margins scaled by 100 (a sharp loss), max-shifted by a real number."""
    g = 100.0 * f
    shift = np.max(np.real(g))
    return np.log(np.sum(np.exp(g - shift))) + shift - g[y]


def test_second_order_complex_step_accuracy_depends_on_the_loss_scale():
    """The documented accuracy of the Hessian from the loss alone (fixed step 1e-3)."""
    rng = np.random.default_rng(7)
    raw, y = rng.normal(size=(2000, 5)), rng.integers(0, 5, 2000)
    for fn, scale, bound in ((softmax_ce, 1.0, 1e-10), (softmax_ce_times_100, 100.0, 1e-6)):
        hess = make_loss(fn, hessian_kind="exact").gradient_hessian(y, raw)[1]
        p = boostobj.masked_softmax(scale * raw)
        exact = scale**2 * p * (1 - p)
        big = exact > 1e-3 * scale**2  # relative error where the entry is not tiny
        assert np.max(np.abs(hess - exact)[big] / exact[big]) < bound


def test_margin_form_reads_the_mask_from_the_margins():
    raw, y, mask, _ = _problem(seed=3)
    offset = raw + mask.margin_offset(np.float64)
    loss = make_loss(softmax_ce, softmax_ce_gradient, softmax_ce_hessian)
    explicit = loss.gradient_hessian(y, raw, mask=mask)
    from_margins = loss.gradient_hessian(y, offset)
    for a, b in zip(explicit, from_margins, strict=True):
        np.testing.assert_array_equal(a, b)
    invalid = ~mask.to_dense()
    assert (explicit[0][invalid] == 0).all() and (explicit[1][invalid] == 1e-16).all()


def test_cost_sensitive_loss_passes_finite_differences():
    raw, y, mask, w = _problem(n=120, seed=4)
    loss = make_loss(expected_cost, hessian_kind="exact", name="expected_cost")
    report = boostobj.check_objective(loss, y, raw, sample_weight=w, mask=mask)
    assert report.ok, str(report)
    assert report.gradient_error < 1e-7 and report.hessian_error < 1e-6
    grad, _ = loss.gradient_hessian(y, raw, mask=mask)
    assert (grad[~mask.to_dense()] == 0).all()


def test_weights_multiply():
    raw, y, mask, w = _problem(seed=5)
    for loss in (
        make_loss(softmax_ce, softmax_ce_gradient, softmax_ce_hessian),
        make_loss(focal_q, of="label_probability"),
    ):
        g1, h1 = loss.gradient_hessian(y, raw, mask=mask)
        g2, h2 = loss.gradient_hessian(y, raw, sample_weight=w, mask=mask)
        np.testing.assert_allclose(g2, g1 * w[:, None], rtol=1e-14, atol=0)
        valid = mask.to_dense() & (h1 > 1e-16) & (w[:, None] * h1 > 1e-16)  # neither floored
        np.testing.assert_allclose(h2[valid], (h1 * w[:, None])[valid], rtol=1e-14)


@pytest.mark.parametrize(
    ("fn", "d1", "d2"),
    [
        (
            lambda x: np.exp(2 * x) - 3 / x,
            lambda x: 2 * np.exp(2 * x) + 3 / x**2,
            lambda x: 4 * np.exp(2 * x) - 6 / x**3,
        ),
        (lambda x: np.log1p(x**3) * np.sqrt(x), None, None),
        (lambda x: np.tanh(x) ** 2.5 + np.expm1(-x), None, None),
        (lambda x: 2.0**x * np.sin(x) / np.cos(x) + np.square(x) - np.reciprocal(x), None, None),
        (lambda x: x**x, lambda x: x**x * (np.log(x) + 1), lambda x: x**x * ((np.log(x) + 1) ** 2 + 1 / x)),
    ],
)
def test_jets_match_closed_forms_and_complex_step(fn, d1, d2):
    x = np.linspace(0.1, 1.3, 25)
    value, first, second = derivatives(fn, x)
    np.testing.assert_allclose(value, fn(x), rtol=1e-14)
    # the complex step gives the first derivative to rounding for any of these analytic functions
    np.testing.assert_allclose(first, fn(x + 1e-20j).imag / 1e-20, rtol=1e-12)
    if d1 is not None:
        np.testing.assert_allclose(first, d1(x), rtol=1e-12)
        np.testing.assert_allclose(second, d2(x), rtol=1e-12)
    # the second derivative is the (exact) first derivative of the first: complex step of the jet's d1
    h = 1e-20
    np.testing.assert_allclose(second, (_jet_d1(fn, x + 1j * h)).imag / h, rtol=1e-10)


def _jet_d1(fn, z):
    """The jets' first derivative evaluated at complex points (the jets are plain NumPy)."""
    from boostobj._jets import Jet

    return fn(Jet(z.astype(np.complex128), np.ones_like(z), np.zeros_like(z))).d1


@pytest.mark.parametrize(
    "loss",
    [
        make_loss(focal_q, of="label_probability"),
        make_loss(softmax_ce),  # both derivatives by the complex step
        # its exact diagonal can be <= 0: a floor keeps Newton steps finite (make_loss docstring)
        make_loss(expected_cost, hessian_floor=0.05),
    ],
)
def test_custom_losses_train_through_both_backends(loss):
    X, y, mask = boostobj.datasets.make_transition_data(1500, 5, 3, 6, random_state=3)
    start = loss.loss(y, mask.margin_offset(np.float64), mask=mask).mean()
    bst = xgb.train(
        {"num_class": 5, "nthread": 2, "max_depth": 3, "base_score": 0.5},
        boostobj.xgboost_dmatrix(X, y, mask=mask),
        15,
        obj=boostobj.xgboost_objective(loss),
    )
    assert loss.loss(y, boostobj.predict_margin(bst, X, mask=mask), mask=mask).mean() < 0.8 * start
    model = lgb.train(
        {"num_class": 5, "objective": boostobj.lightgbm_objective(loss), "verbose": -1, "num_threads": 2},
        boostobj.lightgbm_dataset(X, y, mask=mask),
        15,
    )
    assert loss.loss(y, boostobj.predict_margin(model, X, mask=mask), mask=mask).mean() < 0.8 * start


def test_custom_loss_in_an_estimator_pickles_to_a_fresh_process(tmp_path):
    X, y, mask = boostobj.datasets.make_transition_data(600, 4, 2, 5, random_state=5)
    loss = make_loss(softmax_ce, softmax_ce_gradient, softmax_ce_hessian)
    clf = boostobj.MaskedLGBMClassifier(loss=loss, n_estimators=5).fit(X, y, valid_mask=mask)
    proba = clf.predict_proba(X, valid_mask=mask)
    assert (proba[~mask.to_dense()] == 0).all()
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((clf, X, mask, proba)))
    script = (
        "import pickle, sys, numpy as np; clf, X, mask, proba = pickle.load(open(sys.argv[1], 'rb')); "
        "np.testing.assert_array_equal(clf.predict_proba(X, valid_mask=mask), proba); "
        "g = clf.loss.gradient_hessian(np.zeros(3, int), np.zeros((3, 4)))[0]; assert g.shape == (3, 4)"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, cwd=str(_repo_root()))


def test_jets_absolute_value():
    value, first, second = derivatives(lambda x: abs(x) * 3, np.array([-2.0, 1.5]))
    np.testing.assert_array_equal(value, [6.0, 4.5])
    np.testing.assert_array_equal(first, [-3.0, 3.0])
    np.testing.assert_array_equal(second, [0.0, 0.0])


def _repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]


def test_params_clone_and_repr():
    from sklearn.base import clone

    loss = make_loss(focal_q, of="label_probability", name="focal2")
    assert loss.get_params()["loss"] is focal_q and loss.get_params()["of"] == "label_probability"
    assert clone(loss) == loss
    assert repr(loss).startswith("CustomLoss(loss=<function focal_q")
    assert loss.name == "focal2"
    assert loss.set_params(hessian_kind="exact").hessian_kind == "exact"


# Bad input ---------------------------------------------------------------------------------


def _wrong_length(f, classes, y):
    return np.zeros(f.shape[0] + (f.shape[0] == 3))  # wrong on rows with three valid classes


def _nan_in_row_two(f, classes, y):
    g = np.zeros(f.shape[0])
    if f[0] == 7.0:
        g[0] = np.nan
    return g


def _hinge(f, classes, y):
    total = 0.0 * f[0]
    for t in range(f.shape[0]):
        total += max(0.0, 1.0 + f[t] - f[y]) ** 2
    return total


def _class_indexed(f, classes, y):
    return np.log(np.sum(np.exp(f))) - f[classes[y] + 5]


def _domain_error(f, classes, y):
    return np.log(f[y] - 7.0)  # NaN at real margins < 7; its complex continuation is finite


def _nan_loss(f, classes, y):
    return np.log(f[y] - 7.0)


def _uncompilable(f, classes, y):
    return f.no_such_attribute


_LP = {"of": "label_probability"}
MISBEHAVING = [
    (
        make_loss(softmax_ce, _wrong_length),
        ValueError,
        r"gradient: returned shape \(4,\) for row 0; expected \(3,\)",
    ),
    (
        make_loss(softmax_ce, softmax_ce_gradient, _wrong_length),
        ValueError,
        r"hessian: returned shape \(4,\)",
    ),
    (
        make_loss(softmax_ce, _nan_in_row_two, softmax_ce_hessian),
        ValueError,
        r"gradient: returned non-finite values \[nan, 0.0, 0.0\] for row 2",
    ),
    (
        make_loss(softmax_ce, softmax_ce_gradient, _nan_in_row_two),
        ValueError,
        "hessian: .* non-finite .* row 2",
    ),
    (
        make_loss(softmax_ce, _uncompilable, softmax_ce_hessian),
        TypeError,
        "gradient: numba could not compile it",
    ),
    # the derived gradient runs the loss at complex margins, where max(0, .) does not compile
    (
        make_loss(_hinge),
        TypeError,
        "gradient: numba could not compile .* evaluates `loss` at complex margins",
    ),
    # f indexed with a class index instead of the label's position: bounds-checked
    (make_loss(_class_indexed), IndexError, "index it with the position `y`, not with a class index"),
    (make_loss(_domain_error), ValueError, r"loss: returned a non-finite value for row 0"),
    (make_loss(lambda q: np.where(q > 0.5, q, 0), **_LP), TypeError, "a branch on the value"),
    (make_loss(lambda q: np.maximum(q, 0.5), **_LP), TypeError, r"np.maximum is not supported"),
    (make_loss(lambda q: np.log(q - 0.5), **_LP), ValueError, r"loss: returned nan for row \d+ \(q = 0.33"),
    (
        make_loss(focal_q, lambda q: q[:2], **_LP),
        ValueError,
        r"gradient: returned shape \(2,\); expected \(3,\)",
    ),
]


@pytest.mark.parametrize(("loss", "error", "match"), MISBEHAVING)
def test_user_functions_that_misbehave_are_named_with_their_row(loss, error, match):
    raw = np.zeros((3, 3))
    raw[2, 0] = 7.0
    with pytest.raises(error, match=match):
        loss.gradient_hessian(np.zeros(3, dtype=int), raw)


def test_float32_overflow_is_an_error_naming_the_row():
    raw = np.zeros((3, 3), dtype=np.float32)
    raw[1, 0] = -200.0  # q = e^-200: 1 / q overflows float32
    inverse = make_loss(lambda q: 1 / q - 1, of="label_probability")
    with pytest.raises(ValueError, match=r"gradient: row 1 gives a non-finite weighted gradient in float32"):
        inverse.gradient_hessian(np.zeros(3, dtype=int), raw)
    assert np.isfinite(inverse.gradient_hessian(np.zeros(3, dtype=int), raw.astype(np.float64))[0]).all()
    raw = np.zeros((3, 3), dtype=np.float32)
    raw[2] = 17.0
    steep = make_loss(_steep, hessian_kind="exact")
    with pytest.raises(ValueError, match="the weighted values of row 2 overflow the output dtype float32"):
        steep.gradient_hessian(np.zeros(3, dtype=int), raw)


def _steep(f, classes, y):
    return np.exp(f[y] ** 2)


def test_positive_kind_takes_the_absolute_diagonal():
    raw, y, mask, w = _problem(n=200, seed=6)
    exact = make_loss(expected_cost, hessian_kind="exact").gradient_hessian(
        y, raw, sample_weight=w, mask=mask
    )[1]
    positive = make_loss(expected_cost, hessian_floor=1e-3).gradient_hessian(
        y, raw, sample_weight=w, mask=mask
    )[1]
    valid = mask.to_dense()
    assert (exact[valid] < 0).any()  # not convex: the case the positive kind exists for
    np.testing.assert_allclose(positive[valid], np.maximum(np.abs(exact[valid]), 1e-3), rtol=1e-12)
    assert (positive[~valid] == 1e-3).all()


def test_threaded_batches_report_the_first_bad_row():
    raw = np.zeros((70_000, 4))  # 280,000 entries: split across threads
    raw[30_000, 0] = raw[50_000, 0] = 7.0  # one bad row in each thread's chunk
    loss = make_loss(softmax_ce, _nan_in_row_two, softmax_ce_hessian)
    with boostobj_threads(2):
        with pytest.raises(ValueError, match="gradient: returned non-finite values .* for row 30000"):
            loss.gradient_hessian(np.zeros(70_000, dtype=int), raw)
        g = make_loss(softmax_ce, softmax_ce_gradient, softmax_ce_hessian).gradient_hessian(
            np.zeros(70_000, dtype=int), raw
        )[0]
    np.testing.assert_allclose(
        g, SoftmaxLoss().gradient_hessian(np.zeros(70_000, dtype=int), raw)[0], rtol=1e-13
    )


class boostobj_threads:  # noqa: N801 - a context manager used like a function
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.before = boostobj.get_num_threads()
        boostobj.set_num_threads(self.n)

    def __exit__(self, *exc):
        boostobj.set_num_threads(self.before)


def test_jets_refuse_equality_and_attributes():
    for fn in (lambda q: (q == 1) * 2 + q, lambda q: q.sum()):
        with pytest.raises(TypeError, match="loss: "):
            derivatives(fn, np.array([0.5]))


def test_compiled_functions_are_reused_across_instances():
    from sklearn.base import clone

    first = make_loss(softmax_ce, softmax_ce_gradient, softmax_ce_hessian)
    first.gradient_hessian([0], np.zeros((1, 3)))
    assert clone(first)._margin_functions() is first._margin_functions()
    assert pickle.loads(pickle.dumps(first))._margin_functions() is first._margin_functions()


def test_nonfinite_loss_value_names_the_row():
    raw = np.full((3, 3), 8.0)
    raw[2] = 7.0
    with pytest.raises(
        ValueError, match=r"loss: returned a non-finite value for row 2 \(margins \[7.0, 7.0, 7.0\]"
    ):
        make_loss(_nan_loss).loss(np.zeros(3, dtype=int), raw)


def test_derived_derivative_of_a_real_only_function_says_to_pass_it():
    def real_only(f, classes, y):
        return math.exp(f[y])  # math.exp takes real numbers only

    with pytest.raises(
        TypeError, match="gradient: numba could not compile .* evaluates `loss` at complex margins"
    ):
        make_loss(real_only).gradient_hessian(np.zeros(2, dtype=int), np.zeros((2, 3)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loss": 3}, TypeError, "loss: expected a function; got int"),
        ({"loss": softmax_ce, "gradient": "g"}, TypeError, "gradient: expected a function; got str"),
        ({"loss": softmax_ce, "of": "probabilities"}, ValueError, "of: expected one of"),
        ({"loss": softmax_ce, "hessian_kind": "gauss"}, ValueError, "hessian_kind: expected one of"),
        ({"loss": softmax_ce, "hessian_floor": -1.0}, ValueError, "hessian_floor"),
        ({"loss": softmax_ce, "class_weight": [1.0, -1.0]}, ValueError, "class_weight"),
        ({"loss": softmax_ce, "name": ""}, TypeError, "name: expected a non-empty string"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_loss(**kwargs)


def test_invalid_label_and_bad_margins_are_caught_before_the_user_function():
    mask = ClassMask.from_lists([[0, 1], [1, 2]], n_classes=3)
    for loss in (make_loss(softmax_ce), make_loss(focal_q, of="label_probability")):
        with pytest.raises(ValueError, match="the label 0 of row 1 is not one of its valid classes"):
            loss.gradient_hessian([0, 0], np.zeros((2, 3)), mask=mask)
        with pytest.raises(ValueError, match="row 1 has a NaN or infinite margin"):
            loss.gradient_hessian([0, 1], np.array([[0.0, 0.0, 0.0], [0.0, np.nan, 0.0]]), mask=mask)


def _gradient_that_scribbles(f, classes, y):
    g = np.exp(f) / np.sum(np.exp(f))
    g[y] -= 1.0
    f[:] = 0.0  # writes into its arguments: must not reach the next call or the scatter
    classes[:] = 0
    return g


def test_row_functions_that_write_into_their_arguments_change_nothing():
    raw, y, mask, _ = _problem(n=50, seed=8)
    g, h = make_loss(
        softmax_ce, _gradient_that_scribbles, softmax_ce_hessian, hessian_kind="exact"
    ).gradient_hessian(y, raw, mask=mask)
    g_ref, h_ref = SoftmaxLoss(hessian="exact").gradient_hessian(y, raw, mask=mask)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-15)


# Functions the user compiled with numba.njit: compiled again from their source, bounds-checked -----


softmax_ce_jitted = numba.njit(softmax_ce)
softmax_ce_gradient_jitted = numba.njit(softmax_ce_gradient)


def _ce_class_indexed(f, classes, y):  # the label's class index where its position in f belongs
    shift = np.max(np.real(f))
    return np.log(np.sum(np.exp(f - shift))) - (f[classes[y]] - shift)


def _gradient_class_indexed(f, classes, y):
    p = np.exp(f) / np.sum(np.exp(f))
    p[classes[y]] -= 1.0
    return p


def _hessian_class_indexed(f, classes, y):
    p = np.exp(f) / np.sum(np.exp(f))
    return p * (1.0 - p) + 0.0 * f[classes[y]]


@numba.njit
def _label_margin_class_indexed(f, classes, y):
    return f[classes[y]]


def _ce_with_a_jitted_helper(f, classes, y):
    return np.log(np.sum(np.exp(f))) - _label_margin_class_indexed(f, classes, y)


_ce_with_a_jitted_helper_jitted = numba.njit(_ce_with_a_jitted_helper)


def _ce_with_a_jitted_helper_in_its_closure():
    helper = _label_margin_class_indexed

    def ce(f, classes, y):
        return np.log(np.sum(np.exp(f))) - helper(f, classes, y)

    return ce


@pytest.mark.parametrize(
    "functions",
    [
        pytest.param((numba.njit(_ce_class_indexed),), id="loss"),
        pytest.param(
            (numba.njit(fastmath=True, error_model="python")(_ce_class_indexed),), id="loss-options"
        ),
        pytest.param((softmax_ce_jitted, numba.njit(_gradient_class_indexed)), id="gradient"),
        pytest.param(
            (softmax_ce_jitted, softmax_ce_gradient_jitted, numba.njit(_hessian_class_indexed)), id="hessian"
        ),
        pytest.param((_ce_with_a_jitted_helper_jitted,), id="jitted-helper-of-jitted-loss"),
        pytest.param((_ce_with_a_jitted_helper,), id="jitted-helper-of-plain-loss"),
        pytest.param((numba.njit(_ce_with_a_jitted_helper_in_its_closure()),), id="jitted-helper-in-closure"),
    ],
)
def test_functions_compiled_by_the_user_are_bounds_checked(functions):
    """A bad index in a function the user compiled with numba.njit (or in a numba function it
    calls) is the IndexError a plain function gets, not a read past the row."""
    mask = ClassMask.from_lists([[2, 4], [1, 3]], n_classes=5)  # classes[y] is past the row's end
    loss = make_loss(*functions)
    message = "index it with the position `y`, not with a class index"
    with pytest.raises(IndexError, match=message):
        loss.gradient_hessian([4, 3], np.zeros((2, 5)), mask=mask)
    if functions[0] is not softmax_ce_jitted:
        with pytest.raises(IndexError, match=message):
            loss.loss([4, 3], np.zeros((2, 5)), mask=mask)


def test_functions_compiled_by_the_user_give_the_plain_functions_values():
    raw, y, mask, w = _problem(n=60, seed=9)
    # compiled for real margins only: recompiled, it takes the complex step's complex margins too
    by_signature = numba.njit("float64(float64[:], int64[:], int64)")(softmax_ce)
    for functions in ((softmax_ce_jitted, softmax_ce_gradient_jitted), (by_signature,)):
        g, h = make_loss(*functions, hessian_kind="exact").gradient_hessian(
            y, raw, sample_weight=w, mask=mask
        )
        g_ref, h_ref = SoftmaxLoss(hessian="exact").gradient_hessian(y, raw, sample_weight=w, mask=mask)
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(h, h_ref, rtol=1e-8, atol=1e-15)
    # the label-probability form: derived from the Python source (numba cannot take the jets)
    for kind in ("positive", "exact"):
        jitted = make_loss(numba.njit(focal_q), of="label_probability", hessian_kind=kind)
        plain = make_loss(focal_q, of="label_probability", hessian_kind=kind)
        np.testing.assert_array_equal(
            np.stack(jitted.gradient_hessian(y, raw, mask=mask)),
            np.stack(plain.gradient_hessian(y, raw, mask=mask)),
        )
        np.testing.assert_array_equal(jitted.loss(y, raw, mask=mask), plain.loss(y, raw, mask=mask))


@numba.njit
def _next_row_gradient(q):  # reads q[n] for the last row
    out = np.empty(q.shape[0])
    for i in range(q.shape[0]):
        out[i] = -1.0 / q[i + 1]
    return out


def _calls_next_row_gradient(q):
    return _next_row_gradient(q)


@pytest.mark.parametrize("gradient", [_next_row_gradient, _calls_next_row_gradient])
def test_label_probability_functions_compiled_by_the_user_are_bounds_checked(gradient):
    loss = make_loss(focal_q, gradient, of="label_probability")
    with pytest.raises(IndexError, match=r"gradient: an index out of range .* `q` holds .* shape \(3,\)"):
        loss.gradient_hessian(np.zeros(3, dtype=int), np.zeros((3, 3)))


def test_losses_of_jitted_functions_keep_them_and_pickle_to_a_fresh_process(tmp_path):
    from sklearn.base import clone

    good = make_loss(softmax_ce_jitted, softmax_ce_gradient_jitted)
    bad = make_loss(_ce_with_a_jitted_helper_jitted)
    assert good.get_params()["loss"] is softmax_ce_jitted and good.get_params()["gradient"] is (
        softmax_ce_gradient_jitted
    )
    assert clone(bad).loss_function is _ce_with_a_jitted_helper_jitted and clone(good) == good
    assert pickle.loads(pickle.dumps(bad)).loss_function is _ce_with_a_jitted_helper_jitted
    path = tmp_path / "losses.pkl"
    path.write_bytes(pickle.dumps((good, bad)))
    script = (
        "import pickle, sys, numpy as np, boostobj; good, bad = pickle.load(open(sys.argv[1], 'rb')); "
        "raw = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 0.0]]); "
        "np.testing.assert_allclose(good.gradient_hessian([0, 2], raw)[0], "
        "boostobj.SoftmaxLoss().gradient_hessian([0, 2], raw)[0], rtol=1e-12); "
        "mask = boostobj.ClassMask.from_lists([[2, 4], [1, 3]], n_classes=5)\n"
        "try:\n    bad.gradient_hessian([4, 3], np.zeros((2, 5)), mask=mask)\n"
        "except IndexError:\n    pass\nelse:\n    sys.exit('an index out of range went unchecked')"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, cwd=str(_repo_root()))
