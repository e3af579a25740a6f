"""GroupedSoftmaxLoss (issue 13, part 1): an independent softmax per group of columns.

Oracles: the slow references of ``reference.py`` (one row and one group at a time), an
independent ``SoftmaxLoss`` per group on the group's labelled rows, central finite
differences, scikit-learn's balanced class weights, and, through the backends, models
trained by a plain closure objective that holds the labels itself (so the data sets' label
codes, masks and folds are what is under test).
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.utils.class_weight import compute_class_weight

import boostobj
from boostobj import ClassMask, SoftmaxLoss
from boostobj.grouped import MAX_CODES, GroupedSoftmaxLoss
from boostobj.losses import HESSIAN_CONVENTIONS

from . import reference as ref

IGNORE = -1
CONVENTIONS = tuple(HESSIAN_CONVENTIONS)
BIG = 1e4
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hostile_margins = st.one_of(st.floats(-BIG, BIG), st.sampled_from([-BIG, BIG, 0.0, -0.0]))


def scale_floor(convention: str, sizes) -> tuple[np.ndarray, float]:
    """The documented Hessian factor per group and floor of each convention."""
    sizes = np.asarray(sizes, dtype=np.float64)
    if convention == "lightgbm":  # K_g / (K_g - 1) with the group's own size (p = 1 when K_g = 1)
        return sizes / np.maximum(sizes - 1.0, 1.0), 0.0
    return np.full(sizes.size, 2.0 if convention == "xgboost" else 1.0), 1e-16


def assert_loss_close(actual, desired, weight):
    """log-sum-exp is accurate to a few ulps of its argument (~1): an absolute bound for tiny
    losses (the bound of test_kernels.py), relative 1e-12 otherwise."""
    bound = 1e-12 * np.abs(desired) + 4e-16 * (1 + weight)
    assert np.all(np.abs(actual - desired) <= bound), np.max(np.abs(actual - desired) - bound)


@dataclass
class Problem:
    sizes: list
    ptr: np.ndarray
    valid: np.ndarray  # (n, K) bool, every row with a valid class (a ClassMask needs one)
    raw: np.ndarray  # (n, K) float64
    labels: np.ndarray  # (n, G) positions within the groups, IGNORE where ignored
    columns: np.ndarray  # (n, G) global columns, -1 where ignored (the reference's form)
    weight: np.ndarray  # (n,)

    @property
    def ignored(self) -> np.ndarray:
        return self.columns < 0

    @property
    def inert(self) -> np.ndarray:
        """(n, K): entries that must get grad 0 and hess = floor (invalid, or in an ignored group)."""
        return ~self.valid | np.repeat(self.ignored, self.sizes, axis=1)

    def weight2d(self, class_weight=None) -> np.ndarray:
        w = np.repeat(self.weight[:, None], len(self.sizes), axis=1)
        if class_weight is not None:
            w = w * np.where(self.ignored, 1.0, np.asarray(class_weight)[np.maximum(self.columns, 0)])
        return w


@st.composite
def grouped_problems(draw, max_rows=8, max_groups=4, max_size=5, elements=hostile_margins, min_size=1):
    """Random groups (sizes 1..5), ragged valid classes, labels valid in their group (or ignored;
    an ignored group may have no valid class at all), hostile margins, weights in [0, 10]."""
    sizes = draw(st.lists(st.integers(min_size, max_size), min_size=1, max_size=max_groups))
    if sum(sizes) < 2:  # margins need two columns
        sizes = [*sizes, draw(st.integers(1, max_size))]
    ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    k, g = int(ptr[-1]), len(sizes)
    n = draw(st.integers(1, max_rows))
    valid = draw(hnp.arrays(bool, (n, k)))
    ignored = draw(hnp.arrays(bool, (n, g)))
    pos = draw(hnp.arrays(np.int64, (n, g), elements=st.integers(0, max_size - 1))) % np.array(sizes)
    columns = pos + ptr[:-1]
    rows, groups = np.nonzero(~ignored)
    valid[rows, columns[rows, groups]] = True
    valid[~valid.any(axis=1), 0] = True
    raw = draw(hnp.arrays(np.float64, (n, k), elements=elements))
    weight = draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 10.0)))
    return Problem(
        sizes, ptr, valid, raw, np.where(ignored, IGNORE, pos), np.where(ignored, -1, columns), weight
    )


def with_layout(problem: Problem, dtype, order, from_margin):
    """(raw in dtype/order, mask): the mask explicit, or carried by the -1e30 offset."""
    raw = np.asarray(problem.raw, dtype=dtype, order=order)
    mask = ClassMask.from_dense(problem.valid)
    if from_margin:
        return np.asarray(raw + mask.margin_offset(dtype), dtype=dtype, order=order), None
    return raw, mask


# ----------------------------------------------------------------------------- the kernel
@SETTINGS
@given(
    problem=grouped_problems(),
    dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from("CF"),
    from_margin=st.booleans(),
)
def test_matches_the_reference_in_every_convention(problem, dtype, order, from_margin):
    raw, mask = with_layout(problem, dtype, order, from_margin)
    exact = np.asarray(problem.raw, dtype=dtype).astype(np.float64)  # what the kernel reads, exactly
    w2 = problem.weight2d()
    tol = 1e-13 if dtype == np.float64 else 1e-6  # float32 outputs: one rounding of a float64 value
    for convention in CONVENTIONS:
        loss = GroupedSoftmaxLoss(problem.sizes, hessian=convention, ignore_index=IGNORE)
        grad, hess = loss.gradient_hessian(problem.labels, raw, sample_weight=problem.weight, mask=mask)
        assert grad.dtype == hess.dtype == dtype
        assert (
            (grad.flags.f_contiguous and hess.flags.f_contiguous) if order == "F" else grad.flags.c_contiguous
        )
        scale, floor = scale_floor(convention, problem.sizes)
        g_ref, h_ref = ref.grouped_softmax_grad_hess(
            problem.columns, exact, problem.valid, w2, problem.ptr, scale, floor
        )
        atol = tol * max(1.0, problem.weight.max())
        np.testing.assert_allclose(grad, g_ref, rtol=tol, atol=atol)
        np.testing.assert_allclose(hess, h_ref, rtol=tol, atol=atol)
        assert (grad[problem.inert] == 0).all()
        assert (hess[problem.inert] == np.asarray(floor, dtype)).all()
    per_group = loss.loss_per_group(problem.labels, raw, sample_weight=problem.weight, mask=mask)
    assert per_group.shape == (len(problem.weight), len(problem.sizes)) and per_group.dtype == np.float64
    assert_loss_close(
        per_group, ref.grouped_softmax_loss(problem.columns, exact, problem.valid, w2, problem.ptr), w2
    )
    assert (per_group[problem.ignored] == 0).all()
    np.testing.assert_array_equal(
        loss.loss(problem.labels, raw, sample_weight=problem.weight, mask=mask), per_group.sum(axis=1)
    )


@SETTINGS
@given(problem=grouped_problems(), from_margin=st.booleans())
def test_equals_an_independent_softmax_loss_per_group(problem, from_margin):
    """Group g of the grouped loss is SoftmaxLoss on columns C_g of the rows labelled in g, with
    the row masks restricted to C_g; the lightgbm convention is SoftmaxLoss's with K = K_g."""
    raw, mask = with_layout(problem, np.float64, "C", from_margin)
    w = problem.weight
    for convention in CONVENTIONS:
        loss = GroupedSoftmaxLoss(problem.sizes, hessian=convention, ignore_index=IGNORE)
        grad, hess = loss.gradient_hessian(problem.labels, raw, sample_weight=w, mask=mask)
        per_group = loss.loss_per_group(problem.labels, raw, sample_weight=w, mask=mask)
        floor = HESSIAN_CONVENTIONS[convention][1]
        for g, (lo, hi) in enumerate(zip(problem.ptr[:-1], problem.ptr[1:], strict=True)):
            rows = np.flatnonzero(~problem.ignored[:, g])
            assert (grad[problem.ignored[:, g], lo:hi] == 0).all()
            if rows.size == 0:
                continue
            if hi - lo == 1:  # one class: p = 1, nothing to learn
                assert (grad[rows, lo] == 0).all() and (hess[rows, lo] == floor).all()
                assert (per_group[rows, g] == 0).all()
                continue
            sub = ClassMask.from_dense(problem.valid[rows, lo:hi])
            one = SoftmaxLoss(hessian=convention)
            g_one, h_one = one.gradient_hessian(
                problem.labels[rows, g], problem.raw[rows, lo:hi], sample_weight=w[rows], mask=sub
            )
            # the same arithmetic up to FMA contraction: a few ulps of values <= w
            atol = 1e-15 * (1 + w[rows, None])
            assert np.all(np.abs(grad[rows, lo:hi] - g_one) <= atol)
            assert np.all(np.abs(hess[rows, lo:hi] - h_one) <= atol)
            l_one = one.loss(
                problem.labels[rows, g], problem.raw[rows, lo:hi], sample_weight=w[rows], mask=sub
            )
            assert_loss_close(per_group[rows, g], l_one, w[rows])


