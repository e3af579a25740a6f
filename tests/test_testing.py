"""check_objective: passes correct objectives, catches wrong ones and says where."""

from __future__ import annotations

import numpy as np
import pytest

import boostobj
from boostobj import BinaryFocalLoss, ClassMask, FocalLoss, LabelSmoothingLoss, SoftmaxLoss, check_objective

RNG = np.random.default_rng(0)
RAW = RNG.normal(size=(60, 4))
Y = np.arange(60) % 4


@pytest.mark.parametrize(
    "loss",
    [
        SoftmaxLoss(hessian="exact"),
        FocalLoss(gamma=2.0, hessian="exact"),
        LabelSmoothingLoss(0.2, hessian="exact"),
    ],
)
def test_exact_losses_pass(loss):
    mask = ClassMask.from_dense(np.tile([True, True, True, True], (60, 1)))
    result = check_objective(loss, Y, RAW, mask=mask, sample_weight=np.linspace(0.5, 2, 60))
    assert result.ok, str(result)
    assert result.gradient_error < 1e-7 and result.hessian_error < 1e-6


def test_binary_loss_passes():
    f = RNG.normal(size=80)
    y = np.arange(80) % 2
    assert check_objective(BinaryFocalLoss(gamma=1.5, hessian="exact"), y, f).ok


def test_conventions_and_surrogates_are_reported_as_not_the_exact_hessian():
    for loss in (SoftmaxLoss(hessian="xgboost"), FocalLoss(gamma=2.0)):  # 2x / positive surrogate
        result = check_objective(loss, Y, RAW)
        assert not result.ok
        assert result.gradient_error < 1e-7  # the gradients are exact
        assert result.worst[0]["quantity"] == "hessian"
        text = str(result)
        assert "FAILED" in text and "hessian" in text


def test_a_wrong_hand_written_objective_is_caught_with_its_worst_entries():
    def softmax(raw):
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss(y, raw):
        return -np.log(softmax(raw)[np.arange(len(y)), y])

    def wrong(y, raw):  # forgets the one-hot in the gradient of one class
        p = softmax(raw)
        grad = p.copy()
        grad[np.arange(len(y)), y] -= (y != 2).astype(float)
        return grad, p * (1 - p)

    result = check_objective(wrong, Y, RAW, loss=loss)
    assert not result.ok
    assert {e["class"] for e in result.worst if e["quantity"] == "gradient"} == {2}
    assert all(Y[e["row"]] == 2 for e in result.worst if e["quantity"] == "gradient")


def test_callable_without_loss_checks_only_the_hessian():
    loss = SoftmaxLoss(hessian="exact")
    result = check_objective(lambda y, r: loss.gradient_hessian(y, r), Y, RAW)
    assert result.ok and np.isnan(result.gradient_error)


def test_bad_arguments():
    with pytest.raises(TypeError, match="objective: expected a boostobj Loss or a callable"):
        check_objective("softmax", Y, RAW)
    with pytest.raises(ValueError, match="sample_weight, mask: only for boostobj losses"):
        check_objective(lambda y, r: (r, r), Y, RAW, mask=np.ones((60, 4), bool))
    with pytest.raises(ValueError, match=r"raw_prediction: expected shape \(n, K\) or \(n,\)"):
        check_objective(SoftmaxLoss(), Y, np.zeros((2, 2, 2)))
    assert isinstance(check_objective(SoftmaxLoss(hessian="exact"), Y, RAW), boostobj.ObjectiveCheck)
