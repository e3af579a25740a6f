"""What the XGBoost and LightGBM adapters share: the loss and mask they are bound to,
and the metrics they compute. Each backend module only reads its own data objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _inputs
from ._buffers import OutputBuffers
from ._carry import START_LIMIT, attach, margins_of
from ._maskgrammar import check_aligned
from ._params import ConfigMixin
from .losses import BinaryLogLoss, Loss, SoftmaxLoss
from .masks import INVALID_BELOW, ClassMask
from .metrics import masked_error_rate, masked_log_loss, weighted_mean

METRICS = {"mlogloss": True, "merror": True, "logloss": False, "error": False}  # name -> multiclass


def as_loss(loss: Any) -> Loss:
    """``None`` -> ``SoftmaxLoss()``; a ``Loss`` as is; anything else a ``TypeError``."""
    if loss is None:
        return SoftmaxLoss()
    if not isinstance(loss, Loss):
        raise TypeError(f"loss: expected a boostobj Loss (e.g. SoftmaxLoss()), got {type(loss).__name__}")
    return loss


def as_bound_mask(mask: Any) -> ClassMask | None:
    """A mask bound to an objective or metric, read by ``ClassMask.coerce`` (which needs
    ``n_classes`` for per-row class indices: wrap them in ``ClassMask.from_lists``)."""
    return None if mask is None else ClassMask.coerce(mask)


def as_bound_targets(targets: Any, loss: Loss) -> np.ndarray:
    """Soft targets bound to an objective: an (n, K) float array, for a loss that takes them."""
    if not getattr(loss, "accepts_soft_targets", False):
        raise TypeError(
            f"targets: {type(loss).__name__} takes labels, not soft targets; use LabelSmoothingLoss"
        )
    arr = np.asarray(targets)
    if arr.ndim != 2 or arr.dtype.kind not in "iuf":
        raise ValueError(
            f"targets: expected an (n_samples, n_classes) array of probabilities; got {arr.shape}"
        )
    return arr.astype(np.float64)


class BoundObjective(ConfigMixin):
    """Base of the objective callables: a loss resolved for a backend, an optional mask.

    Subclasses set ``backend`` and turn the backend's call into ``(y, raw, weight)``.
    """

    backend = ""
    #: dtype and memory order of the returned arrays (None: the margins')
    output_dtype: Any = None
    output_order: str | None = None

    def __init__(self, loss: Any = None, mask: Any = None, *, targets: Any = None) -> None:
        self.loss = loss
        self.mask = mask
        self.targets = targets
        self._loss = as_loss(loss).for_backend(self.backend)
        self._mask = as_bound_mask(mask)
        self._targets = None if targets is None else as_bound_targets(targets, self._loss)
        self._buffers = OutputBuffers()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_buffers"]  # scratch memory, never pickled or copied
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._buffers = OutputBuffers()

    def clear_buffers(self) -> None:
        """Free the output arrays kept for reuse (2 x n x K floats of the last call).

        The callable writes each round's gradient and Hessian into the arrays it
        returned the round before, when nothing else holds them any more (the backends
        copy or consume them within the round); a caller that keeps a result gets new
        arrays next time. Call this (or drop the callable) to free that memory after
        training.
        """
        self._buffers.clear()

    def _outputs(self, raw: np.ndarray) -> dict[str, np.ndarray]:
        dtype = self.output_dtype or raw.dtype
        if np.dtype(dtype) not in (np.float32, np.float64):  # the loss converts and allocates
            return {}
        order = self.output_order or ("F" if raw.ndim == 2 and _inputs.is_f_only(raw) else "C")
        shape = raw.shape if self._loss.is_multiclass else (raw.shape[0],)  # (n, 1) margins: (n,) out
        grad, hess = self._buffers.take(shape, dtype, order)
        return {"gradient_out": grad, "hessian_out": hess}

    def _gradient_hessian(
        self, y: Any, raw: np.ndarray, weight: Any, data: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        check_margin_shape(self._loss, raw, self.backend)
        raw = margins_of(raw, data, self.backend)
        if self._mask is not None:
            self._mask.check_rows(raw.shape[0], "the training data")
        if self._targets is not None:
            if self._targets.shape != raw.shape:
                raise ValueError(
                    f"targets: the bound soft targets have shape {self._targets.shape} but the training "
                    f"margins have shape {raw.shape}; soft targets serve the training rows only"
                )
            y = self._targets
        out = self._outputs(raw)
        if getattr(self._loss, "needs_groups", False):
            out["group_ptr"] = data_group_pointers(data, self.backend, raw.shape[0])
        return self._loss.gradient_hessian(y, raw, sample_weight=weight, mask=self._mask, **out)


class BoundMetric(ConfigMixin):
    """Base of the metric callables: a metric name or loss, an optional mask.

    Subclasses set ``backend`` and pass ``(y, predictions, weight, start)``, where
    ``start`` is the data set's start margins (``base_margin``/``init_score``, flat) if any.
    """

    backend = ""
    #: Memory order of the backends' flat start margins.
    start_order = "C"

    def __init__(self, metric: Any = "mlogloss", mask: Any = None, *, output_margin: bool = True) -> None:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(
                    f"metric: expected one of {list(METRICS)} or a boostobj Loss; got {metric!r}"
                )
        else:
            as_loss(metric)
        if not isinstance(output_margin, bool):
            raise TypeError(f"output_margin: expected True or False; got {output_margin!r}")
        self.metric = metric
        self.mask = mask
        self.output_margin = output_margin
        self._mask = as_bound_mask(mask)

    @property
    def name(self) -> str:
        """The name under which the backend reports the metric."""
        return f"masked-{self.metric}" if isinstance(self.metric, str) else self.metric.name

    def _margins(self, predictions: Any, start: Any) -> np.ndarray:
        """The margins behind the backend's predictions.

        With ``output_margin=False`` (a built-in objective: the backend passes
        probabilities) they are log-probabilities (logits for one-margin models), which
        give back the same softmax. With margins expected, a data set whose start
        margins mark invalid classes must show them in the predictions too: if not, the
        predictions are not margins, and guessing would compute a wrong metric.
        """
        raw = np.asarray(predictions)
        if not self.output_margin:
            p = np.clip(raw.astype(np.float64), np.finfo(np.float64).tiny, 1.0)
            if raw.ndim == 1 or raw.shape[-1] == 1:
                return np.log(p) - np.log1p(-np.minimum(p, 1.0 - np.finfo(np.float64).epsneg))
            return np.log(p)
        if start is not None and np.size(start) == raw.size and raw.size:
            invalid = np.asarray(start).reshape(raw.shape, order=self.start_order) <= INVALID_BELOW
            if invalid.any() and (raw[invalid] > INVALID_BELOW).any():
                raise ValueError(
                    f"predt: expected margins, but the data set marks classes invalid (-1e30 in its "
                    f"start margins) and these predictions do not: with a built-in objective "
                    f"{self.backend} passes probabilities; use output_margin=False"
                )
        if raw.ndim == 2 and raw.shape[1] > 1 and raw.size and _look_like_probabilities(raw):
            raise ValueError(
                f"predt: expected margins, but every row lies in [0, 1] and sums to 1: with a built-in "
                f"objective {self.backend} passes probabilities (the scikit-learn API shows no data set "
                f"to tell), so use output_margin=False"
            )
        return raw

    def _evaluate(
        self, y: Any, predictions: Any, weight: Any, start: Any = None, data: Any = None
    ) -> tuple[str, float]:
        if isinstance(self.metric, Loss):
            shape_of = self.metric
        else:
            shape_of = SoftmaxLoss() if METRICS[self.metric] else BinaryLogLoss()
        predictions = np.asarray(predictions)
        check_margin_shape(shape_of, predictions, self.backend)
        predictions = margins_of(predictions, data, self.backend, probabilities=not self.output_margin)
        raw = self._margins(predictions, start)
        if self._mask is not None:
            self._mask.check_rows(raw.shape[0], "the evaluated data")
        if isinstance(self.metric, Loss):
            extra = {}
            if getattr(self.metric, "needs_groups", False):
                extra["group_ptr"] = data_group_pointers(data, self.backend, raw.shape[0])
            return self.name, self.metric.mean_loss(y, raw, sample_weight=weight, mask=self._mask, **extra)
        if self.metric == "mlogloss":
            value = masked_log_loss(y, raw, mask=self._mask, sample_weight=weight)
        elif self.metric == "merror":
            value = masked_error_rate(y, raw, mask=self._mask, sample_weight=weight)
        else:
            loss = BinaryLogLoss()
            if self.metric == "logloss":
                per_row = loss.loss(y, raw)
            else:
                per_row = ((loss.predict_proba(raw)[:, 1] > 0.5) != np.asarray(y)).astype(float)
            value = weighted_mean(per_row, weight)
        return self.name, value


def _look_like_probabilities(raw: np.ndarray) -> bool:
    """Rows of probabilities (in [0, 1], summing to 1), which margins are not in practice."""
    in_range = raw.min() >= 0.0 and raw.max() <= 1.0
    return bool(in_range and np.allclose(raw.sum(axis=1), 1.0, rtol=0, atol=1e-4))


def data_group_pointers(data: Any, backend: str, n_rows: int) -> np.ndarray:
    """The group pointers of a backend data set (XGBoost ``qid``/``group``, LightGBM ``group``)."""
    if data is None:
        raise ValueError(
            f"group: this loss needs the data set's groups, which {backend}'s scikit-learn API does not pass "
            f"to an objective; train with {backend}.train on a data set with groups"
        )
    if backend == "xgboost":
        ptr = np.asarray(data.get_uint_info("group_ptr"), dtype=np.int64)
        if ptr.size == 0:
            raise ValueError("group: the DMatrix has no groups; build it with qid= (or group=)")
        return ptr
    from .choice import check_whole_groups

    check_whole_groups(data)  # a LightGBM subset (lightgbm.cv's folds) must keep each choice set whole
    sizes = data.get_group()
    if sizes is None:
        raise ValueError("group: the LightGBM Dataset has no groups; build it with group=")
    return np.r_[0, np.cumsum(np.asarray(sizes, dtype=np.int64))]


def check_margin_shape(loss: Loss, raw: np.ndarray, backend: str) -> None:
    """A clear error when the backend's margins do not fit the loss (num_class mistakes)."""
    raw = np.asarray(raw)
    param = "num_class" if backend in ("xgboost", "lightgbm") else "n_classes"
    if raw.size == 0 and raw.ndim < 2:
        raise ValueError(
            f"predt: no rows (the margins {backend} passed have shape {raw.shape}, whatever {param} is); "
            f"the training data set is empty"
        )
    if loss.is_multiclass and raw.ndim != 2:
        raise ValueError(
            f"predt: a multiclass loss ({type(loss).__name__}) needs margins of shape "
            f"(n_samples, n_classes); got shape {raw.shape}. Set {param}=K in the "
            f"{backend} parameters"
        )
    if not loss.is_multiclass and raw.ndim == 2 and raw.shape[1] != 1:
        raise ValueError(
            f"predt: a binary loss ({type(loss).__name__}) needs one margin per row; got shape "
            f"{raw.shape}. Remove {param} from the {backend} parameters"
        )


