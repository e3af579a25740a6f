"""Label smoothing and soft (probability) targets over each row's valid classes."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _inputs
from ._kernels import targets as _tk
from .losses import Loss, SoftmaxLoss, masked_softmax
from .masks import INVALID_BELOW

__all__ = ["LabelSmoothingLoss"]

_NO_TARGETS = np.zeros((0, 0))
#: Tolerance on a soft-target row's sum.
TARGET_SUM_TOL = 1e-6


class LabelSmoothingLoss(Loss):
    """Softmax cross-entropy against smoothed labels, or against soft targets.

    Row ``i``'s target over its valid classes ``V_i`` is ``(1 - epsilon) base + epsilon /
    |V_i|``: the smoothing mass goes to the valid classes only (never to a class the row
    cannot take). ``base`` is the one-hot label, or, when ``y_true`` is an (n, K)
    probability matrix (soft targets, e.g. a teacher's predictions for distillation), that
    row of the matrix. Gradient ``w (p - t)``; the Hessian diagonal is ``SoftmaxLoss``'s
    (it does not depend on the targets), with the same conventions.

    Parameters
    ----------
    epsilon : float, default=0.1
        Smoothing mass, ``0 <= epsilon < 1``; 0 gives ``SoftmaxLoss`` (or plain soft targets).
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        As in :class:`SoftmaxLoss`.
    hessian_floor : float or None, default=None
        As in :class:`SoftmaxLoss`.
    class_weight : None, "balanced", dict or array-like of shape (K,), default=None
        As in :class:`SoftmaxLoss`; needs labels, not soft targets.
    ignore_index : int or None, default=None
        As in :class:`SoftmaxLoss`; needs labels, not soft targets.

    Notes
    -----
    Soft targets must be finite, non-negative, sum to 1 in each row (within 1e-6) and
    put no mass on a row's invalid classes. They work through the direct API
    (``gradient_hessian(targets, raw)``) and through the adapters bound to the training
    rows' targets: ``xgboost_objective(loss, targets=T)``, ``lightgbm_objective(loss,
    targets=T)`` (the backends' labels are 1-D).

    Examples
    --------
    A row with three valid classes and label 0: the target is ``0.9 + 0.1 / 3`` on the
    label and ``0.1 / 3`` on the two other valid classes, nothing on the invalid one:

    >>> import numpy as np
    >>> from boostobj import ClassMask, LabelSmoothingLoss
    >>> mask = ClassMask.from_lists([[0, 1, 2]], n_classes=4)
    >>> grad, _ = LabelSmoothingLoss(epsilon=0.1).gradient_hessian([0], np.zeros((1, 4)), mask=mask)
    >>> np.round(grad, 4)  # p - target, p = 1/3 on the valid classes
    array([[-0.6,  0.3,  0.3,  0. ]])
    """

    is_multiclass = True
    name = "label_smoothing"
    #: ``y_true`` may be an (n, K) probability matrix (and adapters may bind one: ``targets=``).
    accepts_soft_targets = True

    def __init__(
        self,
        epsilon: float = 0.1,
        hessian: str = "auto",
        hessian_floor: float | None = None,
        class_weight: Any = None,
        ignore_index: int | None = None,
    ) -> None:
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not np.isfinite(epsilon):
            raise TypeError(f"epsilon: expected a finite real number; got {epsilon!r}")
        if not 0.0 <= epsilon < 1.0:
            raise ValueError(f"epsilon: expected 0 <= epsilon < 1; got {epsilon!r}")
        self._softmax = SoftmaxLoss(hessian, hessian_floor, class_weight, ignore_index)  # validates these
        self.epsilon = epsilon
        self.hessian = hessian
        self.hessian_floor = hessian_floor
        self.class_weight = class_weight
        self.ignore_index = ignore_index

    def for_backend(self, backend: str) -> LabelSmoothingLoss:
        resolved = self._softmax.for_backend(backend)
        if resolved is self._softmax:
            return self
        return type(self)(**{**self.get_params(), "hessian": resolved.hessian})

    def _batch(self, y_true: Any, raw_prediction: Any, sample_weight: Any, mask: Any):
        """``(batch, targets, use_targets)`` for one call."""
        y_arr = None if y_true is None else np.asarray(y_true)
        if y_arr is None or y_arr.ndim != 2 or y_arr.shape[1] == 1:  # labels
            batch = _inputs.multiclass_batch(
                y_true, raw_prediction, sample_weight, mask, self.class_weight, ignore_index=self.ignore_index
            )
            return batch, _NO_TARGETS, False
        if self.class_weight is not None:
            raise ValueError(
                "class_weight: needs labels; with soft targets weight the rows with sample_weight"
            )
        batch = _inputs.multiclass_batch(None, raw_prediction, sample_weight, mask, need_labels=False)
        targets = _check_targets(y_arr, batch)
        batch.y = np.zeros(batch.n_rows, dtype=np.int64)  # unused with soft targets
        return batch, targets, True

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
        """Gradient and Hessian diagonal, each (n, K). ``y_true``: labels (n,) or targets (n, K)."""
        batch, targets, use_targets = self._batch(y_true, raw_prediction, sample_weight, mask)
        grad, hess, batch.raw = _inputs.outputs(gradient_out, hessian_out, batch.raw, batch.weight)
        targets = _inputs.unshared(targets, grad, hess)
        scale, floor = self._softmax._hessian_scale_floor(batch.n_classes)
        batch.run(
            _tk.target_grad_hess,
            batch.raw,
            batch.y,
            targets,
            use_targets,
            float(self.epsilon),
            batch.weight,
            batch.indptr,
            batch.indices,
            batch.from_margin,
            scale,
            floor,
            grad,
            hess,
        )
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row ``w * -sum_j t_j log p_j``, shape (n,), float64."""
        batch, targets, use_targets = self._batch(y_true, raw_prediction, sample_weight, mask)
        out = np.empty(batch.n_rows)
        batch.run(
            _tk.target_loss,
            batch.raw,
            batch.y,
            targets,
            use_targets,
            float(self.epsilon),
            batch.weight,
            batch.indptr,
            batch.indices,
            batch.from_margin,
            out,
        )
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """Softmax over each row's valid classes, shape (n, K)."""
        return masked_softmax(raw_prediction, mask=mask)

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """The masked class-prior intercept of the labels (``SoftmaxLoss``'s), shape (K,)."""
        if np.ndim(y_true) == 2:
            raise ValueError(
                "y_true: the intercept is estimated from labels; pass the argmax of soft targets"
            )
        return self._softmax.init_raw_prediction(
            y_true, sample_weight=sample_weight, mask=mask, n_classes=n_classes
        )


def _check_targets(targets: np.ndarray, batch: _inputs.MulticlassBatch) -> np.ndarray:
    """Soft targets as a float64 C-contiguous (n, K) array, validated against the mask."""
    if targets.shape != batch.raw.shape:
        raise ValueError(
            f"y_true: soft targets must have the margins' shape {batch.raw.shape}; got {targets.shape}"
        )
    if targets.dtype.kind not in "iuf":
        raise TypeError(f"y_true: soft targets must be real numbers; got dtype {targets.dtype}")
    targets = np.ascontiguousarray(targets, dtype=np.float64)
    bad = ~np.isfinite(targets) | (targets < 0)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0])
        raise ValueError(
            f"y_true: soft targets must be finite and >= 0; row {row} has {targets[row].tolist()}"
        )
    sums = targets.sum(axis=1)
    off = np.abs(sums - 1.0) > TARGET_SUM_TOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"y_true: each row of soft targets must sum to 1; row {row} sums to {sums[row].item()!r}"
        )
    invalid = ~batch.mask.to_dense() if batch.mask is not None else batch.raw <= INVALID_BELOW
    leak = (targets > 0) & invalid
    if leak.any():
        row, col = (int(v) for v in np.argwhere(leak)[0])
        raise ValueError(
            f"y_true: soft targets put mass {targets[row, col].item()!r} on class {col}, invalid in row {row}"
        )
    return targets