def _fd_gradient(loss_fn, raw, eps=1e-5):
    """Central differences of per-row losses, one column at a time: (n, K)."""
    grad = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = eps
        grad[:, j] = (loss_fn(raw + step) - loss_fn(raw - step)) / (2 * eps)
    return grad


@settings(max_examples=20, deadline=None)
@given(problem=grouped_problems(elements=st.floats(-6.0, 6.0)))
def test_gradient_and_exact_hessian_match_finite_differences(problem):
    mask = ClassMask.from_dense(problem.valid)
    w = problem.weight
    loss = GroupedSoftmaxLoss(problem.sizes, hessian="exact", hessian_floor=0.0, ignore_index=IGNORE)
    grad, hess = loss.gradient_hessian(problem.labels, problem.raw, sample_weight=w, mask=mask)
    fd_grad = _fd_gradient(lambda r: loss.loss(problem.labels, r, sample_weight=w, mask=mask), problem.raw)
    # float64 central differences, eps 1e-5: truncation ~eps^2 |f'''| ~ 1e-10 w, rounding ~1e-16 |loss| / eps
    np.testing.assert_allclose(grad, fd_grad, rtol=0, atol=1e-7 * (1 + w.max()))
    fd_hess = np.empty_like(problem.raw)
    for j in range(problem.raw.shape[1]):
        step = np.zeros_like(problem.raw)
        step[:, j] = 1e-5
        plus = loss.gradient_hessian(problem.labels, problem.raw + step, sample_weight=w, mask=mask)[0][:, j]
        minus = loss.gradient_hessian(problem.labels, problem.raw - step, sample_weight=w, mask=mask)[0][:, j]
        fd_hess[:, j] = (plus - minus) / 2e-5
    np.testing.assert_allclose(hess, fd_hess, rtol=0, atol=1e-7 * (1 + w.max()))


@SETTINGS
@given(
    problem=grouped_problems(elements=st.floats(-30.0, 30.0)),
    data=st.data(),
    from_margin=st.booleans(),
)
def test_adding_a_constant_to_one_groups_margins_changes_nothing(problem, data, from_margin):
    """Per group: each (row, group) gets its own shift, so a softmax over the whole row fails this."""
    n, g = problem.labels.shape
    shifts = data.draw(hnp.arrays(np.float64, (n, g), elements=st.floats(-1e3, 1e3)))
    raw, mask = with_layout(problem, np.float64, "C", from_margin)
    moved = raw + np.repeat(shifts, problem.sizes, axis=1)  # -1e30 + 1e3 stays invalid
    loss = GroupedSoftmaxLoss(problem.sizes, hessian="exact", ignore_index=IGNORE)
    w = problem.weight
    before = loss.gradient_hessian(problem.labels, raw, sample_weight=w, mask=mask)
    after = loss.gradient_hessian(problem.labels, moved, sample_weight=w, mask=mask)
    # shifts up to 1e3 round the margins by ~1e3 * 1e-16: p moves by ~1e-13 relative
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-11 * (1 + w.max()))
    np.testing.assert_allclose(
        loss.loss_per_group(problem.labels, moved, sample_weight=w, mask=mask),
        loss.loss_per_group(problem.labels, raw, sample_weight=w, mask=mask),
        rtol=0,
        atol=1e-11 * (1 + w.max()),
    )


def test_a_softmax_over_the_whole_row_is_not_what_the_loss_computes():
    """The shift test above can fail: with one shift for the whole row it could not tell a
    single softmax from G of them; check the grouped loss really differs from one softmax."""
    raw = np.array([[0.0, 1.0, 2.0, 3.0, -1.0]])
    grad, _ = GroupedSoftmaxLoss([3, 2], hessian="exact").gradient_hessian(np.array([[0, 1]]), raw)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)  # each group sums to 0
    np.testing.assert_allclose(grad[0, :3].sum(), 0.0, atol=1e-15)
    p = ref.softmax(raw[:, :3], np.ones((1, 3), bool))[0]
    np.testing.assert_allclose(grad[0, :3], p - [1, 0, 0], rtol=1e-14)


@SETTINGS
@given(problem=grouped_problems(), data=st.data())
def test_weights_are_linear(problem, data):
    """Doubling every weight doubles grad, hess and loss exactly (a power of 2); doubling one row's
    weight changes that row only."""
    mask = ClassMask.from_dense(problem.valid)
    loss = GroupedSoftmaxLoss(problem.sizes, hessian="exact", hessian_floor=0.0, ignore_index=IGNORE)
    w = problem.weight

    def run(weight):
        g, h = loss.gradient_hessian(problem.labels, problem.raw, sample_weight=weight, mask=mask)
        return g, h, loss.loss_per_group(problem.labels, problem.raw, sample_weight=weight, mask=mask)

    # times 2 is exact in binary floating point, except for products that underflow to subnormals
    tiny = 1e-300
    base = run(w)
    for a, b in zip(run(2 * w), base, strict=True):
        np.testing.assert_allclose(a, 2 * b, rtol=0, atol=tiny)
    row = data.draw(st.integers(0, w.size - 1))
    one = w.copy()
    one[row] *= 2
    for a, b in zip(run(one), base, strict=True):
        np.testing.assert_allclose(a[row], 2 * b[row], rtol=0, atol=tiny)
        np.testing.assert_array_equal(np.delete(a, row, axis=0), np.delete(b, row, axis=0))
    unweighted = run(None)
    for a, b in zip(run(np.ones(w.size)), unweighted, strict=True):
        np.testing.assert_array_equal(a, b)


@SETTINGS
@given(problem=grouped_problems(), data=st.data())
def test_class_weights_multiply_the_weight_of_each_groups_label(problem, data):
    k = int(problem.ptr[-1])
    cw = data.draw(hnp.arrays(np.float64, k, elements=st.floats(0.0, 5.0)))
    loss = GroupedSoftmaxLoss(problem.sizes, hessian="xgboost", class_weight=cw, ignore_index=IGNORE)
    mask = ClassMask.from_dense(problem.valid)
    grad, hess = loss.gradient_hessian(problem.labels, problem.raw, sample_weight=problem.weight, mask=mask)
    w2 = problem.weight2d(cw)
    scale, floor = scale_floor("xgboost", problem.sizes)
    g_ref, h_ref = ref.grouped_softmax_grad_hess(
        problem.columns, problem.raw, problem.valid, w2, problem.ptr, scale, floor
    )
    atol = 1e-13 * max(1.0, w2.max())
    np.testing.assert_allclose(grad, g_ref, rtol=1e-13, atol=atol)
    np.testing.assert_allclose(hess, h_ref, rtol=1e-13, atol=atol)
    assert_loss_close(
        loss.loss_per_group(problem.labels, problem.raw, sample_weight=problem.weight, mask=mask),
        ref.grouped_softmax_loss(problem.columns, problem.raw, problem.valid, w2, problem.ptr),
        w2,
    )


def _random_labels(rng, n, sizes, ignore_fraction=0.2):
    labels = np.stack([rng.integers(0, s, n) for s in sizes], axis=1)
    return np.where(rng.random(labels.shape) < ignore_fraction, IGNORE, labels)


