"""Masked multi-label classification: one logistic loss per (row, class), over the pairs
that are observed.

Each row carries ``K`` yes/no targets (tags of an item, findings of a scan). Often some
pairs are unknown (a tag nobody checked): they must not count as "no". The mask says
which (row, class) pairs are observed, in any form ``ClassMask.coerce`` reads, or as the
``-1e30`` offset in the data set's start margins (so it travels with the rows, as for the
conditional softmax); unobserved pairs get gradient 0 and the Hessian floor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _inputs
from ._kernels import binary as _bk
from ._kernels import multilabel as _mk
from ._kernels import softmax as _sm
from .losses import Loss, _check_backend

__all__ = ["MultiLabelLoss"]

#: Classes whose targets travel exactly as the bits of one float32 code per row.
MAX_CODE_BITS = 24


class MultiLabelLoss(Loss):
    """Sum of weighted binary log-losses over the observed (row, class) pairs.

    With ``p_ij = sigmoid(f_ij)``, targets ``y_ij`` in {0, 1} and, on observed pairs,
    ``w_ij = sample_weight_i * class_weight_j * (pos_weight_j if y_ij == 1 else 1)``::

        loss_i  = sum_j w_ij (-(y_ij log p_ij + (1 - y_ij) log(1 - p_ij)))
        grad_ij = w_ij (p_ij - y_ij),   hess_ij = max(w_ij p_ij (1 - p_ij), floor)

    and ``grad = 0, hess = floor`` on unobserved pairs.

    Parameters
    ----------
    pos_weight : float or array-like of shape (K,), default=1.0
        Extra weight of the positive targets of each class (PyTorch's ``pos_weight``).
    class_weight : None or array-like of shape (K,), default=None
        Weight of each class.
    hessian_floor : float or None, default=None
        Lower bound of the Hessian; ``None``: 1e-16, or 0 when plugged into LightGBM
        (as :class:`BinaryLogLoss`).

    Notes
    -----
    Targets ``y`` are (n, K). Through the backends' data sets they travel as one code per
    row whose bits are the targets (:meth:`encode_labels`), exact in float32 for up to 24
    classes.

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj.multilabel import MultiLabelLoss
    >>> y = np.array([[1, 0, 1], [0, 0, 1]])
    >>> observed = np.array([[True, True, True], [True, False, True]])
    >>> grad, hess = MultiLabelLoss().gradient_hessian(y, np.zeros((2, 3)), mask=observed)
    >>> grad
    array([[-0.5,  0.5, -0.5],
           [ 0.5,  0. , -0.5]])
    """

    is_multiclass = True
    name = "multilabel-logloss"

    def __init__(
        self, pos_weight: Any = 1.0, class_weight: Any = None, hessian_floor: float | None = None
    ) -> None:
        _check_per_class(pos_weight, "pos_weight")
        if class_weight is not None:
            _check_per_class(class_weight, "class_weight")
        if hessian_floor is not None:
            _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)
        self.pos_weight = pos_weight
        self.class_weight = class_weight
        self.hessian_floor = hessian_floor

    def for_backend(self, backend: str) -> MultiLabelLoss:
        _check_backend(backend)
        if self.hessian_floor is not None:
            return self
        return type(self)(**{**self.get_params(), "hessian_floor": 1e-16 if backend == "xgboost" else 0.0})

    # ------------------------------------------------------------------ labels
    def encode_labels(self, y: Any) -> np.ndarray:
        """(n, K) targets as one code per row, shape (n,): ``sum_j y_j 2**j`` (K <= 24)."""
        targets = _targets(y, None)
        k = targets.shape[1]
        if k > MAX_CODE_BITS:
            raise ValueError(
                f"y: {k} classes do not travel as the bits of one float32 code per row (at most "
                f"{MAX_CODE_BITS}); bind the targets to the objective instead: "
                f"xgboost_objective(loss, targets=y) / lightgbm_objective(loss, targets=y)"
            )
        return (targets.astype(np.int64) << np.arange(k)).sum(axis=1).astype(np.float64)

    def decode_labels(self, codes: Any, n_classes: int) -> np.ndarray:
        """Codes from :meth:`encode_labels` back to (n, K) targets."""
        arr = _check_codes(codes, n_classes)
        return ((arr[:, None] >> np.arange(n_classes)) & 1).astype(np.float64)

    def backend_labels(self, y: Any, n_rows: int, mask: Any) -> np.ndarray:
        """Targets as the backends' data sets carry them (one code per row)."""
        arr = np.asarray(y)
        if arr.ndim != 2 or arr.shape[0] != n_rows:
            raise ValueError(f"y: expected multi-label targets of shape ({n_rows}, K); got {arr.shape}")
        return self.encode_labels(arr)

    # ------------------------------------------------------------------ the loss
    accepts_soft_targets = True  # targets (n, K) may be bound to an objective (targets=)

    def _batch(self, y_true: Any, raw_prediction: Any, sample_weight: Any, mask: Any) -> tuple:
        """The kernels' arguments after ``raw``: labels, weights, mask (no (n, K) temporaries
        beyond the targets when they come as an (n, K) array)."""
        raw = _inputs.check_raw_prediction(raw_prediction, multiclass=True)
        n, k = raw.shape
        arr = np.asarray(y_true)
        if arr.ndim == 1:
            codes, targets, use_codes = _check_codes(arr, k), _NO_TARGETS, True
        else:
            codes, targets, use_codes = _NO_CODES, _targets(arr, (n, k)).astype(np.uint8), False
        sw = _inputs.check_sample_weight(sample_weight, n)
        sample = np.ones(n) if sw is None else sw
        per_class = (
            np.ones(k) if self.class_weight is None else _per_class(self.class_weight, k, "class_weight")
        )
        positive = _per_class(self.pos_weight, k, "pos_weight")
        cmask = _inputs.check_mask(mask, n, k)
        indptr = _NO_INDPTR if cmask is None else cmask.indptr
        indices = _NO_INDICES if cmask is None else cmask.indices
        largest = sample.max(initial=0.0) * per_class.max() * max(positive.max(), 1.0)
        return (
            raw,
            (codes, targets, use_codes, sample, per_class, positive, indptr, indices, cmask is None),
            largest,
        )

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
        """Gradient and Hessian with respect to the (n, K) margins.

        Parameters
        ----------
        y_true : array-like of shape (n, K) (0/1 targets), or (n,) codes of :meth:`encode_labels`
        raw_prediction : array-like of shape (n, K)
        sample_weight : array-like of shape (n,), optional
        mask : mask-like, optional
            Observed pairs (True); ``None``: pairs whose margin is ``<= -1e29`` are unobserved.
        gradient_out, hessian_out : ndarray of shape (n, K), optional
            Where to write (float32 or float64); default: new arrays. Either may be
            ``raw_prediction`` itself: the call then reads a copy of the margins.

        Returns
        -------
        gradient, hessian : ndarray of shape (n, K)
        """
        raw, args, largest = self._batch(y_true, raw_prediction, sample_weight, mask)
        grad, hess, raw = _inputs.outputs(gradient_out, hessian_out, raw, np.array([largest]))
        floor = 1e-16 if self.hessian_floor is None else float(self.hessian_floor)
        if args[-1]:  # observed pairs read from the margins: the dense kernel
            kernel, args = _mk.multilabel_grad_hess_dense, args[:6]  # targets and weights, no CSR
        else:
            kernel, args = _mk.multilabel_grad_hess, args[:-1]  # and the CSR mask
        status, row = _inputs.run_rows(kernel, raw.shape[0], raw.shape[1], raw, *args, floor, grad, hess)
        if status != _sm.OK:
            _inputs.raise_for_status(status, row)
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row weighted loss summed over the observed classes, shape (n,), float64."""
        raw, args, _ = self._batch(y_true, raw_prediction, sample_weight, mask)
        out = np.empty(raw.shape[0])
        status, row = _inputs.run_rows(_mk.multilabel_loss, raw.shape[0], raw.shape[1], raw, *args, out)
        if status != _sm.OK:
            _inputs.raise_for_status(status, row)
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """``sigmoid(f)`` per (row, class), shape (n, K); NaN on unobserved pairs of ``mask``."""
        raw = _inputs.check_raw_prediction(raw_prediction, multiclass=True)
        flat = np.ascontiguousarray(raw, dtype=np.float64).reshape(-1)
        p = np.empty(flat.size)
        status, where = _inputs.run_rows(_bk.sigmoid_array, flat.size, 1, flat, p)
        _raise(status, where, raw.shape, "C")
        p = p.reshape(raw.shape)
        if mask is not None:
            observed = _inputs.check_mask(mask, raw.shape[0], raw.shape[1]).to_dense()
            p = np.where(observed, p, np.nan)
        return p

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """Per-class log-odds of the weighted positive rate over observed pairs, shape (K,)."""
        arr = np.asarray(y_true)
        targets = self.decode_labels(arr, n_classes) if arr.ndim == 1 and n_classes else _targets(arr, None)
        n, k = targets.shape
        sw = _inputs.check_sample_weight(sample_weight, n)
        w = np.ones((n, k)) if sw is None else np.repeat(sw[:, None], k, axis=1)
        if self.class_weight is not None:
            w = w * np.asarray(self.class_weight, dtype=np.float64)
        w = np.where(targets == 1.0, w * np.asarray(self.pos_weight, dtype=np.float64), w)
        if mask is not None:
            w = np.where(_inputs.check_mask(mask, n, k, what="y_true").to_dense(), w, 0.0)
        positive, total = (w * targets).sum(axis=0), w.sum(axis=0)
        eps = np.finfo(np.float64).eps
        rate = np.clip(np.where(total > 0, positive / np.where(total > 0, total, 1.0), 0.5), eps, 1 - eps)
        return np.log(rate / (1 - rate))


_NO_CODES = np.zeros(0, dtype=np.int64)
_NO_TARGETS = np.zeros((0, 0), dtype=np.uint8)
_NO_INDPTR = np.zeros(1, dtype=np.int64)
_NO_INDICES = np.zeros(0, dtype=np.int32)


#: Bits of a code in the kernels' int64 (bit 63 is the sign).
MAX_INT_CODE_BITS = 63


def _check_codes(codes: Any, n_classes: int) -> np.ndarray:
    """Target codes (see ``MultiLabelLoss.encode_labels``) as int64, checked."""
    arr = np.asarray(codes)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        raise ValueError(f"y_true: expected (n, {n_classes}) targets or (n,) codes; got shape {arr.shape}")
    if n_classes > MAX_INT_CODE_BITS:
        raise ValueError(
            f"y_true: (n,) codes hold at most {MAX_INT_CODE_BITS} classes' targets (the bits of an int64); "
            f"got codes for {n_classes} classes: give the (n, {n_classes}) targets instead"
        )
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr >= 2.0**n_classes)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y_true: expected (n, {n_classes}) targets or (n,) codes of {n_classes} bits; "
            f"row {row} has {arr[row].item()!r}"
        )
    return arr.astype(np.int64)


def _per_class(value: Any, k: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(k, float(arr))
    if arr.shape != (k,):
        raise ValueError(f"{name}: expected a number or {k} numbers, one per class; got shape {arr.shape}")
    return arr


def _targets(y: Any, shape: tuple | None) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 2 or (shape is not None and arr.shape != shape):
        raise ValueError(
            f"y_true: expected 0/1 targets of shape {shape if shape else '(n, K)'}; got shape {arr.shape}"
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"y_true: expected 0/1 targets; got dtype {arr.dtype}")
    out = arr.astype(np.float64)
    bad = (out != 0.0) & (out != 1.0)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"y_true: expected 0/1 targets; row {row}, class {col} has {arr[row, col].item()!r}")
    return out


def _check_per_class(value: Any, name: str) -> None:
    arr = np.asarray(value, dtype=np.float64) if not isinstance(value, str) else np.array([np.nan])
    if arr.ndim > 1 or not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name}: expected a number or one number per class, finite and >= 0; got {value!r}")


def _raise(status: int, where: int, shape: tuple, order: str) -> None:
    if status == _sm.OK:
        return
    row = int(np.unravel_index(where, shape, order=order)[0])
    _inputs.raise_for_status(status, row)
