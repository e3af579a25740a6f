"""ChoiceLoss (issue 13, part 2): the conditional logit over the rows of each group.

The required relation: on the same margins, the long-format loss, gradient and Hessian are
``SoftmaxLoss``'s in wide format, each group padded into one wide row whose valid classes
(a ``ClassMask``, or the -1e30 offset) are its first ``n_s`` columns. Also: the slow
reference of ``reference.py`` (shares included), central finite differences, shift
invariance per group, weights, the three descriptions of the groups, and, through the
backends, models trained by a closure objective that holds the groups itself.
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

import boostobj
from boostobj import ClassMask, SoftmaxLoss
from boostobj.choice import SHARE_TOLERANCE, ChoiceLoss, group_pointers
from boostobj.losses import HESSIAN_CONVENTIONS

from . import reference as ref

BIG = 1e4
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hostile_margins = st.one_of(st.floats(-BIG, BIG), st.sampled_from([-BIG, BIG, 0.0, -0.0]))


def assert_loss_close(actual, desired, weight):
    """log-sum-exp is accurate to a few ulps of its argument (~1): an absolute bound for tiny
    losses (the bound of test_kernels.py), relative 1e-12 otherwise."""
    bound = 1e-12 * np.abs(desired) + 4e-16 * (1 + weight)
    assert np.all(np.abs(actual - desired) <= bound), np.max(np.abs(actual - desired) - bound)


@dataclass
class Choices:
    sizes: np.ndarray  # (S,) rows per group, 1..6
    raw: np.ndarray  # (n,) float64 margins
    chosen: np.ndarray  # (S,) position of the chosen row within its group
    weight: np.ndarray  # (S,) one weight per group

    @property
    def ptr(self) -> np.ndarray:
        return np.r_[0, np.cumsum(self.sizes)].astype(np.int64)

    @property
    def targets(self) -> np.ndarray:
        t = np.zeros(self.raw.size)
        t[self.ptr[:-1] + self.chosen] = 1.0
        return t

    @property
    def row_weight(self) -> np.ndarray:
        return np.repeat(self.weight, self.sizes)

    def wide(self, values, pad):
        """(S, width) margins, group s in the first n_s columns, ``pad`` elsewhere; the valid mask."""
        width = max(2, int(self.sizes.max()))  # SoftmaxLoss needs two columns
        out = np.full((self.sizes.size, width), pad, dtype=np.asarray(values).dtype)
        valid = np.arange(width) < self.sizes[:, None]
        out[valid] = values  # row-major: the long order
        return out, valid


@st.composite
def choice_problems(draw, max_groups=8, max_size=6, elements=hostile_margins):
    sizes = np.array(draw(st.lists(st.integers(1, max_size), min_size=1, max_size=max_groups)))
    raw = draw(hnp.arrays(np.float64, int(sizes.sum()), elements=elements))
    chosen = np.array([draw(st.integers(0, s - 1)) for s in sizes])
    weight = draw(hnp.arrays(np.float64, sizes.size, elements=st.floats(0.0, 10.0)))
    return Choices(sizes, raw, chosen, weight)


def close_to(actual, desired, atol, dtype):
    """Entry by entry within ``atol`` (float64), or within one float32 ulp of ``desired`` plus
    ``atol`` (float32 outputs: each is one rounding of a float64 value, and the two float64 values
    differ by ``atol`` at most)."""
    slack = atol if dtype == np.float64 else atol + np.spacing(np.abs(desired).astype(np.float32))
    assert np.all(np.abs(actual.astype(np.float64) - desired.astype(np.float64)) <= slack)


# ----------------------------------------------------------------------------- the required relation
@SETTINGS
@given(problem=choice_problems(), dtype=st.sampled_from([np.float32, np.float64]), from_margin=st.booleans())
def test_long_format_equals_softmax_loss_in_wide_format_with_row_masks(problem, dtype, from_margin):
    """Loss per group, gradient and Hessian entry by entry, for every convention where the two
    agree ("exact", "xgboost"); "lightgbm" is documented to differ: ChoiceLoss takes each group's
    size n_s, SoftmaxLoss the global K (here the padded width)."""
    raw = problem.raw.astype(dtype)
    # padding: the offset, or with an explicit mask a margin that would dominate if it were read
    wide, valid = problem.wide(raw, -1e30 if from_margin else BIG)
    mask = None if from_margin else ClassMask.from_dense(valid)
    w, sizes = problem.weight, problem.sizes
    atol = 1e-15 * (1 + problem.row_weight)  # the same arithmetic up to FMA contraction (measured 4.4e-16)
    for convention in ("exact", "xgboost"):
        g, h = ChoiceLoss(hessian=convention).gradient_hessian(
            problem.targets, raw, group=sizes, sample_weight=w
        )
        G, H = SoftmaxLoss(hessian=convention).gradient_hessian(
            problem.chosen, wide, sample_weight=w, mask=mask
        )
        assert g.dtype == h.dtype == dtype and g.shape == (raw.size,)
        close_to(g, G[valid], atol, dtype)
        close_to(h, H[valid], atol, dtype)
    # "lightgbm": SoftmaxLoss's exact diagonal times n_s / (n_s - 1), floor 0
    g, h = ChoiceLoss(hessian="lightgbm").gradient_hessian(problem.targets, raw, group=sizes, sample_weight=w)
    _, H = SoftmaxLoss(hessian="exact", hessian_floor=0.0).gradient_hessian(
        problem.chosen, wide, sample_weight=w, mask=mask
    )
    n_s = np.repeat(sizes, sizes).astype(np.float64)
    close_to(h, H[valid] * n_s / np.maximum(n_s - 1, 1), 2 * atol, dtype)
    assert (h[n_s == 1] == 0).all()
    full = np.repeat(sizes == max(2, sizes.max()), sizes)  # groups as wide as the padded row: K = n_s
    if full.any():
        _, H = SoftmaxLoss(hessian="lightgbm").gradient_hessian(
            problem.chosen, wide, sample_weight=w, mask=mask
        )
        close_to(h[full], H[valid][full], 2 * atol[full], dtype)
    loss = ChoiceLoss().loss(problem.targets, raw, group=sizes, sample_weight=w)
    assert loss.shape == (sizes.size,) and loss.dtype == np.float64
    assert_loss_close(loss, SoftmaxLoss().loss(problem.chosen, wide, sample_weight=w, mask=mask), w)
    proba = ChoiceLoss().predict_proba(raw, group=sizes)  # computed in float64, as SoftmaxLoss's
    close_to(proba, SoftmaxLoss().predict_proba(wide, mask=mask)[valid], 1e-15, np.float64)


@SETTINGS
@given(problem=choice_problems(), dtype=st.sampled_from([np.float32, np.float64]), data=st.data())
def test_choice_shares_match_the_reference(problem, dtype, data):
    raw = problem.raw.astype(dtype)
    exact = raw.astype(np.float64)
    parts = data.draw(hnp.arrays(np.float64, raw.size, elements=st.floats(0.0, 1.0)))
    parts[problem.ptr[:-1] + problem.chosen] += 0.5  # no group without a share
    shares = parts / np.repeat(np.add.reduceat(parts, problem.ptr[:-1]), problem.sizes)
    tol = 1e-13 if dtype == np.float64 else 1e-6
    for convention, (_, floor) in HESSIAN_CONVENTIONS.items():
        loss = ChoiceLoss(hessian=convention)
        g, h = loss.gradient_hessian(shares, raw, group=problem.sizes, sample_weight=problem.weight)
        sizes = problem.sizes.astype(np.float64)
        scale = {"exact": np.ones_like(sizes), "xgboost": np.full_like(sizes, 2.0)}.get(
            convention, sizes / np.maximum(sizes - 1, 1)
        )
        g_ref, h_ref = ref.choice_grad_hess(shares, exact, problem.ptr, problem.weight, scale, floor)
        atol = tol * max(1.0, problem.weight.max())
        np.testing.assert_allclose(g, g_ref, rtol=tol, atol=atol)
        np.testing.assert_allclose(h, h_ref, rtol=tol, atol=atol)
    values = ChoiceLoss().loss(shares, raw, group=problem.sizes, sample_weight=problem.weight)
    want = ref.choice_loss(shares, exact, problem.ptr, problem.weight)
    # shares multiply shifted margins up to 2e4: each product rounds by ~2e4 * 1.1e-16
    assert np.all(np.abs(values - want) <= 1e-12 * np.abs(want) + 1e-11 * (1 + problem.weight))


def test_shares_mix_the_one_hot_results_linearly():
    rng = np.random.default_rng(0)
    sizes = np.array([3, 1, 4, 2])
    ptr = np.r_[0, np.cumsum(sizes)]
    raw = rng.normal(size=ptr[-1])
    shares = rng.uniform(0.1, 1.0, ptr[-1])
    shares /= np.repeat(np.add.reduceat(shares, ptr[:-1]), sizes)
    loss = ChoiceLoss()
    got_g, got_h = loss.gradient_hessian(shares, raw, group=sizes)
    got_l = loss.loss(shares, raw, group=sizes)
    mix_g, mix_l = np.zeros(ptr[-1]), np.zeros(sizes.size)
    for s, (lo, hi) in enumerate(zip(ptr[:-1], ptr[1:], strict=True)):
        for r in range(lo, hi):
            onehot = np.zeros(ptr[-1])
            onehot[r] = 1.0
            other = np.delete(np.arange(sizes.size), s)
            onehot[ptr[other]] = 1.0  # the other groups choose their first row
            g, h = loss.gradient_hessian(onehot, raw, group=sizes)
            np.testing.assert_array_equal(h, got_h)  # the Hessian does not depend on the targets
            mix_g[lo:hi] += shares[r] * g[lo:hi]
            mix_l[s] += shares[r] * loss.loss(onehot, raw, group=sizes)[s]
    np.testing.assert_allclose(got_g, mix_g, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got_l, mix_l, rtol=1e-14)


# ----------------------------------------------------------------------------- derivatives, weights
@settings(max_examples=20, deadline=None)
@given(problem=choice_problems(elements=st.floats(-6.0, 6.0)))
def test_gradient_and_exact_hessian_match_finite_differences(problem):
    loss = ChoiceLoss(hessian="exact", hessian_floor=0.0)
    kwargs = {"group": problem.sizes, "sample_weight": problem.weight}
    t = problem.targets
    grad, hess = loss.gradient_hessian(t, problem.raw, **kwargs)
    eps = 1e-5
    fd_grad, fd_hess = np.empty(t.size), np.empty(t.size)
    for r in range(t.size):
        step = np.zeros(t.size)
        step[r] = eps
        fd_grad[r] = (
            loss.loss(t, problem.raw + step, **kwargs).sum()
            - loss.loss(t, problem.raw - step, **kwargs).sum()
        ) / (2 * eps)
        g_plus = loss.gradient_hessian(t, problem.raw + step, **kwargs)[0][r]
        g_minus = loss.gradient_hessian(t, problem.raw - step, **kwargs)[0][r]
        fd_hess[r] = (g_plus - g_minus) / (2 * eps)
    # float64 central differences: truncation ~eps^2 w, rounding ~1e-16 |sum of losses| / eps
    atol = 1e-7 * (1 + problem.weight.sum())
    np.testing.assert_allclose(grad, fd_grad, rtol=0, atol=atol)
    np.testing.assert_allclose(hess, fd_hess, rtol=0, atol=atol)


@SETTINGS
@given(problem=choice_problems(elements=st.floats(-30.0, 30.0)), data=st.data())
def test_adding_a_constant_to_one_groups_margins_changes_nothing(problem, data):
    shifts = data.draw(hnp.arrays(np.float64, problem.sizes.size, elements=st.floats(-1e3, 1e3)))
    moved = problem.raw + np.repeat(shifts, problem.sizes)
    loss = ChoiceLoss()
    kwargs = {"group": problem.sizes, "sample_weight": problem.weight}
    atol = 1e-11 * (1 + problem.weight.max())  # margins moved by up to 1e3: rounding ~1e3 * 1e-16
    for a, b in zip(
        loss.gradient_hessian(problem.targets, moved, **kwargs),
        loss.gradient_hessian(problem.targets, problem.raw, **kwargs),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    np.testing.assert_allclose(
        loss.loss(problem.targets, moved, **kwargs),
        loss.loss(problem.targets, problem.raw, **kwargs),
        rtol=0,
        atol=atol,
    )
    np.testing.assert_allclose(
        loss.predict_proba(moved, group=problem.sizes),
        loss.predict_proba(problem.raw, group=problem.sizes),
        rtol=0,
        atol=1e-11,
    )


def test_one_shift_for_all_rows_would_not_tell_groups_apart():
    """Negative control for the test above: the softmax runs per group, not over all rows."""
    raw = np.array([0.0, 1.0, 5.0, 6.0])
    p = ChoiceLoss().predict_proba(raw, group=[2, 2])
    np.testing.assert_allclose(p, [1 / (1 + np.e), np.e / (1 + np.e)] * 2, rtol=1e-15)
    np.testing.assert_allclose(np.add.reduceat(p, [0, 2]), 1.0, rtol=1e-15)


@SETTINGS
@given(problem=choice_problems(), data=st.data())
def test_weights_are_linear_and_per_row_weights_equal_per_group_weights(problem, data):
    loss = ChoiceLoss(hessian="exact", hessian_floor=0.0)
    t, sizes, w = problem.targets, problem.sizes, problem.weight

    def run(weight):
        g, h = loss.gradient_hessian(t, problem.raw, group=sizes, sample_weight=weight)
        return g, h, loss.loss(t, problem.raw, group=sizes, sample_weight=weight)

    base = run(w)
    tiny = 1e-300  # times 2 is exact except for products that underflow to subnormals
    for a, b in zip(run(2 * w), base, strict=True):
        np.testing.assert_allclose(a, 2 * b, rtol=0, atol=tiny)
    s = data.draw(st.integers(0, sizes.size - 1))
    one = w.copy()
    one[s] *= 2
    rows = np.repeat(np.arange(sizes.size), sizes) == s
    got = run(one)
    for a, b in zip(got[:2], base[:2], strict=True):
        np.testing.assert_allclose(a[rows], 2 * b[rows], rtol=0, atol=tiny)
        np.testing.assert_array_equal(a[~rows], b[~rows])
    np.testing.assert_allclose(got[2][s], 2 * base[2][s], rtol=0, atol=tiny)
    np.testing.assert_array_equal(np.delete(got[2], s), np.delete(base[2], s))
    for a, b in zip(run(problem.row_weight), base, strict=True):  # per row, constant within groups
        np.testing.assert_array_equal(a, b)
    for a, b in zip(run(np.ones(sizes.size)), run(None), strict=True):
        np.testing.assert_array_equal(a, b)
    # the mean loss is per choice situation, averaged with the group weights
    if w.sum() > 0:
        assert loss.mean_loss(t, problem.raw, group=sizes, sample_weight=w) == pytest.approx(
            base[2].sum() / w.sum(), rel=1e-15
        )


def test_a_weight_varying_within_a_group_is_an_error():
    with pytest.raises(
        ValueError,
        match=r"^sample_weight: row 3 weighs (np\.float64\()?2\.0\)?, unlike the first row of its group; "
        r"a choice set has one weight \(give one per group\)",
    ):
        ChoiceLoss().gradient_hessian(
            [1, 0, 0, 0, 1], np.zeros(5), group=[2, 3], sample_weight=[1, 1, 1, 2, 1]
        )
    with pytest.raises(ValueError, match=r"^sample_weight: row 1 weighs"):
        boostobj.xgboost_dmatrix(
            np.zeros((3, 1)), [1, 0, 1], qid=[4, 4, 2], loss=ChoiceLoss(), weight=[1.0, 2.0, 3.0]
        )
    with pytest.raises(
        ValueError, match=r"^sample_weight: expected shape \(5,\)"
    ):  # neither per group nor per row
        ChoiceLoss().loss([1, 0, 0, 0, 1], np.zeros(5), group=[2, 3], sample_weight=[1, 1, 1])


def test_single_row_groups_have_zero_gradient_floor_hessian_zero_loss_and_probability_one():
    raw = np.array([3.0, -1e4, 0.5, 0.5, 1e4])
    t = np.array([1.0, 1.0, 1.0, 0.0, 1.0])
    sizes = [1, 1, 2, 1]
    for convention, (_, floor) in HESSIAN_CONVENTIONS.items():
        g, h = ChoiceLoss(hessian=convention).gradient_hessian(
            t, raw, group=sizes, sample_weight=[2.0, 3.0, 1.0, 5.0]
        )
        single = np.array([True, True, False, False, True])
        assert (g[single] == 0).all() and (h[single] == floor).all()
        np.testing.assert_array_equal(g[~single], [-0.5, 0.5])
    assert ChoiceLoss().loss(t, raw, group=sizes)[[0, 1, 3]].tolist() == [0.0, 0.0, 0.0]
    assert ChoiceLoss().predict_proba(raw, group=sizes).tolist() == [1.0, 1.0, 0.5, 0.5, 1.0]


def test_extreme_margins_give_finite_exact_results():
    raw = np.array([1e4, -1e4, -1e4, 1e4, -1e30, 0.0])
    t = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    loss = ChoiceLoss()
    np.testing.assert_array_equal(loss.loss(t, raw, group=[2, 2, 2]), [2e4, 0.0, 1e30])
    g, h = loss.gradient_hessian(t, raw, group=[2, 2, 2], sample_weight=[1.0, 1.0, 3.0])
    np.testing.assert_array_equal(g, [1.0, -1.0, 0.0, 0.0, -3.0, 3.0])
    assert (h == 1e-16).all()


def test_long_groups_and_many_groups_across_the_kernels_chunks_match_the_reference():
    rng = np.random.default_rng(1)
    sizes = np.r_[rng.integers(1, 5, 1500), 5000, rng.integers(1, 3, 1000)]  # one group longer than a chunk
    ptr = np.r_[0, np.cumsum(sizes)]
    raw = rng.normal(scale=3.0, size=ptr[-1])
    t = np.zeros(ptr[-1])
    t[ptr[:-1] + (rng.random(sizes.size) * sizes).astype(int)] = 1.0
    w = rng.uniform(0.0, 2.0, sizes.size)
    g, h = ChoiceLoss(hessian="xgboost").gradient_hessian(t, raw, group=sizes, sample_weight=w)
    g_ref, h_ref = ref.choice_grad_hess(t, raw, ptr, w, np.full(sizes.size, 2.0), 1e-16)
    np.testing.assert_allclose(g, g_ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h, h_ref, rtol=1e-13, atol=1e-15)
    assert_loss_close(
        ChoiceLoss().loss(t, raw, group=sizes, sample_weight=w), ref.choice_loss(t, raw, ptr, w), w
    )


def test_threaded_calls_equal_single_threaded_and_report_the_first_bad_row():
    rng = np.random.default_rng(2)
    sizes = rng.integers(1, 4, 300_000)  # groups are the kernel's rows: enough to split across threads
    ptr = np.r_[0, np.cumsum(sizes)]
    raw = rng.normal(size=ptr[-1]).astype(np.float32)
    t = np.zeros(ptr[-1])
    t[ptr[:-1]] = 1.0
    loss = ChoiceLoss(hessian="xgboost")
    before = boostobj.get_num_threads()
    try:
        boostobj.set_num_threads(1)
        single = loss.gradient_hessian(t, raw, group=sizes), loss.loss(t, raw, group=sizes)
        boostobj.set_num_threads(2)
        multi = loss.gradient_hessian(t, raw, group=sizes), loss.loss(t, raw, group=sizes)
        bad = raw.copy()
        bad[[ptr[250_000], ptr[200_001] + 0]] = [np.nan, np.inf]
        with pytest.raises(
            ValueError, match=f"^raw_prediction: row {ptr[200_001]} has a NaN or infinite margin"
        ):
            loss.gradient_hessian(t, bad, group=sizes)
    finally:
        boostobj.set_num_threads(before)
    for a, b in zip(single[0], multi[0], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(single[1], multi[1])


# ----------------------------------------------------------------------------- groups
def test_group_sizes_qid_and_group_pointers_give_identical_results():
    rng = np.random.default_rng(3)
    sizes = np.array([3, 1, 4, 2, 2])
    ptr = np.r_[0, np.cumsum(sizes)]
    raw = rng.normal(size=ptr[-1])
    t = np.zeros(ptr[-1])
    t[ptr[:-1]] = 1.0
    w = rng.uniform(0.5, 2.0, sizes.size)
    loss = ChoiceLoss()
    descriptions = [
        {"group": sizes},
        {"group": sizes.tolist()},
        {"group_ptr": ptr},
        {"qid": np.repeat([7, -2, 30, 5, 6], sizes)},  # ids need not be sorted, only contiguous
        {"qid": np.repeat(["b", "a", "d", "c", "e"], sizes)},
        {"qid": np.repeat([1.5, 0.5, 2.5, 3.5, 4.5], sizes)[:, None]},
    ]
    want = loss.gradient_hessian(t, raw, group=sizes, sample_weight=w)
    for kwargs in descriptions:
        np.testing.assert_array_equal(group_pointers(ptr[-1], **kwargs), ptr)
        for a, b in zip(loss.gradient_hessian(t, raw, sample_weight=w, **kwargs), want, strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(
            loss.loss(t, raw, sample_weight=w, **kwargs), loss.loss(t, raw, group=sizes, sample_weight=w)
        )
        np.testing.assert_array_equal(loss.predict_proba(raw, **kwargs), loss.predict_proba(raw, group=sizes))
        assert loss.mean_loss(t, raw, sample_weight=w, **kwargs) == loss.mean_loss(
            t, raw, group=sizes, sample_weight=w
        )


Y3 = np.array([1.0, 0.0, 1.0])
RAW3 = np.zeros(3)
BAD_INPUTS = {
    "qid-not-contiguous": (
        lambda: ChoiceLoss().loss([1, 1, 0, 0], np.zeros(4), qid=[1, 2, 2, 1]),
        r"^qid: the rows of group 1 are not contiguous; sort the rows by group first",
    ),
    "qid-nan": (  # NaN != NaN: each NaN row would have been a group of its own
        lambda: ChoiceLoss().loss([1, 0, 1, 0], np.zeros(4), qid=[0.0, 0.0, np.nan, np.nan]),
        r"^qid: expected a finite group id in every row; row 2 has nan$",
    ),
    "qid-nan-object": (
        lambda: ChoiceLoss().loss(
            [1, 0, 1, 0], np.zeros(4), qid=np.array([1, 1, np.nan, np.nan], dtype=object)
        ),
        r"^qid: expected a finite group id in every row; row 2 has nan$",
    ),
    "qid-none": (
        lambda: ChoiceLoss().loss([1, 0, 1, 0], np.zeros(4), qid=["a", "a", None, None]),
        r"^qid: expected a finite group id in every row; row 2 has None$",
    ),
    "qid-nat": (
        lambda: ChoiceLoss().loss(
            [1, 0, 1, 0],
            np.zeros(4),
            qid=np.array(["2020-01-01", "2020-01-01", "NaT", "NaT"], "datetime64[D]"),
        ),
        r"^qid: expected a finite group id in every row; row 2 has NaT$",
    ),
    "qid-mixed-types": (
        lambda: ChoiceLoss().loss([1, 0, 1, 0], np.zeros(4), qid=np.array([1, 1, "b", "b"], dtype=object)),
        r"^qid: expected ids of one type \(numbers or strings\); got \['int', 'str'\]$",
    ),
    "qid-length": (
        lambda: ChoiceLoss().loss(Y3, RAW3, qid=[0, 0]),
        r"^qid: expected one id per row \(3\); got shape \(2,\)",
    ),
    "group-sum": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[2, 2]),
        r"^group: expected groups of at least one row covering the 3 rows; got \[2, 2\]",
    ),
    "group-short": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[2]),
        r"^group: expected groups of at least one row covering the 3 rows; got \[2\]",
    ),
    "group-zero": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[2, 0, 1]),
        r"^group: expected groups of at least one row covering the 3 rows; got \[2, 0, 1\]",
    ),
    "group-negative": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[4, -1]),
        r"^group: expected groups of at least one row covering",
    ),
    "group-2d": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[[2, 1]]),
        r"^group: expected a 1-D array of integers",
    ),
    "group-ptr-start": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group_ptr=[1, 2, 3]),
        r"^group_ptr: expected groups of at least one row covering the 3 rows; got \[1, 2, 3\]",
    ),
    "group-ptr-decreasing": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group_ptr=[0, 2, 1, 3]),
        r"^group_ptr: expected groups of at least one row",
    ),
    "two-descriptions": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[2, 1], qid=[0, 0, 1]),
        r"^group, qid, group_ptr: a choice loss needs exactly one description of the groups; "
        r"got \['group', 'qid'\]",
    ),
    "no-description": (
        lambda: ChoiceLoss().gradient_hessian(Y3, RAW3),
        r"^group, qid, group_ptr: a choice loss needs exactly one description of the groups; got none",
    ),
    "shares-too-many": (
        lambda: ChoiceLoss().loss([0.5, 0.6, 1.0], RAW3, group=[2, 1]),
        r"^y_true: group 0 \(rows 0..1\) has choice shares summing to 1.1; "
        r"each group needs one chosen row \(or shares summing to 1 within 1e-06\)",
    ),
    "two-chosen": (
        lambda: ChoiceLoss().loss([1, 1, 1], RAW3, group=[1, 2]),
        r"^y_true: group 1 \(rows 1..2\) has choice shares summing to 2",
    ),
    "none-chosen": (
        lambda: ChoiceLoss().gradient_hessian([1, 0, 0], RAW3, group=[1, 2]),
        r"^y_true: group 1 \(rows 1..2\) has choice shares summing to 0",
    ),
    "share-above-1": (
        lambda: ChoiceLoss().loss([1.5, -0.5, 1.0], RAW3, group=[2, 1]),
        r"^y_true: row 0 has 1.5; expected 1 \(chosen\), 0, or a share in \[0, 1\]",
    ),
    "share-nan": (
        lambda: ChoiceLoss().loss([np.nan, 1.0, 1.0], RAW3, group=[2, 1]),
        r"^y_true: row 0 has nan; expected 1 \(chosen\)",
    ),
    "labels-length": (
        lambda: ChoiceLoss().loss([1.0, 1.0], RAW3, group=[2, 1]),
        r"^y_true: expected shape \(3,\), one value per row; got \(2,\)",
    ),
    "margins-2d": (
        lambda: ChoiceLoss().loss(Y3, np.zeros((3, 2)), group=[2, 1]),
        r"^raw_prediction: expected a 1-D array \(n_samples,\) of margins; got shape \(3, 2\)",
    ),
    "margin-nan": (
        lambda: ChoiceLoss().gradient_hessian(Y3, [0.0, np.nan, 0.0], group=[2, 1]),
        r"^raw_prediction: row 1 has a NaN or infinite margin",
    ),
    "margin-inf": (
        lambda: ChoiceLoss().loss(Y3, [0.0, 0.0, np.inf], group=[2, 1]),
        r"^raw_prediction: row 2 has a NaN or infinite margin",
    ),
    "margin-inf-proba": (
        lambda: ChoiceLoss().predict_proba([0.0, -np.inf, 0.0], group=[2, 1]),
        r"^raw_prediction: row 1 has a NaN or infinite margin",
    ),
    "negative-weight": (
        lambda: ChoiceLoss().loss(Y3, RAW3, group=[2, 1], sample_weight=[1.0, -1.0]),
        r"^sample_weight: ",
    ),
    "hessian": (
        lambda: ChoiceLoss(hessian="LightGBM"),
        r"^hessian: expected one of \['auto', 'exact', 'xgboost', 'lightgbm'\]; got 'LightGBM'",
    ),
    "hessian-floor": (lambda: ChoiceLoss(hessian_floor=-1e-3), r"^hessian_floor: expected a number >= 0"),
    "dataset-mask": (
        lambda: boostobj.xgboost_dmatrix(
            np.zeros((3, 1)), Y3, qid=[0, 0, 1], loss=ChoiceLoss(), mask=ClassMask.full(3, 2)
        ),
        r"^mask: choice sets have no masks: an unavailable alternative is an absent row",
    ),
    "dataset-qid-not-contiguous": (
        lambda: boostobj.xgboost_dmatrix(np.zeros((4, 1)), [1, 1, 0, 0], qid=[3, 5, 5, 3], loss=ChoiceLoss()),
        r"^qid: the rows of group 3 are not contiguous",
    ),
    "dataset-group-sizes": (
        lambda: boostobj.lightgbm_dataset(np.zeros((3, 1)), Y3, group=[1, 1], loss=ChoiceLoss()),
        r"^group: expected groups of at least one row covering the 3 rows",
    ),
    "dataset-share-out-of-range": (
        lambda: boostobj.lightgbm_dataset(np.zeros((3, 1)), [2.0, 0.0, 1.0], group=[2, 1], loss=ChoiceLoss()),
        r"^y_true: row 0 has 2.0; expected 1 \(chosen\), 0, or a share in \[0, 1\]",
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_inputs_raise_a_clear_value_error(name):
    call, message = BAD_INPUTS[name]
    with pytest.raises(ValueError, match=message):
        call()


def test_string_labels_are_a_type_error():
    with pytest.raises(TypeError, match=r"^y_true: expected choice flags or shares; got dtype <U1"):
        ChoiceLoss().loss(np.array(["a", "b", "c"]), RAW3, group=[2, 1])


def test_missing_labels_are_a_clear_error():
    with pytest.raises(ValueError, match="^y_true: "):
        ChoiceLoss().gradient_hessian(None, RAW3, group=[2, 1])


def test_a_mask_given_to_the_loss_says_choice_sets_have_no_masks():
    with pytest.raises(ValueError, match="choice sets have no masks"):
        ChoiceLoss().gradient_hessian(Y3, RAW3, group=[2, 1], mask=[[0], [0], [0]])


def test_the_loss_of_a_confident_correct_choice_is_as_accurate_as_softmax_losss():
    raw = np.array([0.0, -20.0, 0.0, -40.0])
    got = ChoiceLoss().loss([1, 0, 1, 0], raw, group=[2, 2])  # [2.0611537e-09, 0.0]
    want = np.log1p(np.exp([-20.0, -40.0]))  # what SoftmaxLoss gives, to 1e-16 relative
    np.testing.assert_allclose(SoftmaxLoss().loss([0, 0], raw.reshape(2, 2)), want, rtol=1e-15)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_predict_proba_of_float32_margins_is_float64_like_softmax_losss():
    raw = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)  # XGBoost's margins are float32
    proba = ChoiceLoss().predict_proba(raw, group=[4])
    want = SoftmaxLoss().predict_proba(raw.reshape(1, 4))[0]  # float64: e / (e + 3)
    assert want.dtype == np.float64
    np.testing.assert_allclose(
        want, [np.e / (np.e + 3), 1 / (np.e + 3), 1 / (np.e + 3), 1 / (np.e + 3)], rtol=1e-15
    )
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, want, rtol=1e-15)  # today: 0.47536692 (float32) vs 0.4753668940


# ----------------------------------------------------------------------------- conventions and adapters
def test_hessian_auto_stays_exact_in_both_backends():
    rng = np.random.default_rng(4)
    sizes = np.array([3, 2, 4, 1])
    ptr = np.r_[0, np.cumsum(sizes)]
    t = np.zeros(ptr[-1])
    t[ptr[:-1]] = 1.0
    X = np.zeros((ptr[-1], 1))
    raw = rng.normal(size=ptr[-1])
    exact = ChoiceLoss(hessian="exact").gradient_hessian(t, raw.astype(np.float32), group=sizes)
    for backend in ("xgboost", "lightgbm"):
        assert ChoiceLoss().for_backend(backend).hessian == "auto"
    got = boostobj.xgboost_objective(ChoiceLoss())(
        raw.astype(np.float32), boostobj.xgboost_dmatrix(X, t, group=sizes, loss=ChoiceLoss())
    )
    for a, b in zip(got, exact, strict=True):
        np.testing.assert_array_equal(a, b)
    dataset = boostobj.lightgbm_dataset(
        X, t, group=sizes, loss=ChoiceLoss(), params={"verbose": -1}
    ).construct()
    got = boostobj.lightgbm_objective(ChoiceLoss())(raw, dataset)
    want = ChoiceLoss(hessian="exact").gradient_hessian(t, raw, group=sizes)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b.astype(np.float32))
    named = boostobj.lightgbm_objective(ChoiceLoss(hessian="lightgbm"))(raw, dataset)[1]
    p = ChoiceLoss().predict_proba(raw, group=sizes)
    n_s = np.repeat(sizes, sizes)
    np.testing.assert_allclose(
        named, (n_s / np.maximum(n_s - 1, 1) * p * (1 - p)).astype(np.float32), rtol=1e-6
    )


def test_the_scikit_learn_apis_are_a_clear_error():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    y = np.tile([1.0, 0.0, 0.0, 0.0], 10)
    message = (
        r"^group: this loss needs the data set's groups, which {}'s scikit-learn API does not pass to an "
        r"objective; train with {}.train on a data set with groups"
    )
    with pytest.raises(ValueError, match=message.format("xgboost", "xgboost")):
        xgb.XGBRegressor(objective=boostobj.xgboost_objective(ChoiceLoss()), n_estimators=2, n_jobs=1).fit(
            X, y
        )
    with pytest.raises(ValueError, match=message.format("lightgbm", "lightgbm")):
        lgb.LGBMRegressor(
            objective=boostobj.lightgbm_objective(ChoiceLoss()),
            n_estimators=2,
            n_jobs=1,
            verbose=-1,
            min_child_samples=2,
        ).fit(X, y)
    with pytest.raises(ValueError, match=message.format("xgboost", "xgboost")):
        boostobj.xgboost_metric(ChoiceLoss())(y, np.zeros(40))


def test_a_data_set_without_groups_is_a_clear_error():
    X, t = np.zeros((3, 1)), Y3
    with pytest.raises(
        ValueError, match=r"^group: the DMatrix has no groups; build it with qid= \(or group=\)"
    ):
        boostobj.xgboost_objective(ChoiceLoss())(
            np.zeros(3, np.float32), boostobj.xgboost_dmatrix(X, t, loss=ChoiceLoss())
        )
    dataset = boostobj.lightgbm_dataset(X, t, loss=ChoiceLoss(), params={"verbose": -1}).construct()
    with pytest.raises(ValueError, match=r"^group: the LightGBM Dataset has no groups; build it with group="):
        boostobj.lightgbm_objective(ChoiceLoss())(np.zeros(3), dataset)


# ----------------------------------------------------------------------------- through the backends
def choice_data(n_groups, seed):
    """Choice situations of 1..4 alternatives chosen by a softmax of 1.5 x0 - x1; group ids that are
    contiguous but not sorted; weights per group in [0.5, 2], float32 numbers (the backends store
    weights in float32)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n_groups)
    ptr = np.r_[0, np.cumsum(sizes)]
    X = rng.normal(size=(ptr[-1], 3))
    p = ChoiceLoss().predict_proba(1.5 * X[:, 0] - X[:, 1], group=sizes)
    y = np.zeros(ptr[-1])
    for s in range(n_groups):
        y[ptr[s] + rng.choice(sizes[s], p=p[ptr[s] : ptr[s + 1]])] = 1.0
    qid = np.repeat(rng.permutation(n_groups) * 3 + 11, sizes)
    w = rng.uniform(0.5, 2.0, n_groups).astype(np.float32).astype(np.float64)
    return X, y, sizes, qid, w