def test_balanced_class_weights_are_scikit_learns_within_each_group():
    rng = np.random.default_rng(0)
    sizes, n = [3, 4, 2], 200
    ptr = np.r_[0, np.cumsum(sizes)]
    labels = _random_labels(rng, n, sizes)
    labels[labels[:, 1] == 3, 1] = 2  # a class absent from group 1: weight 1, never used
    raw = rng.normal(size=(n, ptr[-1]))
    loss = GroupedSoftmaxLoss(sizes, hessian="exact", class_weight="balanced", ignore_index=IGNORE)
    cw = np.ones(ptr[-1])
    for g in range(3):
        seen = labels[labels[:, g] != IGNORE, g]
        classes = np.unique(seen)
        cw[ptr[g] + classes] = compute_class_weight("balanced", classes=classes, y=seen)
    plain = GroupedSoftmaxLoss(sizes, hessian="exact", class_weight=cw, ignore_index=IGNORE)
    for a, b in zip(loss.gradient_hessian(labels, raw), plain.gradient_hessian(labels, raw), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(
        loss.loss_per_group(labels, raw), plain.loss_per_group(labels, raw), rtol=1e-14
    )
    # with sample weights: SoftmaxLoss's "balanced" on each group's labelled rows
    sw = rng.uniform(0.0, 3.0, n)
    per_group = loss.loss_per_group(labels, raw, sample_weight=sw)
    for g in range(3):
        rows = np.flatnonzero(labels[:, g] != IGNORE)
        one = SoftmaxLoss(class_weight="balanced").loss(
            labels[rows, g], raw[rows, ptr[g] : ptr[g + 1]], sample_weight=sw[rows]
        )
        np.testing.assert_allclose(per_group[rows, g], one, rtol=1e-13)
    # a row with every group ignored changes no other row's balanced weights, whatever its weight
    more = np.vstack([labels, np.full((1, 3), IGNORE)])
    grown = loss.loss_per_group(more, np.vstack([raw, raw[:1]]), sample_weight=np.r_[sw, 1e6])
    np.testing.assert_array_equal(grown[:-1], per_group)
    assert (grown[-1] == 0).all()


# ----------------------------------------------------------------------------- masks and ignore_index
def _ragged_case(rng, n=300, sizes=(4, 3, 2)):
    """Rows past one block of 256, ragged valid classes per group, some groups ignored."""
    sizes = list(sizes)
    ptr = np.r_[0, np.cumsum(sizes)]
    valid = rng.random((n, ptr[-1])) < 0.6
    labels = _random_labels(rng, n, sizes)
    for g in range(len(sizes)):
        rows = np.flatnonzero(labels[:, g] != IGNORE)
        valid[rows, ptr[g] + labels[rows, g]] = True
    valid[~valid.any(axis=1), 0] = True
    return sizes, ClassMask.from_dense(valid), labels, rng.normal(scale=3.0, size=(n, ptr[-1]))


@pytest.mark.parametrize(("dtype", "order"), [(np.float32, "C"), (np.float64, "F")])
def test_mask_from_a_classmask_or_from_the_margin_offset_gives_identical_results(dtype, order):
    sizes, mask, labels, raw = _ragged_case(np.random.default_rng(1))
    raw = np.asarray(raw, dtype=dtype, order=order)
    offset = np.asarray(raw + mask.margin_offset(dtype), dtype=dtype, order=order)
    loss = GroupedSoftmaxLoss(sizes, hessian="xgboost", ignore_index=IGNORE)
    sw = np.random.default_rng(2).uniform(0, 2, raw.shape[0])
    explicit = loss.gradient_hessian(labels, raw, sample_weight=sw, mask=mask)
    for kwargs in ({}, {"mask": mask}):  # read from the margins; both
        for a, b in zip(
            loss.gradient_hessian(labels, offset, sample_weight=sw, **kwargs), explicit, strict=True
        ):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(
            loss.loss_per_group(labels, offset, sample_weight=sw, **kwargs),
            loss.loss_per_group(labels, raw, sample_weight=sw, mask=mask),
        )


def test_an_ignored_group_contributes_nothing_whatever_its_margins():
    rng = np.random.default_rng(3)
    sizes, mask, labels, raw = _ragged_case(rng, n=40)
    loss = GroupedSoftmaxLoss(sizes, hessian="exact", ignore_index=IGNORE)
    grad, hess = loss.gradient_hessian(labels, raw, mask=mask)
    per_group = loss.loss_per_group(labels, raw, mask=mask)
    ignored_cols = np.repeat(labels == IGNORE, sizes, axis=1)
    assert ignored_cols.any() and (~ignored_cols).any()
    assert (grad[ignored_cols] == 0).all() and (hess[ignored_cols] == 1e-16).all()
    assert (per_group[labels == IGNORE] == 0).all()
    # any margins on ignored groups, even none valid (every margin at -1e30) or huge: nothing changes
    offset = raw + mask.margin_offset(np.float64)
    for fill in (-1e30, 1e4, -1e4):
        moved = np.where(ignored_cols, fill, offset)
        g2, h2 = loss.gradient_hessian(labels, moved)
        np.testing.assert_array_equal(g2, grad)
        np.testing.assert_array_equal(h2, hess)
        np.testing.assert_array_equal(loss.loss_per_group(labels, moved), per_group)
    # another ignore_index value: the same results
    other = GroupedSoftmaxLoss(sizes, hessian="exact", ignore_index=99)
    np.testing.assert_array_equal(
        other.gradient_hessian(np.where(labels == IGNORE, 99, labels), raw, mask=mask)[0], grad
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_plus_inf_in_an_ignored_group_is_an_error_as_in_predict_proba(bad):
    """With the mask read from the margins, NaN and +inf are errors anywhere (as for
    SoftmaxLoss and as predict_proba, which sees no labels, already said); +inf in a group
    without a label was accepted by the loss and the gradient."""
    loss = GroupedSoftmaxLoss([2, 2], ignore_index=-1)
    raw = np.zeros((3, 4))
    raw[1, 2] = bad  # row 1's group 1 has no label
    y = np.array([[0, 1], [1, -1], [0, 0]])
    message = "row 1 has a NaN or infinite margin"
    for call in (loss.loss, loss.gradient_hessian, lambda y, raw: loss.predict_proba(raw)):
        with pytest.raises(ValueError, match=message):
            call(y, raw)
    valid = np.ones(raw.shape, bool)  # with a mask: on a valid class, -inf too, as for SoftmaxLoss
    for value in (bad, -np.inf):
        raw[1, 2] = value
        for call in (
            loss.loss,
            loss.gradient_hessian,
            lambda y, raw, mask: loss.predict_proba(raw, mask=mask),
        ):
            with pytest.raises(ValueError, match=message):
                call(y, raw, mask=valid)
    valid[1, 2] = False  # on an invalid class a margin is never read
    np.testing.assert_array_equal(
        loss.loss(y, raw, mask=valid), loss.loss(y, np.where(valid, raw, 0.0), mask=valid)
    )


def test_groups_need_two_columns_in_all():
    for groups, by in (([1], "size"), ([0], "id")):
        with pytest.raises(ValueError, match=r"^groups: expected at least 2 columns in all"):
            GroupedSoftmaxLoss(groups, by=by)
    assert GroupedSoftmaxLoss([1, 1]).n_classes == 2  # two one-column groups: allowed (no gradient)


def test_a_group_with_one_valid_class_in_a_row_has_zero_gradient_and_floor_hessian():
    raw = np.array([[5.0, -3.0, 1.0, 0.3, 0.2], [0.0, 0.0, 0.0, 0.0, 0.0]])
    mask = ClassMask.from_lists([[2, 3, 4], [0, 1, 2, 4]], n_classes=5)
    for convention in CONVENTIONS:
        loss = GroupedSoftmaxLoss([3, 2], hessian=convention)
        grad, hess = loss.gradient_hessian(np.array([[2, 0], [0, 1]]), raw, mask=mask)
        floor = HESSIAN_CONVENTIONS[convention][1]
        assert (grad[0, :3] == 0).all() and (hess[0, :3] == floor).all()  # group 0 of row 0: class 2 only
        assert (grad[1, 3:] == 0).all() and (hess[1, 3:] == floor).all()  # group 1 of row 1: class 4 only
        assert (grad[0, 3:] != 0).all() and (grad[1, :3] != 0).all()
        per_group = loss.loss_per_group(np.array([[2, 0], [0, 1]]), raw, mask=mask)
        assert per_group[0, 0] == 0 and per_group[1, 1] == 0


def test_hessian_auto_is_exact_when_called_and_the_backends_own_in_their_adapters():
    rng = np.random.default_rng(4)
    sizes = [3, 2, 1, 4]
    labels = np.stack([rng.integers(0, s, 30) for s in sizes], axis=1)
    raw = rng.normal(size=(30, 10))
    auto = GroupedSoftmaxLoss(sizes)
    for a, b in zip(
        auto.gradient_hessian(labels, raw),
        GroupedSoftmaxLoss(sizes, hessian="exact").gradient_hessian(labels, raw),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    assert auto.for_backend("xgboost").hessian == "xgboost"
    assert auto.for_backend("lightgbm").hessian == "lightgbm"
    X = np.zeros((30, 1))
    predt = raw.astype(np.float32)
    got = boostobj.xgboost_objective(auto)(predt, boostobj.xgboost_dmatrix(X, labels, loss=auto))
    want = GroupedSoftmaxLoss(sizes, hessian="xgboost").gradient_hessian(labels, predt)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    preds = np.asfortranarray(raw)
    dataset = boostobj.lightgbm_dataset(X, labels, loss=auto, params={"verbose": -1}).construct()
    got = boostobj.lightgbm_objective(auto)(preds, dataset)
    want = GroupedSoftmaxLoss(sizes, hessian="lightgbm").gradient_hessian(labels, preds)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == np.float32 and a.flags.f_contiguous
        np.testing.assert_array_equal(a, b.astype(np.float32))
    scale, _ = scale_floor("lightgbm", sizes)
    assert scale.tolist() == [1.5, 2.0, 1.0, 4 / 3]


def test_rows_across_blocks_and_threads_match_the_reference():
    rng = np.random.default_rng(5)
    sizes, mask, labels, raw = _ragged_case(rng, n=700)
    valid = mask.to_dense()
    ptr = np.r_[0, np.cumsum(sizes)]
    columns = np.where(labels == IGNORE, -1, labels + ptr[:-1])
    sw = rng.uniform(0, 2, 700)
    loss = GroupedSoftmaxLoss(sizes, hessian="exact", ignore_index=IGNORE)
    grad, hess = loss.gradient_hessian(labels, raw, sample_weight=sw, mask=mask)
    w2 = np.repeat(sw[:, None], 3, axis=1)
    g_ref, h_ref = ref.grouped_softmax_grad_hess(columns, raw, valid, w2, ptr, np.ones(3), 1e-16)
    np.testing.assert_allclose(grad, g_ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(hess, h_ref, rtol=1e-13, atol=1e-15)


def test_threaded_calls_equal_single_threaded_and_report_the_first_bad_row():
    rng = np.random.default_rng(6)
    sizes, mask, labels, raw = _ragged_case(rng, n=30_000)  # 270k entries: split across threads
    raw = raw.astype(np.float32)
    loss = GroupedSoftmaxLoss(sizes, hessian="xgboost", ignore_index=IGNORE)
    before = boostobj.get_num_threads()
    try:
        boostobj.set_num_threads(1)
        single = loss.gradient_hessian(labels, raw, mask=mask), loss.loss_per_group(labels, raw, mask=mask)
        boostobj.set_num_threads(2)
        multi = loss.gradient_hessian(labels, raw, mask=mask), loss.loss_per_group(labels, raw, mask=mask)
        bad = raw.copy()
        labelled = np.flatnonzero((labels != IGNORE).all(axis=1))
        first, second = labelled[labelled > 20_000][0], labelled[labelled > 25_000][0]
        bad[second, 0] = np.nan
        bad[first, :] = np.inf
        with pytest.raises(ValueError, match=f"row {first} has a NaN or infinite margin"):
            loss.gradient_hessian(labels, bad, mask=mask)
    finally:
        boostobj.set_num_threads(before)
    for a, b in zip(single[0], multi[0], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(single[1], multi[1])


def test_threads_report_the_first_bad_row_whatever_the_error():
    n = 30_000  # 270k entries: two threads split the rows at 15,000
    loss = GroupedSoftmaxLoss([4, 3, 2])
    labels = np.zeros((n, 3), dtype=np.int64)
    raw = np.zeros((n, 9))
    raw[10_000, 4:7] = -1e30  # row 10,000: no valid class in group 1
    raw[20_000, 0] = np.nan
    before = boostobj.get_num_threads()
    try:
        for threads in (1, 2):
            boostobj.set_num_threads(threads)
            with pytest.raises(ValueError, match=r"^y_true: row 10000, group 1 has no valid class"):
                loss.gradient_hessian(labels, raw)
    finally:
        boostobj.set_num_threads(before)


# ----------------------------------------------------------------------------- label codes
@st.composite
def labelled_groups(draw, max_groups=5, max_size=6, max_rows=20):
    sizes = draw(
        st.lists(st.integers(1, max_size), min_size=1, max_size=max_groups).filter(lambda s: sum(s) >= 2)
    )
    n = draw(st.integers(0, max_rows))
    pos = draw(hnp.arrays(np.int64, (n, len(sizes)), elements=st.integers(0, max_size - 1))) % np.array(sizes)
    ignored = draw(hnp.arrays(bool, (n, len(sizes))))
    return sizes, np.where(ignored, IGNORE, pos)


@SETTINGS
@given(case=labelled_groups())
def test_label_codes_round_trip_exactly_in_float32(case):
    sizes, labels = case
    loss = GroupedSoftmaxLoss(sizes, ignore_index=IGNORE)
    codes = loss.encode_labels(labels)
    assert codes.shape == (labels.shape[0],) and codes.dtype == np.float64
    assert (codes == np.round(codes)).all() and (codes >= 0).all()
    assert (codes < np.prod(np.array(sizes) + 1)).all()
    as_float32 = codes.astype(np.float32)  # what XGBoost and LightGBM store
    np.testing.assert_array_equal(as_float32.astype(np.float64), codes)
    np.testing.assert_array_equal(loss.decode_labels(codes), labels)
    np.testing.assert_array_equal(loss.decode_labels(as_float32), labels)
    # one code per combination of labels
    assert np.unique(codes).size == np.unique(labels, axis=0).shape[0]


def test_codes_and_labels_give_identical_results():
    rng = np.random.default_rng(7)
    sizes, mask, labels, raw = _ragged_case(rng, n=50)
    loss = GroupedSoftmaxLoss(sizes, hessian="exact", ignore_index=IGNORE)
    codes = loss.encode_labels(labels)
    want = loss.gradient_hessian(labels, raw, mask=mask)
    for y in (codes, codes.astype(np.float32), labels.astype(np.float64)):
        for a, b in zip(loss.gradient_hessian(y, raw, mask=mask), want, strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(
            loss.loss_per_group(y, raw, mask=mask), loss.loss_per_group(labels, raw, mask=mask)
        )
    # the digits: group 0 varies fastest, ignore is digit K_g
    small = GroupedSoftmaxLoss([3, 2], ignore_index=IGNORE)
    assert small.encode_labels(np.array([[0, 0], [2, 0], [IGNORE, 0], [0, 1], [2, IGNORE]])).tolist() == [
        0.0,
        2.0,
        3.0,
        4.0,
        2.0 + 4 * 2,
    ]


def test_codes_stay_exact_in_float32_up_to_the_documented_limit():
    assert MAX_CODES == 2**24
    at_limit = GroupedSoftmaxLoss([4095, 4095], ignore_index=IGNORE)  # 4096 * 4096 = 2**24 combinations
    top = at_limit.encode_labels(np.array([[IGNORE, IGNORE], [4094, 4094], [4094, IGNORE]]))
    assert top.tolist() == [2**24 - 1, 4094 + 4094 * 4096, 4094 + 4095 * 4096]
    np.testing.assert_array_equal(top.astype(np.float32).astype(np.float64), top)
    np.testing.assert_array_equal(
        at_limit.decode_labels(top.astype(np.float32)), [[IGNORE, IGNORE], [4094, 4094], [4094, IGNORE]]
    )
    over = GroupedSoftmaxLoss([4095, 4096])
    with pytest.raises(
        ValueError,
        match=r"^groups: 16781312 label combinations do not travel exactly as one float32 code per row "
        r"\(at most 16777216\)",
    ):
        over.encode_labels(np.array([[0, 0]]))
    with pytest.raises(ValueError, match="label combinations do not travel exactly"):
        boostobj.xgboost_dmatrix(np.zeros((1, 1)), np.array([[0, 0]]), loss=over)


# ----------------------------------------------------------------------------- bad inputs
RAW = np.zeros((2, 5))
Y = np.array([[0, 1], [2, 0]])
LOSS = GroupedSoftmaxLoss([3, 2])
EDGE = ClassMask.from_lists([[0, 1, 3, 4], [0, 1, 2]], n_classes=5)  # row 1: no class of group 1

BAD_INPUTS = {
    "labels-one-too-many-groups": (
        lambda: LOSS.gradient_hessian(np.zeros((2, 3), int), RAW),
        ValueError,
        r"^y_true: expected labels of shape \(n, 2\), one per group",
    ),
    "labels-3d": (
        lambda: LOSS.loss(np.zeros((2, 2, 1), int), RAW),
        ValueError,
        r"^y_true: expected \(n, 2\) labels or \(n,\) codes; got shape \(2, 2, 1\)",
    ),
    "labels-rows": (
        lambda: LOSS.loss(np.zeros((3, 2), int), RAW),
        ValueError,
        r"^y_true: has 3 rows but raw_prediction has 2",
    ),
    "margins-columns": (
        lambda: LOSS.loss(Y, np.zeros((2, 4))),
        ValueError,
        r"^raw_prediction: has 4 columns but the groups \[3, 2\] have 5",
    ),
    "label-out-of-range": (
        lambda: LOSS.loss(np.array([[0, 1], [3, 0]]), RAW),
        ValueError,
        r"^y_true: label 3 of row 1, group 0 is out of range; expected 0..2$",
    ),
    "label-negative": (
        lambda: GroupedSoftmaxLoss([3, 2], ignore_index=-1).loss(np.array([[0, -2], [0, 0]]), RAW),
        ValueError,
        r"^y_true: label -2 of row 0, group 1 is out of range; expected 0..1 or ignore_index=-1$",
    ),
    "label-fraction": (
        lambda: LOSS.loss(np.array([[0, 1.5], [0, 0]]), RAW),
        ValueError,
        r"^y_true: expected integer labels; row 0, group 1 has 1.5",
    ),
    "label-strings": (
        lambda: LOSS.loss(np.array([["a", "b"], ["c", "d"]]), RAW),
        TypeError,
        r"^y_true: expected integer labels",
    ),
    "label-invalid-in-mask": (
        lambda: LOSS.loss(Y, RAW, mask=ClassMask.from_lists([[0, 4], [0, 1, 3]], n_classes=5)),
        ValueError,
        r"^y_true: row 1, group 0 has a label that is not one of its valid classes",
    ),
    "label-invalid-in-offset": (
        lambda: LOSS.loss(Y, np.array([[0, 0, 0, 0, -1e30], [0, 0, 0, 0, 0]])),
        ValueError,
        r"^y_true: row 0, group 1 has a label that is not one of its valid classes",
    ),
    "group-without-valid-class-mask": (
        lambda: LOSS.gradient_hessian(np.array([[0, 1], [2, 0]]), RAW, mask=EDGE),
        ValueError,
        r"^y_true: row 1, group 1 has no valid class",
    ),
    "group-without-valid-class-offset": (
        lambda: LOSS.gradient_hessian(Y, np.array([[0, 0, 0, 0, 0], [0, 0, 0, -1e30, -1e30]])),
        ValueError,
        r"^y_true: row 1, group 1 has no valid class",
    ),
    "nan-margin": (
        lambda: LOSS.gradient_hessian(Y, np.array([[0, 0, 0, 0, 0], [0, np.nan, 0, 0, 0]])),
        ValueError,
        r"^raw_prediction: row 1 has a NaN or infinite margin",
    ),
    "inf-margin-with-mask": (
        lambda: LOSS.loss(Y, np.array([[0, 0, 0, 0, np.inf], [0, 0, 0, 0, 0]]), mask=ClassMask.full(2, 5)),
        ValueError,
        r"^raw_prediction: row 0 has a NaN or infinite margin",
    ),
    "code-fraction": (
        lambda: LOSS.loss(np.array([2.5, 0.0]), RAW),
        ValueError,
        r"^y_true: row 0 has 2.5, not a label code of these groups \(0 <= code < 12; see encode_labels\)",
    ),
    "code-too-large": (
        lambda: LOSS.loss(np.array([0, 12]), RAW),
        ValueError,
        r"^y_true: row 1 has 12, not a label code",
    ),
    "code-negative": (
        lambda: LOSS.loss(np.array([-1, 0]), RAW),
        ValueError,
        r"^y_true: row 0 has -1, not a label code",
    ),
    "groups-empty": (
        lambda: GroupedSoftmaxLoss([]),
        ValueError,
        r"^groups: expected a non-empty 1-D sequence of integers; got \[\]",
    ),
    "groups-2d": (
        lambda: GroupedSoftmaxLoss([[3, 2]]),
        ValueError,
        r"^groups: expected a non-empty 1-D sequence of integers",
    ),
    "groups-floats": (
        lambda: GroupedSoftmaxLoss([3.0, 2.0]),
        ValueError,
        r"^groups: expected a non-empty 1-D sequence of integers",
    ),
    "groups-zero-size": (
        lambda: GroupedSoftmaxLoss([3, 0, 2]),
        ValueError,
        r"^groups: every group needs at least one column; got sizes \[3, 0, 2\]",
    ),
    "groups-negative-size": (
        lambda: GroupedSoftmaxLoss([3, -1]),
        ValueError,
        r"^groups: every group needs at least one column",
    ),
    "ids-not-from-0": (
        lambda: GroupedSoftmaxLoss([1, 1, 2], by="id"),
        ValueError,
        r"^groups: with by='id', expected ids 0..G-1 in order, each group's columns consecutive; "
        r"got \[1, 1, 2\]",
    ),
    "ids-back-again": (
        lambda: GroupedSoftmaxLoss([0, 1, 0], by="id"),
        ValueError,
        r"^groups: with by='id', expected ids 0..G-1 in order",
    ),
    "ids-skip": (
        lambda: GroupedSoftmaxLoss([0, 0, 2], by="id"),
        ValueError,
        r"^groups: with by='id', expected ids 0..G-1 in order",
    ),
    "by": (
        lambda: GroupedSoftmaxLoss([3, 2], by="sizes"),
        ValueError,
        r"^by: expected 'size' or 'id'; got 'sizes'",
    ),
    "hessian": (
        lambda: GroupedSoftmaxLoss([3, 2], hessian="XGBoost"),
        ValueError,
        r"^hessian: expected one of \['auto', 'exact', 'xgboost', 'lightgbm'\]; got 'XGBoost'",
    ),
    "hessian-floor": (
        lambda: GroupedSoftmaxLoss([3, 2], hessian_floor=-1.0),
        ValueError,
        r"^hessian_floor: expected a number >= 0",
    ),
    "class-weight-length": (
        lambda: GroupedSoftmaxLoss([3, 2], class_weight=[1, 1, 1]),
        ValueError,
        r"^class_weight: expected None, 'balanced' or 5 finite weights >= 0",
    ),
    "class-weight-negative": (
        lambda: GroupedSoftmaxLoss([3, 2], class_weight=[1, 1, -1, 1, 1]),
        ValueError,
        r"^class_weight: expected None, 'balanced' or 5 finite weights >= 0",
    ),
    "class-weight-nan": (
        lambda: GroupedSoftmaxLoss([3, 2], class_weight=[1, 1, np.nan, 1, 1]),
        ValueError,
        r"^class_weight: expected",
    ),
    "ignore-index-float": (
        lambda: GroupedSoftmaxLoss([3, 2], ignore_index=-1.0),
        TypeError,
        r"^ignore_index: expected an integer or None; got -1.0",
    ),
    "ignore-index-bool": (
        lambda: GroupedSoftmaxLoss([3, 2], ignore_index=True),
        TypeError,
        r"^ignore_index: expected an integer or None",
    ),
    "dataset-label-rows": (
        lambda: boostobj.xgboost_dmatrix(np.zeros((3, 1)), np.zeros((4, 2), int), loss=LOSS),
        ValueError,
        r"^y: expected 3 rows to match X; got shape \(4, 2\)",
    ),
    "dataset-label-invalid-in-mask": (
        lambda: boostobj.lightgbm_dataset(
            np.zeros((2, 1)), Y, loss=LOSS, mask=ClassMask.from_lists([[0, 3, 4], [0, 1, 3]], n_classes=5)
        ),
        ValueError,
        r"the label of row 1 in group 0 \(column 2\) is not one of its valid classes",
    ),
    "dataset-code-out-of-range": (
        lambda: boostobj.xgboost_dmatrix(np.zeros((2, 1)), np.array([0.0, 12.0]), loss=LOSS),
        ValueError,
        r"^y: row 1 has 12.0, not a label code",
    ),
    "num-class-mismatch": (
        lambda: boostobj.xgboost_objective(LOSS)(
            np.zeros((2, 4), np.float32), boostobj.xgboost_dmatrix(np.zeros((2, 1)), Y, loss=LOSS)
        ),
        ValueError,
        r"^raw_prediction: has 4 columns but the groups \[3, 2\] have 5",
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_inputs_raise_a_clear_error(name):
    call, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=message):
        call()


def test_groups_by_id_equal_groups_by_size():
    by_id = GroupedSoftmaxLoss([0, 0, 0, 1, 1, 2], by="id")
    assert by_id.sizes.tolist() == [3, 2, 1] and by_id.n_classes == 6 and by_id.n_groups == 3
    rng = np.random.default_rng(8)
    labels = np.stack([rng.integers(0, s, 20) for s in (3, 2, 1)], axis=1)
    raw = rng.normal(size=(20, 6))
    for a, b in zip(
        by_id.gradient_hessian(labels, raw),
        GroupedSoftmaxLoss([3, 2, 1]).gradient_hessian(labels, raw),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


def test_a_misspelt_class_weight_string_names_the_argument():
    with pytest.raises(ValueError, match="^class_weight: "):
        GroupedSoftmaxLoss([3, 2], class_weight="Balanced")


def test_label_codes_of_the_wrong_length_are_refused_by_boostobj():
    # today the backend refuses them (XGBoost: "Check failed: p_info->Size() % n_samples == 0 ...")
    with pytest.raises(ValueError, match=r"^y(_true)?: "):
        boostobj.xgboost_dmatrix(np.zeros((10, 2)), np.zeros(9), loss=LOSS)


# ----------------------------------------------------------------------------- predict_proba, intercept
@SETTINGS
@given(
    problem=grouped_problems(),
    from_margin=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_predict_proba_blocks_sum_to_one_with_exact_zeros_on_forbidden_classes(problem, from_margin, dtype):
    valid = problem.valid.copy()
    bounds = list(zip(problem.ptr[:-1], problem.ptr[1:], strict=True))
    for lo, hi in bounds:  # a row of probabilities needs a valid class in each group
        valid[~valid[:, lo:hi].any(axis=1), lo] = True
    problem = Problem(
        problem.sizes, problem.ptr, valid, problem.raw, problem.labels, problem.columns, problem.weight
    )
    raw, mask = with_layout(problem, dtype, "F", from_margin)
    exact = np.asarray(problem.raw, dtype=dtype).astype(np.float64)
    blocks = GroupedSoftmaxLoss(problem.sizes).predict_proba(raw, mask=mask)
    assert [b.shape for b in blocks] == [(raw.shape[0], s) for s in problem.sizes]
    for block, (lo, hi) in zip(blocks, bounds, strict=True):
        assert block.dtype == np.float64
        np.testing.assert_allclose(block.sum(axis=1), 1.0, rtol=1e-13)
        assert (block[~valid[:, lo:hi]] == 0).all()
        np.testing.assert_allclose(
            block, ref.softmax(exact[:, lo:hi], valid[:, lo:hi]), rtol=1e-13, atol=1e-300
        )
    # a shift per (row, group) moves no probability (margins up to 1e4 + 1e3: rounding ~1e-12)
    shifts = np.repeat(
        np.linspace(-1e3, 1e3, len(problem.labels) * len(problem.sizes)).reshape(problem.labels.shape),
        problem.sizes,
        axis=1,
    )
    moved = np.asarray(raw + shifts.astype(dtype), dtype=dtype)
    if dtype == np.float64:
        for block, other in zip(
            GroupedSoftmaxLoss(problem.sizes).predict_proba(moved, mask=mask), blocks, strict=True
        ):
            np.testing.assert_allclose(block, other, rtol=0, atol=1e-11)


def test_predict_proba_of_a_one_column_group_is_one():
    loss = GroupedSoftmaxLoss([3, 1, 2])
    raw = np.random.default_rng(9).normal(size=(4, 6))
    loss.gradient_hessian(np.zeros((4, 3), int), raw)  # the loss itself takes the group
    blocks = loss.predict_proba(raw)
    np.testing.assert_array_equal(blocks[1], np.ones((4, 1)))


NO_VALID = "predict_proba needs at least one in every group of every row (training accepts none only where "
NO_VALID += "the row's label of the group is ignore_index)"


@pytest.mark.parametrize(
    ("sizes", "columns"), [([3, 1], "column 3"), ([2, 2], "columns 2..3"), ([1, 3], "columns 1..3")]
)
@pytest.mark.parametrize("from_margin", [False, True])
def test_predict_proba_refuses_a_row_without_a_valid_class_in_a_group_of_any_size(
    sizes, columns, from_margin
):
    """Training accepts a group without a valid class where the row's label of the group is
    ignored; predict_proba has no labels and refuses it, naming the row and the group, whatever
    the group's size (a one-column group gave that row probability 1 on its invalid class)."""
    loss = GroupedSoftmaxLoss(sizes, ignore_index=IGNORE)
    valid = np.ones((3, 4), bool)
    valid[1, 4 - sizes[1] :] = False  # row 1: no valid class in group 1
    y = np.array([[0, 0], [0, IGNORE], [0, 0]])
    raw = np.random.default_rng(0).normal(size=(3, 4))
    grad, _ = loss.gradient_hessian(y, raw, mask=valid)  # training accepts it
    assert (grad[1, ~valid[1]] == 0).all()
    one = sizes[1] == 1
    if from_margin:
        what = f"the margin of {columns}" if one else f"every margin of {columns}"
        message = f"raw_prediction: row 1 has no valid class in group 1 ({what} <= -1e+29); {NO_VALID}"
    else:
        message = f"mask: row 1 has no valid class in group 1 ({columns}); {NO_VALID}"
    for dtype in (np.float32, np.float64):
        margins = np.asfortranarray(raw.astype(dtype))
        if from_margin:
            margins[~valid] = boostobj.INVALID_OFFSET
        with pytest.raises(ValueError) as info:
            loss.predict_proba(margins, mask=None if from_margin else valid)
        assert str(info.value) == message
    valid[2, : sizes[0]] = False  # row 2: none in group 0 either; row 1, the first, is named
    with pytest.raises(ValueError, match=r"row 1 has no valid class in group 1 "):
        loss.predict_proba(raw, mask=valid)
    valid[1:] = True
    blocks = loss.predict_proba(raw, mask=valid)  # with a valid class everywhere: distributions
    for block in blocks:
        np.testing.assert_allclose(block.sum(axis=1), 1.0, rtol=1e-15)


@pytest.mark.parametrize("sizes", [[3, 1], [2, 2]])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_predict_proba_names_the_row_and_group_of_a_nan_or_infinite_margin(sizes, bad):
    loss = GroupedSoftmaxLoss(sizes)
    raw = np.zeros((3, 4))
    raw[2, 3] = bad  # group 1
    message = (
        "raw_prediction: row 2 has a NaN or infinite margin in group 1; margins must be finite on valid "
        "classes (a margin <= -1e29 marks an invalid class; NaN never does)"
    )
    for mask in (None, np.ones((3, 4), bool)):
        with pytest.raises(ValueError) as info:
            loss.predict_proba(raw, mask=mask)
        assert str(info.value) == message
    valid = np.ones((3, 4), bool)
    valid[2, 3] = False
    if sizes[1] > 1:  # on an invalid class a margin is never read
        assert loss.predict_proba(raw, mask=valid)[1][2].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("class_weight", [None, "balanced", "array"])
def test_init_raw_prediction_per_group_is_softmax_losss_on_the_groups_labelled_rows(class_weight):
    rng = np.random.default_rng(10)
    sizes, mask, labels, _ = _ragged_case(rng, n=120, sizes=(4, 3, 2, 1))
    ptr = np.r_[0, np.cumsum(sizes)]
    cw = rng.uniform(0.5, 2.0, ptr[-1]) if class_weight == "array" else class_weight
    sw = rng.uniform(0.1, 2.0, 120)
    loss = GroupedSoftmaxLoss(sizes, class_weight=cw, ignore_index=IGNORE)
    dense = mask.to_dense()
    for kwargs in ({}, {"mask": mask}, {"sample_weight": sw, "mask": mask}):
        start = loss.init_raw_prediction(labels, **kwargs)
        assert start.shape == (ptr[-1],)
        np.testing.assert_array_equal(loss.init_raw_prediction(loss.encode_labels(labels), **kwargs), start)
        for g in range(len(sizes)):
            lo, hi = ptr[g], ptr[g + 1]
            rows = np.flatnonzero(labels[:, g] != IGNORE)
            if hi - lo == 1:
                assert start[lo] == 0.0
                continue
            one = SoftmaxLoss(class_weight=cw if cw is None or isinstance(cw, str) else cw[lo:hi])
            want = one.init_raw_prediction(
                labels[rows, g],
                sample_weight=kwargs["sample_weight"][rows] if "sample_weight" in kwargs else None,
                mask=ClassMask.from_dense(dense[rows, lo:hi]) if "mask" in kwargs else None,
                n_classes=hi - lo,
            )
            np.testing.assert_allclose(start[lo:hi], want, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(start[lo:hi].mean(), 0.0, atol=1e-12)  # centred per group


def test_init_raw_prediction_names_the_row_of_an_invalid_label():
    loss = GroupedSoftmaxLoss([3, 2], ignore_index=IGNORE)
    labels = np.array([[IGNORE, 0], [IGNORE, 0], [2, 0], [1, 1]])
    mask = ClassMask.from_lists([[0, 1, 2, 3, 4], [0, 3, 4], [0, 1, 3, 4], [0, 1, 2, 3, 4]], n_classes=5)
    with pytest.raises(ValueError, match="row 2"):  # loss() says "row 2, group 0"; this says "row 0"
        loss.init_raw_prediction(labels, mask=mask)


def test_the_loss_of_a_confident_correct_row_is_accurate_relative_to_itself():
    raw = np.array([[0.0, -20.0, 3.0, 3.0], [0.0, -40.0, 3.0, 3.0]])
    labels = np.array([[0, 0], [0, 0]])
    got = GroupedSoftmaxLoss([2, 2]).loss_per_group(labels, raw)[:, 0]
    want = SoftmaxLoss().loss(
        [0, 0], raw[:, :2]
    )  # log1p(exp(-20)) = 2.0611536e-09, log1p(exp(-40)) = 4.2e-18
    np.testing.assert_allclose(want, np.log1p(np.exp([-20.0, -40.0])), rtol=1e-15)
    np.testing.assert_allclose(got, want, rtol=1e-12)  # got: 2.0611537e-09 (rel. error 3e-8) and 0


# ----------------------------------------------------------------------------- through the backends
SIZES = [3, 2, 2]
K_TOTAL = 7


def grouped_data(n, seed):
    """Features that predict each group's label; in about half the rows one class of group 0 is
    forbidden (never the label); 15% of the labels ignored; weights in [0.5, 2], float32 numbers
    (the backends store weights in float32: the recomputations then use the same weights)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.stack(
        [np.digitize(X[:, 0], [-0.5, 0.5]), X[:, 1] > 0, X[:, 2] + 0.5 * rng.normal(size=n) > 0], axis=1
    ).astype(np.int64)
    valid = np.ones((n, K_TOTAL), bool)
    rows = np.flatnonzero(rng.random(n) < 0.5)
    valid[rows, (y[rows, 0] + rng.integers(1, 3, rows.size)) % 3] = False
    labels = np.where(rng.random((n, 3)) < 0.15, IGNORE, y)
    return (
        X,
        labels,
        ClassMask.from_dense(valid),
        rng.uniform(0.5, 2.0, n).astype(np.float32).astype(np.float64),
    )


def columns_of(labels):
    ptr = np.r_[0, np.cumsum(SIZES)]
    return np.where(labels == IGNORE, -1, labels + ptr[:-1])


def reference_objective(labels, mask, weight, convention):
    """A closure objective: the reference kernel on labels, mask and weights it holds itself."""
    scale, floor = scale_floor(convention, SIZES)
    columns, valid, ptr = columns_of(labels), mask.to_dense(), np.r_[0, np.cumsum(SIZES)]
    w2 = np.repeat(weight[:, None], len(SIZES), axis=1)

    def objective(preds, _data):
        grad, hess = ref.grouped_softmax_grad_hess(columns, np.asarray(preds), valid, w2, ptr, scale, floor)
        return grad.astype(np.float32), hess.astype(np.float32)

    return objective


XGB_PARAMS = {
    "num_class": K_TOTAL,
    "nthread": 1,
    "max_depth": 3,
    "eta": 0.5,
    "disable_default_eval_metric": 1,
}
LGB_PARAMS = {
    "num_class": K_TOTAL,
    "num_threads": 1,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_leaves": 7,
    "learning_rate": 0.5,
    "min_data_in_leaf": 3,
    "min_data_in_bin": 1,
    "metric": "None",
}
ROUNDS = 4


@pytest.fixture(scope="module")
def backend_data():
    X, labels, mask, w = grouped_data(90, 0)
    Xv, labels_v, mask_v, w_v = grouped_data(40, 1)
    return {"X": X, "y": labels, "mask": mask, "w": w, "Xv": Xv, "yv": labels_v, "mask_v": mask_v, "wv": w_v}


def test_xgboost_train_equals_a_reference_objective_and_scores_eval_sets_with_their_own_masks(backend_data):
    d = backend_data
    loss = GroupedSoftmaxLoss(SIZES, ignore_index=IGNORE)
    dtrain = boostobj.xgboost_dmatrix(d["X"], d["y"], loss=loss, mask=d["mask"], weight=d["w"])
    dvalid = boostobj.xgboost_dmatrix(d["Xv"], d["yv"], loss=loss, mask=d["mask_v"], weight=d["wv"])
    history = {}
    ours = xgb.train(
        XGB_PARAMS,
        dtrain,
        ROUNDS,
        obj=boostobj.xgboost_objective(loss),
        evals=[(dtrain, "train"), (dvalid, "valid")],
        custom_metric=boostobj.xgboost_metric(loss),
        evals_result=history,
        verbose_eval=False,
    )
    plain = xgb.DMatrix(
        d["X"], label=np.zeros(90), weight=d["w"], base_margin=d["mask"].margin_offset(np.float32)
    )
    oracle = xgb.train(
        XGB_PARAMS, plain, ROUNDS, obj=reference_objective(d["y"], d["mask"], d["w"], "xgboost")
    )
    m_ours = boostobj.predict_margin(ours, d["Xv"], mask=d["mask_v"])
    m_oracle = boostobj.predict_margin(oracle, d["Xv"], mask=d["mask_v"])
    valid = d["mask_v"].to_dense()
    assert np.abs(m_ours[valid]).max() > 0.1  # the model learnt something
    assert np.abs(m_ours[valid] - m_oracle[valid]).max() <= 1e-5  # float32 margins
    for name, X, y, mask, w in [
        ("train", d["X"], d["y"], d["mask"], d["w"]),
        ("valid", d["Xv"], d["yv"], d["mask_v"], d["wv"]),
    ]:
        recorded = history[name]["grouped-softmax"]
        assert len(recorded) == ROUNDS
        for i, value in enumerate(recorded):
            margins = boostobj.predict_margin(ours, X, mask=mask, iteration_range=(0, i + 1))
            want = _metric(loss, y, margins, w)
            assert value == pytest.approx(want, rel=0, abs=1e-6)  # XGBoost keeps 6 decimals ("%f")
    assert history["valid"]["grouped-softmax"][-1] < history["valid"]["grouped-softmax"][0]


def _metric(loss, y, margins, w):
    """The documented metric, recomputed: each group's weighted mean loss over its labelled
    rows, summed over the groups."""
    per_group = loss.loss_per_group(y, margins, sample_weight=w)
    labelled = np.asarray(y) != IGNORE
    return sum(per_group[:, g].sum() / (w * labelled[:, g]).sum() for g in range(per_group.shape[1]))


def test_xgboost_cv_folds_see_their_own_labels_and_report_the_right_metric(backend_data):
    d = backend_data
    loss = GroupedSoftmaxLoss(SIZES, ignore_index=IGNORE)
    dall = boostobj.xgboost_dmatrix(d["X"], d["y"], loss=loss, mask=d["mask"], weight=d["w"])
    folds = [(np.setdiff1d(np.arange(90), test), test) for test in np.array_split(np.arange(90), 3)]
    objective = boostobj.xgboost_objective(loss)
    seen = []

    def recording(predt, dtrain):
        seen.append(loss.decode_labels(dtrain.get_label()))
        return objective(predt, dtrain)

    result = xgb.cv(
        XGB_PARAMS, dall, ROUNDS, folds=folds, obj=recording, custom_metric=boostobj.xgboost_metric(loss)
    )
    assert len(seen) == 3 * ROUNDS
    for fold, (train, _) in enumerate(folds):  # each round updates the folds in order
        for labels in seen[fold::3]:
            np.testing.assert_array_equal(labels, d["y"][train])
    per_fold = []
    for train, test in folds:
        booster = xgb.train(XGB_PARAMS, dall.slice(train), ROUNDS, obj=objective)
        margins = booster.predict(dall.slice(test), output_margin=True)
        per_fold.append(_metric(loss, d["y"][test], margins, d["w"][test]))
    assert result["test-grouped-softmax-mean"].iloc[-1] == pytest.approx(np.mean(per_fold), rel=0, abs=1e-6)


def test_lightgbm_train_equals_a_reference_objective_and_scores_eval_sets_with_their_own_masks(backend_data):
    d = backend_data
    loss = GroupedSoftmaxLoss(SIZES, ignore_index=IGNORE)
    dtrain = boostobj.lightgbm_dataset(d["X"], d["y"], loss=loss, mask=d["mask"], weight=d["w"])
    dvalid = boostobj.lightgbm_dataset(
        d["Xv"], d["yv"], loss=loss, mask=d["mask_v"], weight=d["wv"], reference=dtrain
    )
    history = {}
    ours = lgb.train(
        {**LGB_PARAMS, "objective": boostobj.lightgbm_objective(loss)},
        dtrain,
        ROUNDS,
        valid_sets=[dtrain, dvalid],
        valid_names=["train", "valid"],
        feval=boostobj.lightgbm_metric(loss),
        callbacks=[lgb.record_evaluation(history)],
    )
    start = d["mask"].margin_offset(np.float64, "F")
    plain = lgb.Dataset(d["X"], label=np.zeros(90), weight=d["w"], init_score=start)
    oracle = lgb.train(
        {**LGB_PARAMS, "objective": reference_objective(d["y"], d["mask"], d["w"], "lightgbm")}, plain, ROUNDS
    )
    m_ours = boostobj.predict_margin(ours, d["Xv"], mask=d["mask_v"])
    m_oracle = boostobj.predict_margin(oracle, d["Xv"], mask=d["mask_v"])
    valid = d["mask_v"].to_dense()
    assert np.abs(m_ours[valid]).max() > 0.1
    # both hand LightGBM float32 roundings of the same float64 gradients
    assert np.abs(m_ours[valid] - m_oracle[valid]).max() <= 1e-8
    for name, X, y, mask, w in [
        ("train", d["X"], d["y"], d["mask"], d["w"]),
        ("valid", d["Xv"], d["yv"], d["mask_v"], d["wv"]),
    ]:
        recorded = history[name]["grouped-softmax"]
        assert len(recorded) == ROUNDS
        for i, value in enumerate(recorded):
            margins = boostobj.predict_margin(ours, X, mask=mask, num_iteration=i + 1)
            want = _metric(loss, y, margins, w)
            assert value == pytest.approx(want, rel=0, abs=1e-10)


def test_lightgbm_cv_folds_see_their_own_labels_and_report_the_right_metric(backend_data):
    d = backend_data
    loss = GroupedSoftmaxLoss(SIZES, ignore_index=IGNORE)
    folds = [(np.setdiff1d(np.arange(90), test), test) for test in np.array_split(np.arange(90), 3)]
    objective = boostobj.lightgbm_objective(loss)
    seen = []

    def recording(preds, train_data):
        seen.append(loss.decode_labels(train_data.get_label()))
        return objective(preds, train_data)

    result = lgb.cv(
        {**LGB_PARAMS, "objective": recording},
        boostobj.lightgbm_dataset(d["X"], d["y"], loss=loss, mask=d["mask"], weight=d["w"]),
        ROUNDS,
        folds=folds,
        feval=boostobj.lightgbm_metric(loss),
        return_cvbooster=True,
    )
    assert len(seen) == 3 * ROUNDS
    train_labels = [d["y"][train] for train, _ in folds]
    for labels in seen:
        assert sum(np.array_equal(labels, want) for want in train_labels) == 1
    per_fold = [
        _metric(
            loss,
            d["y"][test],
            boostobj.predict_margin(b, d["X"][test], mask=d["mask"].take(test)),
            d["w"][test],
        )
        for b, (_, test) in zip(result["cvbooster"].boosters, folds, strict=True)
    ]
    assert result["valid grouped-softmax-mean"][-1] == pytest.approx(np.mean(per_fold), rel=0, abs=1e-10)


def test_an_intercept_from_init_raw_prediction_travels_with_the_data(backend_data):
    d = backend_data
    loss = GroupedSoftmaxLoss(SIZES, ignore_index=IGNORE)
    start = loss.init_raw_prediction(d["y"], sample_weight=d["w"], mask=d["mask"])
    dtrain = boostobj.xgboost_dmatrix(
        d["X"], d["y"], loss=loss, mask=d["mask"], weight=d["w"], init_score=start
    )
    booster = xgb.train(XGB_PARAMS, dtrain, 0, obj=boostobj.xgboost_objective(loss))  # no trees: the start
    margins = boostobj.predict_margin(booster, d["X"], mask=d["mask"], init_score=start)
    np.testing.assert_allclose(
        margins[d["mask"].to_dense()], np.broadcast_to(start, margins.shape)[d["mask"].to_dense()], atol=1e-6
    )
    # the start is the best constant: the loss at it is below the loss at 0
    zero = loss.loss(d["y"], d["mask"].margin_offset(np.float64), sample_weight=d["w"]).sum()
    assert loss.loss(d["y"], margins, sample_weight=d["w"]).sum() < zero


@settings(max_examples=80, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 8), min_size=1, max_size=4),
    n=st.integers(1, 600),
    seed=st.integers(0, 2**31 - 1),
    dtype=st.sampled_from([np.float32, np.float64]),
    out_dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from("CF"),
    faults=st.lists(
        st.tuples(
            st.sampled_from(["nan", "nan ignored", "+inf", "+inf ignored", "empty", "label"]),
            st.floats(0, 1, exclude_max=True),
        ),
        max_size=3,
    ),
)
def test_dense_kernel_is_bitwise_the_gathering_kernel(sizes, n, seed, dtype, out_dtype, order, faults):
    """The kernel for valid classes read from the margins: the gathering kernel's outputs,
    bit for bit, and its first problem (status and (row, group)) whatever the faults."""
    from boostobj._kernels import segments as seg

    rng = np.random.default_rng(seed)
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    g_count, k = len(sizes), int(ptr[-1])
    raw = rng.normal(scale=rng.choice([1.0, 40.0, 800.0]), size=(n, k))
    valid = rng.random((n, k)) < 0.6
    labels = np.empty((n, g_count), np.int64)
    for g in range(g_count):
        cols = np.arange(ptr[g], ptr[g + 1])
        labels[:, g] = rng.choice(cols, n)
        valid[np.arange(n), labels[:, g]] = True
    labels[rng.random((n, g_count)) < 0.2] = -1  # ignored
    raw[~valid] = rng.choice([-1e30, -np.inf])
    for kind, where in faults:
        i, g = int(where * n), int(where * 7) % g_count
        a, b = ptr[g], ptr[g + 1]
        if kind.endswith("ignored"):
            labels[i, g] = -1
        elif labels[i, g] < 0:
            labels[i, g] = a
        if kind.startswith("nan"):
            raw[i, b - 1] = np.nan
        elif kind.startswith("+inf"):
            raw[i, a] = np.inf
        elif kind == "empty":
            raw[i, a:b] = -1e30
        elif kind == "label":
            raw[i, labels[i, g]] = -np.inf
    raw = np.asarray(raw, dtype=dtype, order=order)
    weight = rng.uniform(0, 3, (n, g_count))
    scale = rng.uniform(1, 2, g_count)
    outs = []
    for dense in (False, True):
        grad = np.full((n, k), np.nan, out_dtype, order=order)
        hess = np.full((n, k), np.nan, out_dtype, order=order)
        if dense:
            status = seg.grouped_grad_hess_dense(raw, labels, ptr, -1, weight, scale, 1e-16, grad, hess, 0, n)
        else:
            group_of = np.repeat(np.arange(g_count), sizes)
            csr = np.zeros(1, np.int64)  # unused: the valid classes are read from the margins
            status = seg.grouped_grad_hess(
                raw, labels, group_of, ptr, -1, weight, csr, csr, True, scale, 1e-16, grad, hess, 0, n
            )
        outs.append((status, grad, hess))
    assert outs[1][0] == outs[0][0]
    assert outs[0][0][0] != 0 or not faults  # every fault is an error, "+inf ignored" too
    if outs[0][0][0] == 0:
        np.testing.assert_array_equal(outs[1][1], outs[0][1])
        np.testing.assert_array_equal(outs[1][2], outs[0][2])
