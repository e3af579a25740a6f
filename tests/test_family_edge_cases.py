"""Edge cases of the objectives' output reuse and the family's kernels, each once a bug.

Each test states what should happen; each failed when written.
"""

from __future__ import annotations

import numpy as np
import pytest

import boostobj
from boostobj.choice import ChoiceLoss
from boostobj.grouped import GroupedSoftmaxLoss
from boostobj.multilabel import MultiLabelLoss


@pytest.mark.parametrize("make", [boostobj.xgboost_objective, boostobj.lightgbm_objective])
@pytest.mark.parametrize("loss", [boostobj.BinaryLogLoss(), boostobj.BinaryFocalLoss()], ids=type)
def test_one_margin_objectives_take_n_by_1_margins(make, loss):
    # check_margin_shape accepts (n, 1) for a one-margin loss, and the loss itself does too;
    # the objective takes its reused output arrays in the margins' (n, 1) shape, which the loss
    # (working on (n,)) refuses: "gradient_out: expected shape (4,); got (4, 1)", naming an
    # argument the caller never passed. XGBoostObjective accepted this before the reuse.
    y = np.array([0, 1, 1, 0])
    raw = np.zeros((4, 1), np.float32)
    grad, hess = make(loss)(y, raw)
    expected = loss.for_backend(make().backend).gradient_hessian(y, raw[:, 0])
    np.testing.assert_allclose(np.ravel(grad), expected[0], rtol=1e-6)
    np.testing.assert_allclose(np.ravel(hess), expected[1], rtol=1e-6)


def test_choice_objective_takes_n_by_1_margins():
    y = np.array([1.0, 0.0, 0.0, 1.0])
    raw = np.zeros((4, 1), np.float32)
    grad, _ = boostobj.xgboost_objective(ChoiceLoss())(raw, _FakeDMatrix(y, [0, 2, 4]))
    np.testing.assert_allclose(np.ravel(grad), [-0.5, 0.5, 0.5, -0.5])


class _FakeDMatrix:
    """Just what the XGBoost objective reads from a DMatrix with groups."""

    def __init__(self, label, group_ptr):
        self._label, self._ptr = np.asarray(label, np.float32), np.asarray(group_ptr)

    def get_label(self):
        return self._label

    def get_weight(self):
        return np.zeros(0, np.float32)

    def get_uint_info(self, name):
        assert name == "group_ptr"
        return self._ptr.astype(np.uint32)


@pytest.mark.parametrize("dtype", [np.float16, ">f4", ">f8", ">i8", np.longdouble], ids=str)
def test_grouped_label_codes_of_any_real_dtype(dtype):
    # decode_label_codes (numba) is now run on the codes as given: float16 raises
    # NotImplementedError, big-endian and long double a numba TypingError (neither a
    # ValueError nor a TypeError); the Python decoding before accepted all of them.
    loss = GroupedSoftmaxLoss([3, 2])
    y = np.array([[0, 1], [2, 0], [1, 1], [0, 0]])
    raw = np.random.default_rng(0).normal(size=(4, 5))
    expected = loss.gradient_hessian(y, raw)
    got = loss.gradient_hessian(loss.encode_labels(y).astype(dtype), raw)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_multilabel_codes_of_more_than_63_classes_are_refused_or_right():
    # The kernel reads target j as (code >> j) & 1 on int64: for j >= 64 the shift wraps
    # (x86), so code 1 (only class 0 positive) also makes class 64 positive, silently.
    # decode_labels (NumPy) says class 64 is 0: the loss disagrees with its own decoding.
    k = 70
    loss = MultiLabelLoss()
    codes = np.array([1.0])
    try:
        grad, _ = loss.gradient_hessian(codes, np.zeros((1, k)))
    except ValueError:
        return  # refusing codes that cannot hold K bits is fine
    targets = loss.decode_labels(codes, k)[0]
    positives = np.flatnonzero(grad[0] < 0)
    assert positives.tolist() == np.flatnonzero(targets).tolist() == [0]


def test_choice_share_sum_error_shows_a_sum_that_is_not_1():
    # A sum off by 2e-6 (beyond the 1e-6 tolerance) is reported with {:g}, i.e. as
    # "summing to 1; each group needs ... shares summing to 1".
    with pytest.raises(ValueError) as info:
        ChoiceLoss().gradient_hessian([0.5, 0.5 + 2e-6, 1.0], np.zeros(3), group=[2, 1])
    assert "summing to 1;" not in str(info.value)
