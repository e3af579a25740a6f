"""Loss objects: validate inputs, allocate outputs, call a kernel.

One vocabulary, after scikit-learn's ``sklearn/_loss``: ``y_true``, ``raw_prediction``
(margins), ``sample_weight``, ``gradient_hessian()``, ``loss()``, ``predict_proba()``,
``init_raw_prediction()``. Capability flags on the class: ``is_multiclass``.

Masks: ``mask=None`` reads each row's valid classes from the margins (a class whose
margin is ``<= -1e29`` is invalid, as left by ``ClassMask.margin_offset``; with no
offset every class is valid); a ``ClassMask`` (or anything ``ClassMask.coerce``
accepts) names them explicitly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _inputs
from ._kernels import binary as _bk
from ._kernels import multiclass as _mk
from ._kernels import softmax as _sk
from ._params import ParamsMixin
from .masks import ClassMask

__all__ = ["Loss", "SoftmaxLoss", "BinaryLogLoss", "HESSIAN_CONVENTIONS"]

#: Hessian conventions of :class:`SoftmaxLoss`: name -> (description, default floor).
HESSIAN_CONVENTIONS = {
    "exact": ("p (1 - p) w, the true diagonal", 1e-16),
    "xgboost": ("max(2 p (1 - p) w, 1e-16), as XGBoost's multi:softprob", 1e-16),
    "lightgbm": ("K / (K - 1) p (1 - p) w with the global K, as LightGBM's multiclass", 0.0),
}
_BACKENDS = ("xgboost", "lightgbm")


class Loss(ParamsMixin):
    """Base class of boostobj's losses (the protocol the adapters rely on).

    Subclasses implement ``gradient_hessian``, ``loss``, ``predict_proba`` and
    ``init_raw_prediction``, and set ``is_multiclass`` and ``name``. To write a loss of
    your own, use :func:`make_loss` rather than subclassing.

    Examples
    --------
    >>> import boostobj
    >>> isinstance(boostobj.FocalLoss(), boostobj.Loss), boostobj.BinaryLogLoss.is_multiclass
    (True, False)
    """

    #: Whether margins are (n, K) (softmax-type losses) or (n,) (binary losses).
    is_multiclass: bool = True
    #: Short name, used as the metric name when the loss serves as an eval metric.
    name: str = "loss"

    def for_backend(self, backend: str) -> Loss:
        """This loss with its ``"auto"`` settings resolved for ``backend``.

        ``backend`` is ``"xgboost"`` or ``"lightgbm"``; losses without backend-dependent
        settings return themselves.
        """
        _check_backend(backend)
        return self

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
        raise NotImplementedError

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        raise NotImplementedError

    def mean_loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, **kwargs: Any
    ) -> float:
        """The weighted mean of :meth:`loss` (what the adapters report as a metric):
        ``sum(loss) / sum(sample_weight)`` (or the number of rows)."""
        per_row = self.loss(y_true, raw_prediction, sample_weight=sample_weight, **kwargs)
        sw = _inputs.check_sample_weight(sample_weight, per_row.size)
        counted = np.ones(per_row.size) if sw is None else sw
        ignore_index = getattr(self, "ignore_index", None)
        if ignore_index is not None and y_true is not None and np.ndim(y_true) == 1:
            counted = np.where(
                np.asarray(y_true) == ignore_index, 0.0, counted
            )  # ignored rows: not in the mean
        total = counted.sum()
        if total <= 0:
            raise ValueError("sample_weight: no row counts (every weight is 0 or every label ignored)")
        return float(per_row.sum() / total)

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        raise NotImplementedError


def _no_weight_error(n_rows: int) -> ValueError:
    """``init_raw_prediction``'s error for labels that carry no weight: no rows at all, or
    weights summing to zero."""
    if n_rows == 0:
        return ValueError("y_true: no rows (an empty array); cannot estimate an intercept")
    return ValueError("sample_weight: the weights sum to zero; cannot estimate an intercept")


class SoftmaxLoss(Loss):
    """Weighted cross-entropy of the softmax over each row's valid classes.

    For row ``i`` with valid classes ``V_i``, margins ``f_i`` and label ``y_i`` (which
    must lie in ``V_i``)::

        p_ij  = exp(f_ij) / sum_{k in V_i} exp(f_ik)     (j in V_i; 0 otherwise)
        loss_i = w_i * (-log p_{i, y_i}),   w_i = sample_weight_i * class_weight[y_i]
        grad_ij = w_i * (p_ij - [j == y_i])               (0 on invalid classes)
        hess_ij = max(c * w_i * p_ij * (1 - p_ij), hessian_floor)

    With a full mask this is the ordinary multiclass log-loss; with class weights it is
    the weighted log-loss.

    Parameters
    ----------
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        The Hessian diagonal's convention ``c``: ``"exact"`` is the true diagonal
        (``c = 1``); ``"xgboost"`` is XGBoost's ``multi:softprob`` (``c = 2``, floor
        1e-16); ``"lightgbm"`` is LightGBM's ``multiclass`` (``c = K / (K - 1)`` with the
        global number of classes ``K``, also under a ragged mask, floor 0). ``"auto"``
        takes the convention of the backend the loss is plugged into (so that a full
        mask reproduces the built-in model) and ``"exact"`` when called directly.
    hessian_floor : float or None, default=None
        Lower bound of every Hessian entry, also the Hessian of invalid classes.
        ``None``: the convention's own (1e-16 for "exact" and "xgboost", 0 for
        "lightgbm").
    class_weight : None, "balanced", dict or array-like of shape (K,), default=None
        Weight of each class, multiplying the sample weight of the rows labelled with
        it. ``"balanced"``: ``sum(w) / (n_present_classes * sum(w of class k))``,
        computed from each call's labels and sample weights; dict: ``{class index:
        weight}``, missing classes weigh 1. Class weights act on the gradient only; a
        backend ``weight=`` of ``class_weight[y]`` also reweights XGBoost's ``hist``
        quantile sketch, so the two give slightly different trees there.
    ignore_index : int or None, default=None
        A label value meaning "no label" (PyTorch's name): such rows contribute nothing
        (gradient 0, Hessian at its floor, loss 0) and are left out of the intercept and of
        the mean the adapters report as a metric.

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import ClassMask, SoftmaxLoss
    >>> mask = ClassMask.from_lists([[0, 1], [1, 2]], n_classes=3)
    >>> raw = np.zeros((2, 3))
    >>> SoftmaxLoss().predict_proba(raw, mask=mask)
    array([[0.5, 0.5, 0. ],
           [0. , 0.5, 0.5]])
    """

    is_multiclass = True
    name = "softmax"

    def __init__(
        self,
        hessian: str = "auto",
        hessian_floor: float | None = None,
        class_weight: Any = None,
        ignore_index: int | None = None,
    ) -> None:
        if hessian != "auto" and hessian not in HESSIAN_CONVENTIONS:
            raise ValueError(f"hessian: expected one of {['auto', *HESSIAN_CONVENTIONS]}; got {hessian!r}")
        if hessian_floor is not None:
            _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)
        _inputs.check_class_weight_spec(class_weight)
        self.hessian = hessian
        self.hessian_floor = hessian_floor
        self.class_weight = class_weight
        self.ignore_index = _inputs.check_ignore_index(ignore_index)

    def for_backend(self, backend: str) -> SoftmaxLoss:
        _check_backend(backend)
        if self.hessian != "auto":
            return self
        return type(self)(**{**self.get_params(), "hessian": backend})

    def _hessian_scale_floor(self, n_classes: int) -> tuple[float, float]:
        convention = "exact" if self.hessian == "auto" else self.hessian
        scale = {"exact": 1.0, "xgboost": 2.0, "lightgbm": n_classes / (n_classes - 1.0)}[convention]
        floor = HESSIAN_CONVENTIONS[convention][1] if self.hessian_floor is None else self.hessian_floor
        return scale, float(floor)

    def _batch(
        self, y_true: Any, raw_prediction: Any, sample_weight: Any, mask: Any
    ) -> _inputs.MulticlassBatch:
        return _inputs.multiclass_batch(
            y_true, raw_prediction, sample_weight, mask, self.class_weight, ignore_index=self.ignore_index
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
        """Gradient and Hessian diagonal of the loss with respect to the margins.

        Parameters
        ----------
        y_true : array-like of shape (n,)
            Class indices in ``[0, K)``; integer-valued floats are accepted.
        raw_prediction : array-like of shape (n, K)
            Margins. float32 and float64 keep their dtype; C or F order is kept.
        sample_weight : array-like of shape (n,), optional
        mask : ClassMask or mask-like, optional
            Valid classes per row; ``None`` reads them from the margins.
        gradient_out, hessian_out : ndarray of shape (n, K), optional
            Where to write (float32 or float64, C or F order); default: new arrays of
            ``raw_prediction``'s dtype and order. Either may be ``raw_prediction``
            itself: the call then reads a copy of the margins.

        Returns
        -------
        gradient, hessian : ndarray of shape (n, K)

        Raises
        ------
        ValueError
            For mismatched shapes, labels out of range or invalid in their own row,
            negative or non-finite weights, NaN or infinite margins, rows without a
            valid class.
        """
        batch = self._batch(y_true, raw_prediction, sample_weight, mask)
        grad, hess, batch.raw = _inputs.outputs(gradient_out, hessian_out, batch.raw, batch.weight)
        scale, floor = self._hessian_scale_floor(batch.n_classes)
        dense = batch.dense_kernel(grad)
        if dense is not None:
            batch.run(dense, batch.raw, batch.y, batch.weight, scale, floor, grad, hess)
            return grad, hess
        batch.run(
            _mk.softmax_grad_hess,
            batch.raw,
            batch.y,
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
        """Per-row weighted loss ``w_i * -log p_{i, y_i}``, shape (n,), float64."""
        batch = self._batch(y_true, raw_prediction, sample_weight, mask)
        out = np.empty(batch.n_rows)
        batch.run(
            _mk.softmax_loss,
            batch.raw,
            batch.y,
            batch.weight,
            batch.indptr,
            batch.indices,
            batch.from_margin,
            out,
        )
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """Softmax over each row's valid classes, shape (n, K), float64.

        Rows sum to 1; invalid classes get exactly 0.
        """
        return masked_softmax(raw_prediction, mask=mask)

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """The intercept: per-class margins to start boosting from, shape (K,).

        The intercepts ``b`` maximise the weighted likelihood of the model with no
        features, ``p_ij = exp(b_j) / sum_{k in V_i} exp(b_k)``. With a full mask this is
        the log of the weighted class prior (what XGBoost and LightGBM start their
        built-in multiclass models from), and that is also where the iteration starts:
        minorise-maximise updates ``pi_k <- W_k / sum_i w_i [k in V_i] / sum_{j in V_i}
        pi_j`` (``W_k``: the weight of class ``k``), which increase the likelihood at
        every step. Classes with no weight get ``log(eps)``. The result is centred
        (mean 0); softmax is shift-invariant.

        Parameters
        ----------
        y_true : array-like of shape (n,)
        sample_weight : array-like of shape (n,), optional
            Class weights of the loss multiply it.
        mask : ClassMask or mask-like, optional
            Valid classes per row; ``None``: all classes valid.
        n_classes : int, optional
            ``K`` when ``mask`` is None; default ``max(y_true) + 1``.
        """
        y_true, sample_weight, mask = _without_ignored(self, y_true, sample_weight, mask, n_classes)
        y, w, n_classes = _labels_and_weights(self, y_true, sample_weight, mask, n_classes)
        mask = _inputs.check_mask(mask, y.size, n_classes, what="y_true")
        if mask is not None:
            _inputs.check_labels_valid(y, mask)
        class_total = np.bincount(y, weights=w, minlength=n_classes)
        eps = np.finfo(np.float64).eps
        if class_total.sum() <= 0:
            raise _no_weight_error(y.size)
        pi = np.maximum(class_total / class_total.sum(), eps)
        if mask is not None and not mask.is_full:
            pi = _masked_prior(pi, class_total, w, mask, eps)
        b = np.log(pi)
        return b - b.mean()


class BinaryLogLoss(Loss):
    """Weighted binary log-loss of one margin per row.

    With ``p_i = sigmoid(f_i)``, labels ``y_i`` in {0, 1} and
    ``w_i = sample_weight_i * class_weight[y_i] * (pos_weight if y_i == 1 else 1)``::

        loss_i = -w_i * (y_i log p_i + (1 - y_i) log(1 - p_i))
        grad_i = w_i * (p_i - y_i)
        hess_i = max(w_i * p_i * (1 - p_i), hessian_floor)

    Parameters
    ----------
    pos_weight : float, default=1.0
        Extra weight of positive rows (XGBoost's ``scale_pos_weight``).
    class_weight : None, "balanced", dict or array-like of shape (2,), default=None
        As in :class:`SoftmaxLoss`.
    hessian_floor : float or None, default=None
        Lower bound of the Hessian; ``None``: 1e-16 (XGBoost's), or 0 when plugged into
        LightGBM (its own).

    Examples
    --------
    Margins are one per row, shape (n,); no mask (use :class:`SoftmaxLoss` with two
    classes for per-row valid classes):

    >>> import numpy as np
    >>> from boostobj import BinaryLogLoss
    >>> grad, hess = BinaryLogLoss(pos_weight=2.0).gradient_hessian([1, 0], np.zeros(2))
    >>> grad.tolist(), hess.tolist()
    ([-1.0, 0.5], [0.5, 0.25])
    """

    is_multiclass = False
    name = "logloss"

    def __init__(
        self, pos_weight: float = 1.0, class_weight: Any = None, hessian_floor: float | None = None
    ) -> None:
        _inputs.check_positive_number(pos_weight, "pos_weight")
        _inputs.check_class_weight_spec(class_weight)
        if hessian_floor is not None:
            _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)
        self.pos_weight = pos_weight
        self.class_weight = class_weight
        self.hessian_floor = hessian_floor

    def for_backend(self, backend: str) -> BinaryLogLoss:
        _check_backend(backend)
        if self.hessian_floor is not None:
            return self
        floor = 1e-16 if backend == "xgboost" else 0.0
        return type(self)(**{**self.get_params(), "hessian_floor": floor})

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
        """Gradient and Hessian of the loss, each of shape (n,) (see the class docstring)."""
        raw, y, w = _inputs.binary_batch(
            y_true, raw_prediction, sample_weight, mask, self.class_weight, self.pos_weight
        )
        grad, hess, raw = _inputs.outputs(gradient_out, hessian_out, raw, w)
        floor = 1e-16 if self.hessian_floor is None else float(self.hessian_floor)
        _inputs.run_binary(_bk.logloss_grad_hess, raw, y, w, floor, grad, hess)
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row weighted log-loss, shape (n,), float64."""
        raw, y, w = _inputs.binary_batch(
            y_true, raw_prediction, sample_weight, mask, self.class_weight, self.pos_weight
        )
        out = np.empty(raw.shape[0])
        _inputs.run_binary(_bk.logloss_loss, raw, y, w, out)
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """``[1 - p, p]`` per row, shape (n, 2), float64."""
        raw = _inputs.check_raw_prediction(raw_prediction, multiclass=False)
        _inputs.reject_binary_mask(mask)
        p = np.empty(raw.shape[0])
        _inputs.run_binary(_bk.sigmoid_array, raw, p)
        return np.column_stack([1.0 - p, p])

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """The log-odds of the weighted positive rate, shape (1,) (clipped to +-log(1/eps))."""
        _inputs.reject_binary_mask(mask)
        y_arr = np.asarray(y_true)
        if y_arr.ndim != 1:
            raise ValueError(f"y_true: expected a 1-D array of labels; got shape {y_arr.shape}")
        y = _inputs.check_labels(y_arr, y_arr.size, 2)
        w = _inputs.binary_weights(
            y, _inputs.check_sample_weight(sample_weight, y.size), self.class_weight, self.pos_weight
        )
        total = np.bincount(y, weights=w, minlength=2)
        if total.sum() <= 0:
            raise _no_weight_error(y.size)
        eps = np.finfo(np.float64).eps
        p = np.clip(total[1] / total.sum(), eps, 1 - eps)
        return np.array([np.log(p / (1 - p))])


# ---------------------------------------------------------------------- helpers
def masked_softmax(raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
    """Softmax over each row's valid classes, shape (n, K), float64; 0 on invalid ones.

    Parameters
    ----------
    raw_prediction : array-like of shape (n, K)
        Margins (float32 or float64, C or F order).
    mask : ClassMask or mask-like, optional
        Valid classes per row. ``None``: read them from the margins (a margin
        ``<= -1e29``, such as the ``-1e30`` offset, marks an invalid class).

    Returns
    -------
    ndarray of shape (n, K), float64
        Rows sum to 1; exactly 0 on invalid classes.

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import INVALID_OFFSET, masked_softmax
    >>> masked_softmax(np.array([[0.0, 0.0, INVALID_OFFSET], [0.0, np.log(3.0), 0.0]]))
    array([[0.5, 0.5, 0. ],
           [0.2, 0.6, 0.2]])
    """
    batch = _inputs.multiclass_batch(None, raw_prediction, None, mask, need_labels=False)
    proba = np.empty(batch.raw.shape, dtype=np.float64)
    batch.run(_sk.masked_softmax, batch.raw, batch.indptr, batch.indices, batch.from_margin, proba)
    return proba


def segment_scale_floor(
    hessian: str, hessian_floor: float | None, sizes: np.ndarray
) -> tuple[np.ndarray, float]:
    """Hessian factor per segment and the floor, for softmaxes over segments of ``sizes``
    (grouped softmax, choice sets): 1 ("exact"; also "auto" when unresolved), 2
    ("xgboost"), or ``n / (n - 1)`` with each segment's own size ("lightgbm"; 1 for a
    segment of one)."""
    convention = "exact" if hessian == "auto" else hessian
    sizes = np.asarray(sizes, dtype=np.float64)
    if convention == "lightgbm":
        scale = np.where(sizes > 1, sizes / np.maximum(sizes - 1.0, 1.0), 1.0)
    else:
        scale = np.full(sizes.size, 2.0 if convention == "xgboost" else 1.0)
    floor = HESSIAN_CONVENTIONS[convention][1] if hessian_floor is None else hessian_floor
    return scale, float(floor)


def _check_backend(backend: str) -> None:
    if backend not in _BACKENDS:
        raise ValueError(f"backend: expected one of {list(_BACKENDS)}; got {backend!r}")


def _without_ignored(
    loss: Loss, y_true: Any, sample_weight: Any, mask: Any, n_classes: int | None
) -> tuple[Any, Any, Any]:
    """Labels, weights and mask of the rows whose label is not the loss's ``ignore_index``."""
    ignore_index = getattr(loss, "ignore_index", None)
    y = np.asarray(y_true)
    if ignore_index is None or y.ndim != 1 or not (y == ignore_index).any():
        return y_true, sample_weight, mask
    keep = np.flatnonzero(y != ignore_index)
    if sample_weight is not None:
        sample_weight = _inputs.check_sample_weight(sample_weight, y.size)[keep]
    if mask is not None:
        mask = ClassMask.coerce(mask, n_classes)
        mask.check_rows(y.size, "y_true")
        mask = mask.take(keep)
    return y[keep], sample_weight, mask


def _labels_and_weights(
    loss: SoftmaxLoss, y_true: Any, sample_weight: Any, mask: Any, n_classes: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Labels, effective weights (sample times class weight) and K for an intercept."""
    y_arr = np.asarray(y_true)
    if y_arr.ndim != 1:
        raise ValueError(f"y_true: expected a 1-D array of labels; got shape {y_arr.shape}")
    if mask is not None:
        k = ClassMask.coerce(mask, n_classes).n_classes
    elif n_classes is not None:
        k = n_classes
    elif y_arr.size and y_arr.dtype.kind in "iu":
        k = int(y_arr.max()) + 1
    else:
        raise ValueError("n_classes: required when mask is None and y_true is not integer-typed")
    y = _inputs.check_labels(y_arr, y_arr.shape[0], k)
    sw = _inputs.check_sample_weight(sample_weight, y.size)
    w = np.ones(y.size) if sw is None else sw
    return y, _inputs.apply_class_weight(w, loss.class_weight, y, sw, k), k


def _masked_prior(
    pi: np.ndarray,
    class_total: np.ndarray,
    w: np.ndarray,
    mask: ClassMask,
    eps: float,
    max_iter: int = 200,
    tol: float = 1e-9,
) -> np.ndarray:
    """Minorise-maximise iterations for the masked class prior (see init_raw_prediction)."""
    rows = mask._row_ids()
    starts = mask.indptr[:-1]
    for _ in range(max_iter):
        row_sum = np.add.reduceat(pi[mask.indices], starts)
        exposure = np.bincount(mask.indices, weights=(w / row_sum)[rows], minlength=pi.size)
        new = np.where(exposure > 0, class_total / np.where(exposure > 0, exposure, 1.0), 0.0)
        new = np.maximum(new / new.sum(), eps)
        done = np.max(np.abs(np.log(new) - np.log(pi))) < tol
        pi = new
        if done:
            break
    return pi