def reference_objective(y, sizes, w):
    """A closure objective: the reference kernel on targets, groups and weights it holds itself."""
    ptr = np.r_[0, np.cumsum(sizes)]

    def objective(preds, _data):
        grad, hess = ref.choice_grad_hess(
            y, np.asarray(preds).reshape(-1), ptr, w, np.ones(sizes.size), 1e-16
        )
        return grad.astype(np.float32), hess.astype(np.float32)

    return objective


ROUNDS = 4
XGB_PARAMS = {"nthread": 1, "max_depth": 3, "eta": 0.5, "base_score": 0.0, "disable_default_eval_metric": 1}
LGB_PARAMS = {
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


@pytest.fixture(scope="module")
def choices():
    X, y, sizes, qid, w = choice_data(40, 0)
    Xv, yv, sizes_v, qid_v, w_v = choice_data(20, 1)
    return {
        "X": X,
        "y": y,
        "sizes": sizes,
        "qid": qid,
        "w": w,
        "Xv": Xv,
        "yv": yv,
        "sizes_v": sizes_v,
        "qid_v": qid_v,
        "wv": w_v,
    }


def test_xgboost_train_sees_the_groups_and_weights_of_its_dmatrix(choices):
    c = choices
    loss = ChoiceLoss()
    dtrain = boostobj.xgboost_dmatrix(c["X"], c["y"], qid=c["qid"], loss=loss, weight=c["w"])  # per group
    dvalid = boostobj.xgboost_dmatrix(
        c["Xv"],
        c["yv"],
        qid=c["qid_v"],
        loss=loss,
        weight=np.repeat(c["wv"], c["sizes_v"]),  # per row
    )
    np.testing.assert_array_equal(dtrain.get_weight(), c["w"].astype(np.float32))
    history = {}
    ours = xgb.train(
        XGB_PARAMS,
        dtrain,
        ROUNDS,
        obj=boostobj.xgboost_objective(loss),
        custom_metric=boostobj.xgboost_metric(loss),
        evals=[(dtrain, "train"), (dvalid, "valid")],
        evals_result=history,
        verbose_eval=False,
    )
    oracle = xgb.train(
        XGB_PARAMS, xgb.DMatrix(c["X"]), ROUNDS, obj=reference_objective(c["y"], c["sizes"], c["w"])
    )
    m_ours = ours.predict(xgb.DMatrix(c["Xv"]), output_margin=True)
    m_oracle = oracle.predict(xgb.DMatrix(c["Xv"]), output_margin=True)
    assert np.ptp(m_ours) > 0.5  # the model learnt something
    assert np.abs(m_ours - m_oracle).max() <= 1e-6  # identical gradients: identical trees (float32 margins)
    by_sizes = xgb.train(
        XGB_PARAMS,
        boostobj.xgboost_dmatrix(c["X"], c["y"], group=c["sizes"], loss=loss, weight=c["w"]),
        ROUNDS,
        obj=boostobj.xgboost_objective(loss),
    )
    np.testing.assert_array_equal(by_sizes.predict(xgb.DMatrix(c["Xv"]), output_margin=True), m_ours)
    for name, d, y, sizes, w in [
        ("train", dtrain, c["y"], c["sizes"], c["w"]),
        ("valid", dvalid, c["yv"], c["sizes_v"], c["wv"]),
    ]:
        recorded = history[name]["choice"]
        assert len(recorded) == ROUNDS
        for i, value in enumerate(recorded):
            margins = ours.predict(d, output_margin=True, iteration_range=(0, i + 1))
            want = loss.mean_loss(y, margins, group=sizes, sample_weight=w)
            assert want == pytest.approx(
                ref.choice_loss(y, margins, np.r_[0, np.cumsum(sizes)], w).sum() / w.sum(), rel=1e-12
            )
            assert value == pytest.approx(want, rel=0, abs=1e-6)  # XGBoost keeps 6 decimals ("%f")
    assert history["valid"]["choice"][-1] < history["valid"]["choice"][0]


def test_lightgbm_train_sees_the_groups_and_weights_of_its_dataset(choices):
    c = choices
    loss = ChoiceLoss()
    dtrain = boostobj.lightgbm_dataset(c["X"], c["y"], group=c["sizes"], loss=loss, weight=c["w"])
    dvalid = boostobj.lightgbm_dataset(
        c["Xv"], c["yv"], qid=c["qid_v"], loss=loss, weight=np.repeat(c["wv"], c["sizes_v"]), reference=dtrain
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
    oracle = lgb.train(
        {**LGB_PARAMS, "objective": reference_objective(c["y"], c["sizes"], c["w"])},
        lgb.Dataset(c["X"], label=np.zeros(c["y"].size)),
        ROUNDS,
    )
    m_ours, m_oracle = ours.predict(c["Xv"], raw_score=True), oracle.predict(c["Xv"], raw_score=True)
    assert np.ptp(m_ours) > 0.5
    assert np.abs(m_ours - m_oracle).max() <= 1e-8  # the same float32 gradients, float64 trees
    for name, X, y, sizes, w in [
        ("train", c["X"], c["y"], c["sizes"], c["w"]),
        ("valid", c["Xv"], c["yv"], c["sizes_v"], c["wv"]),
    ]:
        recorded = history[name]["choice"]
        assert len(recorded) == ROUNDS
        for i, value in enumerate(recorded):
            margins = ours.predict(X, raw_score=True, num_iteration=i + 1)
            want = loss.mean_loss(y, margins, group=sizes, sample_weight=w)
            assert want == pytest.approx(
                ref.choice_loss(y, margins, np.r_[0, np.cumsum(sizes)], w).sum() / w.sum(), rel=1e-12
            )
            assert value == pytest.approx(want, rel=0, abs=1e-10)
    assert history["valid"]["choice"][-1] < history["valid"]["choice"][0]


def test_shares_are_checked_as_the_backends_keep_them():
    """A data set's shares are checked in float32, the labels' dtype in both backends: shares
    whose float64 sum is within the tolerance of 1 but whose float32 sum is not are refused
    when the data set is built, not in the first round of training."""
    rng = np.random.default_rng(0)
    for _ in range(200_000):
        shares = rng.random(7)
        shares /= shares.sum()
        shares[-1] += 9.9e-7 * rng.choice([-1, 1])
        in_float32 = abs(shares.astype(np.float32).astype(np.float64).sum() - 1)
        if abs(shares.sum() - 1) <= SHARE_TOLERANCE < in_float32:
            break
    else:  # pragma: no cover
        pytest.fail("no such shares found")
    X = rng.normal(size=(7, 2))
    for build in (
        lambda: boostobj.xgboost_dmatrix(X, shares, qid=np.zeros(7, int), loss=ChoiceLoss()),
        lambda: boostobj.lightgbm_dataset(X, shares, group=[7], loss=ChoiceLoss()),
    ):
        with pytest.raises(ValueError, match=r"^y: group 0 \(rows 0..6\) has choice shares summing to"):
            build()


# ----------------------------------------------------------------------------- cross-validation folds
CUT = r"lightgbm\.cv's default folds split rows\): pass lightgbm\.cv folds that split by group, e\.g\. "
CUT += r"folds=sklearn\.model_selection\.GroupKFold\(nfold\)"
SPLIT = (
    "lightgbm.cv's default folds split rows: pass lightgbm.cv folds that split by group, e.g. "
    "folds=sklearn.model_selection.GroupKFold(nfold) (lightgbm.cv hands a splitter the Dataset's groups)"
)


def cut_message(what: str, rows: str) -> str:
    return (
        f"folds: this LightGBM Dataset is a subset (Dataset.subset, as lightgbm.cv builds each fold) that "
        f"{what} (rows {rows} of the Dataset it was cut from); a choice loss needs each group whole "
        f"(each row once) or absent, and {SPLIT}"
    )


def test_a_share_sum_below_one_names_cut_groups_as_a_cause():
    with pytest.raises(
        ValueError, match=r"^y_true: group 1 \(rows 1..2\) has choice shares summing to 0; .*" + CUT
    ):
        ChoiceLoss().gradient_hessian([1, 0, 0], RAW3, group=[1, 2])
    with pytest.raises(ValueError) as info:  # too many chosen rows: no cut could do that
        ChoiceLoss().gradient_hessian([1, 1, 1], RAW3, group=[2, 1])
    assert "GroupKFold" not in str(info.value)


def test_a_lightgbm_subset_that_cuts_a_group_is_a_clear_error():
    """lightgbm.cv's folds are Dataset.subset(rows): the subset's groups are what it keeps of
    each group; check_whole_groups compares them with the groups of the Dataset it was cut from."""
    check = boostobj.choice.check_whole_groups
    sizes = np.array([2, 3, 1, 2])
    y = np.array([1, 0, 0, 1, 0, 1, 0, 1.0])
    full = boostobj.lightgbm_dataset(
        np.arange(16.0).reshape(8, 2), y, group=sizes, loss=ChoiceLoss(), params={"verbose": -1}
    ).construct()
    check(full)  # not a subset
    whole = full.subset([0, 1, 5, 6, 7]).construct()
    check(whole)
    check(whole.subset([0, 1]).construct())  # a subset of a subset, whole groups of its parent
    check(boostobj.lightgbm_dataset(np.zeros((2, 2)), [0, 1], group=[2], loss=ChoiceLoss(), reference=full))
    cases = [
        (full.subset([0, 1, 2, 3]), cut_message("keeps 2 of the 3 rows of group 1", "2..4")),
        (full.subset([1, 5, 6, 7]), cut_message("keeps 1 of the 2 rows of group 0", "0..1")),
        (full.subset([0, 0, 1, 5]), cut_message("repeats rows of group 0", "0..1")),
        (whole.subset([0, 1, 2, 3]), cut_message("keeps 1 of the 2 rows of group 2", "3..4")),
        (
            full.subset([2, 3, 4, 6]).subset([0, 1, 2]),  # its parent cuts group 3 already
            cut_message("keeps 1 of the 2 rows of group 3", "6..7"),
        ),
    ]
    for subset, message in cases:
        with pytest.raises(ValueError) as info:
            check(subset.construct())
        assert str(info.value) == message


def cv_choice_data():
    X, y, sizes, _, _ = choice_data(60, 2)
    params = {**LGB_PARAMS, "objective": boostobj.lightgbm_objective(ChoiceLoss())}
    return X, y, sizes, params


def test_lightgbm_cv_with_row_folds_is_an_error_naming_the_cause_and_group_folds_work():
    X, y, sizes, params = cv_choice_data()
    loss = ChoiceLoss()
    with pytest.raises(ValueError, match=r"^(folds|y_true): .*GroupKFold\(nfold\)"):  # stratified by label
        lgb.cv(params, boostobj.lightgbm_dataset(X, y, group=sizes, loss=loss), ROUNDS, nfold=3,
               feval=boostobj.lightgbm_metric(loss))  # fmt: skip
    from sklearn.model_selection import GroupKFold

    result = lgb.cv(
        params, boostobj.lightgbm_dataset(X, y, group=sizes, loss=loss), ROUNDS, folds=GroupKFold(3),
        feval=boostobj.lightgbm_metric(loss), return_cvbooster=True,
    )  # fmt: skip
    # each fold's metric is the loss of its held-out choice sets, whole
    groups = np.repeat(np.arange(sizes.size), sizes)
    values = []
    for booster, (_, test) in zip(
        result["cvbooster"].boosters, GroupKFold(3).split(X, groups=groups), strict=True
    ):
        held_out = np.unique(groups[test])
        margins = booster.predict(X[test], raw_score=True)
        values.append(loss.mean_loss(y[test], margins, group=sizes[held_out]))
    assert result["valid choice-mean"][-1] == pytest.approx(np.mean(values), rel=1e-6)


def test_lightgbm_cv_with_folds_that_cut_groups_but_keep_each_chosen_row_is_an_error():
    """Without the check, these folds trained silently on truncated choice sets (every share sum is 1)."""
    X, y, sizes, params = cv_choice_data()
    ptr = np.r_[0, np.cumsum(sizes)]
    dropped = [
        ptr[s] + int(np.flatnonzero(y[ptr[s] : ptr[s + 1]] == 0)[0]) for s in np.flatnonzero(sizes > 2)
    ]
    kept = np.setdiff1d(np.arange(ptr[-1]), dropped)
    s = int(np.flatnonzero(sizes > 2)[0])
    message = cut_message(
        f"keeps {sizes[s] - 1} of the {sizes[s]} rows of group {s}", f"{ptr[s]}..{ptr[s + 1] - 1}"
    )
    with pytest.raises(ValueError) as info:
        lgb.cv(params, boostobj.lightgbm_dataset(X, y, group=sizes, loss=ChoiceLoss()), ROUNDS,
               folds=[(kept, kept)])  # fmt: skip
    assert str(info.value) == message
