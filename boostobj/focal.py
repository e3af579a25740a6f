"""Focal loss (Lin et al., 2017) for masked multiclass and binary boosting.

``loss = -alpha_y (1 - q)^gamma log q``, ``q`` the probability of the label (the softmax
over the row's valid classes, or the sigmoid of one margin). The gradient is exact. Its
exact Hessian diagonal is negative for a large share of entries (about 18% of them under
random logits at ``gamma = 2``), and a Newton step with a negative Hessian moves the
wrong way, so the default Hessian is a positive surrogate: the softmax cross-entropy
Hessian with the focal factor ``(1 - q)^gamma (1 - gamma q log(q) / (1 - q)) >= (1 - q)^gamma``
frozen as a sample weight, i.e. a Gauss-Newton step. Both reduce to the cross-entropy's
(``SoftmaxLoss(hessian="exact")``, ``BinaryLogLoss``) at ``gamma = 0``. Formulas and their
numerically safe forms: ``boostobj/_kernels/focal.py``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _inputs
from ._kernels import focal as _fk
from .losses import BinaryLogLoss, Loss, SoftmaxLoss, masked_softmax

__all__ = ["FocalLoss", "BinaryFocalLoss"]

_HESSIANS = ("positive", "exact")


def _check_focal_params(gamma: Any, hessian: Any, hessian_floor: Any) -> None:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not np.isfinite(gamma):
        raise TypeError(f"gamma: expected a finite real number; got {gamma!r}")
    if gamma < 0:
        raise ValueError(f"gamma: expected gamma >= 0; got {gamma!r}")
    if hessian not in _HESSIANS:
        raise ValueError(f"hessian: expected one of {list(_HESSIANS)}; got {hessian!r}")
    _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)


class FocalLoss(Loss):
    """Focal loss of the softmax over each row's valid classes.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``gamma >= 0``; 0 gives the softmax cross-entropy.
    alpha : None, "balanced", dict or array-like of shape (K,), default=None
        Per-class weights ``alpha_y`` (as ``SoftmaxLoss``'s ``class_weight``).
    hessian : {"positive", "exact"}, default="positive"
        "positive": ``w (-A) p_j (1 - p_j) > 0`` (see the module docstring), floored at
        ``hessian_floor``; "exact": the true diagonal, which can be negative (and is
        then not floored: a backend given negative Hessians may diverge).
    hessian_floor : float, default=1e-16
        Lower bound of the positive Hessian, also the Hessian of invalid classes.
    ignore_index : int or None, default=None
        A label meaning "no label": such rows contribute nothing (as in :class:`SoftmaxLoss`).

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import FocalLoss, SoftmaxLoss
    >>> raw, y = np.array([[2.0, 0.0, -1.0]]), np.array([1])
    >>> g_focal = FocalLoss(gamma=0.0).gradient_hessian(y, raw)[0]
    >>> g_ce = SoftmaxLoss(hessian="exact").gradient_hessian(y, raw)[0]
    >>> bool(np.allclose(g_focal, g_ce))
    True
    """

    is_multiclass = True
    name = "focal"

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: Any = None,
        hessian: str = "positive",
        hessian_floor: float = 1e-16,
        ignore_index: int | None = None,
    ) -> None:
        _check_focal_params(gamma, hessian, hessian_floor)
        _inputs.check_class_weight_spec(alpha, name="alpha")
        self.gamma = gamma
        self.alpha = alpha
        self.hessian = hessian
        self.hessian_floor = hessian_floor
        self.ignore_index = _inputs.check_ignore_index(ignore_index)

    def gradient_hessian(
        self,
        y_true: Any,
        raw_prediction: Any,
        *,
        sample_weight: Any = None,
        mask: Any = None,
        gradient_out: np.ndarray | None = None,
        hessian_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian diagonal, each of shape (n, K); see :class:`SoftmaxLoss`."""
        batch = _inputs.multiclass_batch(
            y_true, raw_prediction, sample_weight, mask, self.alpha, ignore_index=self.ignore_index
        )
        grad, hess, batch.raw = _inputs.outputs(gradient_out, hessian_out, batch.raw, batch.weight)
        batch.run(
            _fk.focal_grad_hess,
            batch.raw,
            batch.y,
            batch.weight,
            batch.indptr,
            batch.indices,
            batch.from_margin,
            float(self.gamma),
            self.hessian == "exact",
            float(self.hessian_floor),
            grad,
            hess,
        )
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row ``-w alpha_y (1 - q)^gamma log q``, shape (n,), float64."""
        batch = _inputs.multiclass_batch(
            y_true, raw_prediction, sample_weight, mask, self.alpha, ignore_index=self.ignore_index
        )
        out = np.empty(batch.n_rows)
        batch.run(
            _fk.focal_loss,
            batch.raw,
            batch.y,
            batch.weight,
            batch.indptr,
            batch.indices,
            batch.from_margin,
            float(self.gamma),
            out,
        )
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """Softmax over each row's valid classes, shape (n, K)."""
        return masked_softmax(raw_prediction, mask=mask)

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """The masked class-prior intercept, as :meth:`SoftmaxLoss.init_raw_prediction`."""
        prior = SoftmaxLoss(class_weight=self.alpha, ignore_index=self.ignore_index)
        return prior.init_raw_prediction(y_true, sample_weight=sample_weight, mask=mask, n_classes=n_classes)


class BinaryFocalLoss(Loss):
    """Focal loss of one margin per row, ``q = sigmoid((2 y - 1) f)``.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``gamma >= 0``; 0 gives the binary log-loss.
    alpha : None, float in (0, 1), dict or array-like of shape (2,), default=None
        A float is RetinaNet's convention: ``alpha`` for positives, ``1 - alpha`` for
        negatives.
        Per-class weights otherwise (as ``SoftmaxLoss``'s ``class_weight``).
    hessian : {"positive", "exact"}, default="positive"
        As in :class:`FocalLoss`.
    hessian_floor : float, default=1e-16
        Lower bound of the positive Hessian.

    Examples
    --------
    At ``gamma = 0`` the binary focal loss is the binary log-loss:

    >>> import numpy as np
    >>> from boostobj import BinaryFocalLoss, BinaryLogLoss
    >>> raw, y = np.array([2.0, -1.0]), np.array([1, 1])
    >>> bool(np.allclose(BinaryFocalLoss(gamma=0.0).loss(y, raw), BinaryLogLoss().loss(y, raw)))
    True
    """

    is_multiclass = False
    name = "binary_focal"

    def __init__(
        self, gamma: float = 2.0, alpha: Any = None, hessian: str = "positive", hessian_floor: float = 1e-16
    ) -> None:
        _check_focal_params(gamma, hessian, hessian_floor)
        if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
            if not 0.0 < alpha < 1.0:
                raise ValueError(f"alpha: a single alpha must lie in (0, 1); got {alpha!r}")
        else:
            _inputs.check_class_weight_spec(alpha, name="alpha")
        self.gamma = gamma
        self.alpha = alpha
        self.hessian = hessian
        self.hessian_floor = hessian_floor

    def _class_weight(self) -> Any:
        if isinstance(self.alpha, numbers.Real) and not isinstance(self.alpha, bool):
            return np.array([1.0 - self.alpha, self.alpha])
        return self.alpha

    def gradient_hessian(
        self,
        y_true: Any,
        raw_prediction: Any,
        *,
        sample_weight: Any = None,
        mask: Any = None,
        gradient_out: np.ndarray | None = None,
        hessian_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian, each of shape (n,)."""
        raw, y, w = _inputs.binary_batch(
            y_true, raw_prediction, sample_weight, mask, self._class_weight(), name="alpha"
        )
        grad, hess, raw = _inputs.outputs(gradient_out, hessian_out, raw, w)
        _inputs.run_binary(
            _fk.binary_focal_grad_hess,
            raw,
            y,
            w,
            float(self.gamma),
            self.hessian == "exact",
            float(self.hessian_floor),
            grad,
            hess,
        )
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row weighted focal loss, shape (n,)."""
        raw, y, w = _inputs.binary_batch(
            y_true, raw_prediction, sample_weight, mask, self._class_weight(), name="alpha"
        )
        out = np.empty(raw.shape[0])
        _inputs.run_binary(_fk.binary_focal_loss, raw, y, w, float(self.gamma), out)
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """``[1 - p, p]`` per row, shape (n, 2)."""
        return BinaryLogLoss().predict_proba(raw_prediction, mask=mask)

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """Log-odds of the weighted positive rate, shape (1,)."""
        return BinaryLogLoss(class_weight=self._class_weight()).init_raw_prediction(
            y_true, sample_weight=sample_weight, mask=mask
        )
