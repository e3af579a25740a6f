"""Unweighted calls share one array of ones (``_inputs.unit_weights``): nothing may write
into it, and every loss must give what it gives with explicit unit weights."""

from __future__ import annotations

import numpy as np
import pytest

import boostobj
from boostobj import _inputs

N, K = 300, 4


def _losses():
    return [
        boostobj.SoftmaxLoss(),
        boostobj.SoftmaxLoss(class_weight="balanced"),
        boostobj.SoftmaxLoss(class_weight=[1.0, 2.0, 0.5, 3.0]),
        boostobj.SoftmaxLoss(ignore_index=3),
        boostobj.FocalLoss(gamma=2.0),
        boostobj.FocalLoss(alpha=[0.5, 1.0, 2.0, 1.0], ignore_index=3),
        boostobj.LabelSmoothingLoss(),
        boostobj.LabelSmoothingLoss(epsilon=0.1, class_weight="balanced"),
        boostobj.make_loss(lambda q: -np.log(q), of="label_probability"),
    ]


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    mask = rng.random((N, K)) < 0.7
    mask[np.arange(N), rng.integers(0, K, N)] = True
    y = np.array([rng.choice(np.flatnonzero(row)) for row in mask])
    y[::17] = 3  # rows that ignore_index=3 drops (and class 3 valid there)
    mask[::17, 3] = True
    raw = rng.normal(size=(N, K))
    return y, raw, mask


@pytest.mark.parametrize("loss", _losses(), ids=lambda loss: repr(loss)[:40])
def test_unweighted_calls_equal_unit_weights_and_leave_the_shared_ones_alone(loss, case):
    y, raw, mask = case
    dense = boostobj.ClassMask.from_dense(mask)
    offset = raw + dense.margin_offset()  # the mask read from the margins: the training path
    shared = _inputs.unit_weights(N)
    for call_mask, margins in ((dense, raw), (None, offset)):
        for name in ("gradient_hessian", "loss"):
            method = getattr(loss, name)
            got = method(y, margins, mask=call_mask)
            want = method(y, margins, mask=call_mask, sample_weight=np.ones(N))
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert _inputs.is_unit_weights(shared)
    assert np.all(_inputs.unit_weights(N) == 1.0)
    assert np.all(_inputs._unit_weights == 1.0)


@pytest.mark.parametrize(
    "loss",
    [
        boostobj.BinaryLogLoss(),
        boostobj.BinaryLogLoss(pos_weight=2.0),
        boostobj.BinaryLogLoss(class_weight="balanced"),
        boostobj.BinaryFocalLoss(),
        boostobj.BinaryFocalLoss(alpha=0.25),
    ],
    ids=repr,
)
def test_unweighted_binary_calls_equal_unit_weights_and_leave_the_shared_ones_alone(loss):
    rng = np.random.default_rng(1)
    y, raw = (rng.random(N) < 0.3).astype(float), rng.normal(size=N)
    shared = _inputs.unit_weights(N)
    for name in ("gradient_hessian", "loss"):
        method = getattr(loss, name)
        got, want = method(y, raw), method(y, raw, sample_weight=np.ones(N))
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert _inputs.is_unit_weights(shared) and np.all(_inputs._unit_weights == 1.0)


def test_unit_weights_are_sliced_from_one_array_that_grows():
    small = _inputs.unit_weights(10)
    again = _inputs.unit_weights(10)
    assert small.base is again.base and small.shape == (10,) and np.all(small == 1.0)
    big = _inputs.unit_weights(len(_inputs._unit_weights) + 5)
    assert _inputs.is_unit_weights(big) and np.all(big == 1.0)
    assert not _inputs.is_unit_weights(np.ones(10))
    assert not _inputs.is_unit_weights(np.ones(20)[:10])


def test_the_weight_overflow_check_still_runs_for_weights_given(case):
    y, raw, mask = case
    w = np.ones(N)
    w[7] = 1e38
    with pytest.raises(ValueError, match="row 7"):
        boostobj.SoftmaxLoss().gradient_hessian(
            y, raw.astype(np.float32), mask=boostobj.ClassMask.from_dense(mask), sample_weight=w
        )


def test_unit_weights_above_the_limit_are_new_and_not_kept(monkeypatch):
    monkeypatch.setattr(_inputs, "UNIT_WEIGHTS_MAX_ROWS", 100)
    monkeypatch.setattr(_inputs, "_unit_weights", np.ones(0))
    kept = _inputs.unit_weights(100)
    big = _inputs.unit_weights(101)
    assert _inputs.is_unit_weights(kept) and not _inputs.is_unit_weights(big)
    assert np.all(big == 1.0) and big.shape == (101,) and len(_inputs._unit_weights) == 100