def margin_init(mask: Any, init_score: Any, n_rows: int, dtype: Any, order: str = "C") -> np.ndarray | None:
    """The margins a data set starts from: the mask's offset plus the intercept.

    Parameters
    ----------
    mask : ClassMask or mask-like, optional
    init_score : array-like of shape (K,), or a scalar for one-margin (binary) models
        The intercept, e.g. from ``loss.init_raw_prediction``.

    Returns
    -------
    None when both are None (the backend's own start), else an array of shape
    (n_rows, K), or (n_rows,) for a scalar intercept, in ``dtype`` and ``order``.
    Invalid classes stay at -1e30 (an intercept of a few units does not move it).
    """
    if mask is None and init_score is None:
        return None
    intercept = check_intercept(init_score)
    if mask is None:
        if intercept.size == 1:
            return np.full(n_rows, intercept.reshape(()), dtype=dtype)
        return np.asarray(np.broadcast_to(intercept, (n_rows, intercept.size)), dtype=dtype, order=order)
    mask = coerce_mask(mask, intercept)
    mask.check_rows(n_rows, "X")
    start = mask.margin_offset(dtype=np.float64, order=order)
    if intercept is not None:
        if intercept.size != mask.n_classes:
            raise ValueError(
                f"init_score: expected {mask.n_classes} values (one per class of the mask); "
                f"got {intercept.size}"
            )
        start += intercept
    return np.asarray(start, dtype=dtype, order=order)


