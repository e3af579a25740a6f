"""An output that is one of the call's inputs (``gradient_out=raw``, ``hessian_out=raw``,
or the soft targets) gives what new outputs give, and the same errors.

The kernels write a block's outputs before they have read all of its inputs (the gathering
kernels write a row before they check its label), and error messages read a row's margins
after the kernel ran: every loss reads a copy of an input that shares memory with an output
(``_inputs.unshared``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import boostobj as bo
from boostobj import _inputs
from boostobj.grouped import GroupedSoftmaxLoss

N = 700  # rows in three blocks of the kernels' 256
BAD_ROW = 300  # in the second block: the first block is written before the error is found


def softmax_ce(f, classes, y):
    return np.log(np.sum(np.exp(f))) - f[y]


def _margins(rng, k, valid_share, dtype=np.float64, order="C"):
    raw = rng.normal(size=(N, k))
    invalid = rng.random((N, k)) >= valid_share
    invalid[:, 0] = False  # class 0 valid everywhere: the label of every row but one
    raw[invalid] = -1e30
    return np.asarray(raw.astype(dtype), order=order), invalid


_rng = np.random.default_rng(0)
_LABELS = (_rng.random((N, 6)) < 0.5).astype(float)
_CHOSEN = np.zeros(N)
_CHOSEN[[0, N // 2]] = 1.0
_Y = np.zeros(N, dtype=np.int64)

_PROBABILITY = bo.make_loss(lambda q: -np.log(q), of="label_probability")

# name: (loss, y_true, whether the margins carry the mask, one margin per row)
CALLS = {
    "softmax": (bo.SoftmaxLoss(), _Y, True, False),
    "softmax, ClassMask": (bo.SoftmaxLoss(), _Y, True, False),
    "focal": (bo.FocalLoss(), _Y, True, False),
    "smoothing": (bo.LabelSmoothingLoss(0.1), _Y, True, False),
    "custom, margins": (bo.make_loss(softmax_ce), _Y, True, False),
    "custom, label probability": (_PROBABILITY, _Y, True, False),
    "grouped": (GroupedSoftmaxLoss([3, 3]), np.zeros((N, 2), int), False, False),
    "multilabel": (bo.MultiLabelLoss(), _LABELS, False, False),
    "binary": (bo.BinaryLogLoss(), _LABELS[:, 0], False, True),
    "binary focal": (bo.BinaryFocalLoss(), _LABELS[:, 0], False, True),
    "choice": (bo.ChoiceLoss(), _CHOSEN, False, True),
}


def _call(name, raw, **outputs):
    loss, y, _, _ = CALLS[name]
    if name == "softmax, ClassMask":
        outputs["mask"] = np.asarray(raw) > -1e29
    if name == "choice":
        outputs["group"] = [N // 2] * 2
    return loss.gradient_hessian(y, raw, **outputs)


@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CALLS))
def test_writing_over_the_margins_gives_what_new_outputs_give(name, dtype, order, out):
    _, _, masked, flat = CALLS[name]
    raw, _ = _margins(np.random.default_rng(1), 6, 0.5 if masked else 1.0, dtype, order)
    if flat:
        raw = np.ascontiguousarray(raw[:, 0])
    expected = _call(name, raw.copy())
    raw_and_out = raw.copy()
    other = "hessian_out" if out == "gradient_out" else "gradient_out"
    got = _call(name, raw_and_out, **{out: raw_and_out, other: np.empty_like(raw)})
    assert got[0 if out == "gradient_out" else 1] is raw_and_out
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


LABEL_LOSSES = {
    "softmax": bo.SoftmaxLoss(),
    "focal": bo.FocalLoss(),
    "smoothing": bo.LabelSmoothingLoss(0.1),
    "custom, margins": bo.make_loss(softmax_ce),
    "custom, label probability": _PROBABILITY,
}


@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
@pytest.mark.parametrize(
    ("k", "valid_share"),
    [(6, 0.5), (24, 0.1)],
    ids=["K=6, half valid (dense kernels)", "K=24, a tenth valid (gathering kernels)"],
)
@pytest.mark.parametrize("name", list(LABEL_LOSSES))
def test_an_invalid_label_is_reported_with_the_rows_own_classes(name, k, valid_share, out):
    """Row 300's label is one of its invalid classes. Written over its own margins, a call
    used to name classes read from the overwritten block: the label's class among them."""
    loss = LABEL_LOSSES[name]
    raw, invalid = _margins(np.random.default_rng(2), k, valid_share)
    y = _Y.copy()
    y[BAD_ROW] = np.flatnonzero(invalid[BAD_ROW])[0]
    valid = np.flatnonzero(~invalid[BAD_ROW]).tolist()
    message = f"y_true: the label {y[BAD_ROW]} of row {BAD_ROW} is not one of its valid classes {valid}"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        loss.gradient_hessian(y, raw.copy())
    raw_and_out = raw.copy()
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        loss.gradient_hessian(y, raw_and_out, **{out: raw_and_out})


@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
def test_writing_over_the_soft_targets_gives_what_new_outputs_give(out):
    rng = np.random.default_rng(3)
    targets = rng.random((N, 6))
    targets /= targets.sum(axis=1, keepdims=True)
    raw = rng.normal(size=(N, 6))
    expected = bo.LabelSmoothingLoss(0.1).gradient_hessian(targets, raw)
    targets_and_out = targets.copy()
    got = bo.LabelSmoothingLoss(0.1).gradient_hessian(targets_and_out, raw, **{out: targets_and_out})
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_only_a_shared_input_is_copied():
    """Outputs apart from the margins: the kernels read the caller's margins themselves."""
    raw = np.zeros((3, 2))
    grad, hess = np.empty((3, 2)), np.empty((3, 2))
    assert _inputs.unshared(raw, grad, hess) is raw
    copied = _inputs.unshared(raw, raw, hess)
    assert copied is not raw and not np.shares_memory(copied, raw)
    f_order = np.asfortranarray(raw)
    assert _inputs.unshared(f_order, grad, f_order[:, :1]).flags.f_contiguous