def check_intercept(init_score: Any) -> np.ndarray | None:
    """``None`` or a float64 intercept of shape (K,) (or (1,) for a scalar), each value real,
    finite and at most ``START_LIMIT`` (1e3) in magnitude."""
    if init_score is None:
        return None
    values = np.asarray(init_score)
    if values.dtype.kind not in "iuf":
        raise TypeError(f"init_score: expected real numbers, one per class; got {init_score!r}")
    intercept = values.astype(np.float64)
    if intercept.ndim > 1:
        raise ValueError(f"init_score: expected one value per class, shape (K,); got {intercept.shape}")
    intercept = intercept.reshape(-1)
    bad = ~(np.abs(intercept) <= START_LIMIT)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"init_score: expected finite values with |value| <= {START_LIMIT:g} (larger ones lose the "
            f"trees' updates in float32, or reach the -1e30 offset that marks invalid classes); class "
            f"{j} has {intercept[j].item()!r}"
        )
    return intercept


def coerce_mask(mask: Any, intercept: np.ndarray | None) -> ClassMask:
    """A mask as a ``ClassMask``; per-row class indices take K from the intercept's length.

    (A one-value intercept belongs to a one-margin model and says nothing of K; a mask
    whose K differs from the intercept's is then reported by ``margin_init``.)
    """
    k = None if intercept is None or intercept.size < 2 else intercept.size
    return ClassMask._read(mask, k)


@dataclass
class DatasetFields:
    """Validated fields of a backend data set (see ``dataset_fields``)."""

    label: np.ndarray | None
    weight: np.ndarray | None
    start: np.ndarray | None
    mask: ClassMask | None
    intercept: np.ndarray | None
    n_rows: int
    group_ptr: np.ndarray | None = None

    @property
    def group_sizes(self) -> np.ndarray | None:
        """Rows per group (choice situation), or None."""
        return None if self.group_ptr is None else np.diff(self.group_ptr)

    @property
    def group_weight(self) -> np.ndarray | None:
        """One weight per group (XGBoost's layout for grouped data), or None."""
        if self.weight is None or self.group_ptr is None:
            return self.weight
        return self.weight[self.group_ptr[:-1]]

    def attach(self, data: Any) -> Any:
        """Record the mask and intercept on the backend's data set (see ``boostobj._carry``)."""
        return attach(data, self.mask, self.intercept, self.n_rows)


def dataset_fields(
    X: Any,
    y: Any,
    mask: Any,
    weight: Any,
    init_score: Any,
    dtype: Any,
    order: str,
    loss: Any = None,
    group: Any = None,
    qid: Any = None,
) -> DatasetFields:
    """Validated label, weight, start margins, mask and intercept of a backend data set.

    Labels must be integer class indices, below K when K is known (from the mask or the
    intercept) and valid in their own row, unless ``loss`` encodes its own labels
    (``loss.backend_labels``, e.g. one code per row for ``GroupedSoftmaxLoss``); the
    start margins are ``margin_init``'s;
    weights must stay finite in ``dtype`` (XGBoost reads them as float32).
    """
    n_rows = _inputs.n_rows_of(X)
    check_aligned(X, mask, "mask")  # a pandas mask must list X's rows, in X's order
    intercept = check_intercept(init_score)
    # a one-value intercept is a one-margin (binary) model's: labels 0 and 1
    n_classes = None if intercept is None else max(intercept.size, 2)
    if mask is not None:
        mask = coerce_mask(mask, intercept)
        mask.check_rows(n_rows, "X")
        n_classes = mask.n_classes
    label = None
    if y is not None and loss is not None and hasattr(as_loss(loss), "backend_labels"):
        label = loss.backend_labels(y, n_rows, mask)  # labels a loss encodes (e.g. one code per row)
    elif y is not None:
        ignore_index = getattr(loss, "ignore_index", None)
        raw_y = np.asarray(y)
        ignored = (raw_y == ignore_index) if ignore_index is not None and raw_y.ndim == 1 else None
        if ignored is not None and ignored.any():  # "no label" rows: kept as they are for the loss
            kept = _inputs.check_labels(np.where(ignored, 0, raw_y), n_rows, n_classes, name="y")
            if mask is not None:
                rows = np.flatnonzero(~ignored)
                _inputs.check_labels_valid(kept[rows], mask.take(rows), name="y")
            label = np.where(ignored, ignore_index, kept)
        else:
            label = _inputs.check_labels(y, n_rows, n_classes, name="y")
            if mask is not None:
                _inputs.check_labels_valid(label, mask, name="y")
    ptr = None
    if group is not None or qid is not None:  # choice sets: contiguous groups of rows
        from .choice import _group_weights, group_pointers

        ptr = group_pointers(n_rows, group=group, qid=qid)
        if label is not None and getattr(loss, "needs_groups", False):
            from .choice import check_share_sums

            # as the backends keep them (float32): the sums the objective will see
            check_share_sums(np.asarray(label, np.float32).astype(np.float64), ptr, "y")
        if weight is not None:  # one weight per group, given per group or per row
            weight = np.repeat(_group_weights(weight, ptr, n_rows), np.diff(ptr))
    weight = _inputs.check_sample_weight(weight, n_rows, name="weight", dtype=dtype)
    start = margin_init(mask, intercept, n_rows, dtype, order)
    return DatasetFields(label, weight, start, mask, intercept, n_rows, ptr)
