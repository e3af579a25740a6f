"""Several categorical targets in one model: an independent softmax per group of columns.

The ``K`` margins of a row are split into ``G`` groups of consecutive columns (say 24
hours of day, then 7 days of week); each row has one label per group, and each group
has its own softmax over its valid columns (a row mask still applies inside each group).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _inputs
from ._kernels import segments as _seg
from ._kernels import softmax as _sm
from .losses import HESSIAN_CONVENTIONS, Loss, SoftmaxLoss, _check_backend, segment_scale_floor
from .masks import INVALID_BELOW, ClassMask

__all__ = ["GroupedSoftmaxLoss"]

#: Largest number of label combinations that travel exactly as one float32 code per row.
MAX_CODES = 2**24


class GroupedSoftmaxLoss(Loss):
    """Sum of independent softmax cross-entropies, one per group of columns.

    With groups ``g = 1..G`` of columns ``C_g``, row ``i``'s valid columns ``V_i`` and its
    label ``y_ig`` in group ``g`` (a position within the group)::

        p_ij   = exp(f_ij) / sum_{k in C_g, k in V_i} exp(f_ik)      (j in C_g)
        loss_i = sum_g w_ig (-log p_{i, c_g(y_ig)}),  w_ig = sample_weight_i * class_weight[c_g(y_ig)]
        grad_ij = w_ig (p_ij - [j == c_g(y_ig)]),   hess_ij = max(c_g w_ig p_ij (1 - p_ij), floor)

    where ``c_g(y)`` is the column of position ``y`` in group ``g``. A group whose label
    is ``ignore_index`` contributes nothing (gradient 0, Hessian ``floor``), as do invalid
    classes.

    Parameters
    ----------
    groups : sequence of int
        The group sizes ``K_1, ..., K_G`` (columns ``0..K_1-1`` form group 0, and so on).
        Or, with ``by="id"``, the group id of each column (ids ``0..G-1``, each group's
        columns consecutive).
    by : {"size", "id"}, default="size"
        How ``groups`` is read.
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        The Hessian factor ``c_g``: 1 ("exact"), 2 ("xgboost", floor 1e-16), or
        ``K_g / (K_g - 1)`` with the group's own size ("lightgbm", floor 0); "auto" takes the
        backend's own, and "exact" when called directly.
    hessian_floor : float or None, default=None
        Lower bound of every Hessian entry (``None``: the convention's own).
    class_weight : None, "balanced" or array-like of shape (K,), default=None
        Weight of each column's class; "balanced" weighs each group's classes as
        :class:`SoftmaxLoss` does, within the group.
    ignore_index : int or None, default=None
        A label value meaning "no label for this group in this row".

    Notes
    -----
    Labels ``y`` are (n, G) positions within each group. Through the backends' data sets
    they travel as one number per row (:meth:`encode_labels`; exact in float32 while the
    number of label combinations, ``prod(K_g + 1)``, is at most 2**24), so they follow the
    rows through eval sets, CV folds and Dask partitions; the loss decodes them.

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj.grouped import GroupedSoftmaxLoss
    >>> loss = GroupedSoftmaxLoss([3, 2])
    >>> y = np.array([[0, 1], [2, 0]])
    >>> grad, hess = loss.gradient_hessian(y, np.zeros((2, 5)))
    >>> grad.round(3)
    array([[-0.667,  0.333,  0.333,  0.5  , -0.5  ],
           [ 0.333,  0.333, -0.667, -0.5  ,  0.5  ]])
    >>> [p.shape for p in loss.predict_proba(np.zeros((2, 5)))]
    [(2, 3), (2, 2)]
    """

    is_multiclass = True
    name = "grouped-softmax"

    def __init__(
        self,
        groups: Any,
        by: str = "size",
        hessian: str = "auto",
        hessian_floor: float | None = None,
        class_weight: Any = None,
        ignore_index: int | None = None,
    ) -> None:
        self.groups = groups
        self.by = by
        self.hessian = hessian
        self.hessian_floor = hessian_floor
        self.class_weight = class_weight
        self.ignore_index = ignore_index
        self._ptr = _group_ptr(groups, by)
        if hessian != "auto" and hessian not in HESSIAN_CONVENTIONS:
            raise ValueError(f"hessian: expected one of {['auto', *HESSIAN_CONVENTIONS]}; got {hessian!r}")
        if hessian_floor is not None:
            _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)
        if class_weight is not None and not (isinstance(class_weight, str) and class_weight == "balanced"):
            expected = f"class_weight: expected None, 'balanced' or {self.n_classes} finite weights >= 0"
            try:
                cw = np.asarray(class_weight, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"{expected}; got {class_weight!r}") from None
            if cw.shape != (self.n_classes,) or not np.isfinite(cw).all() or (cw < 0).any():
                raise ValueError(f"{expected}; got {class_weight!r}")
        if ignore_index is not None and (
            isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)
        ):
            raise TypeError(f"ignore_index: expected an integer or None; got {ignore_index!r}")

    # ------------------------------------------------------------------ structure
    @property
    def n_classes(self) -> int:
        """``K``, the total number of columns."""
        return int(self._ptr[-1])

    @property
    def n_groups(self) -> int:
        """``G``."""
        return self._ptr.size - 1

    @property
    def sizes(self) -> np.ndarray:
        """(G,) the group sizes ``K_g``."""
        return np.diff(self._ptr)

    def for_backend(self, backend: str) -> GroupedSoftmaxLoss:
        _check_backend(backend)
        if self.hessian != "auto":
            return self
        return type(self)(**{**self.get_params(), "hessian": backend})

    # ------------------------------------------------------------------ labels
    def encode_labels(self, y: Any) -> np.ndarray:
        """(n, G) labels as one code per row, shape (n,), float64 (exact in float32).

        ``code = sum_g d_g * prod_{h < g} (K_h + 1)`` with ``d_g = y_g``, or ``K_g`` for
        ``ignore_index``; :meth:`decode_labels` inverts it.
        """
        labels = self._check_labels(y, None)
        radix = self.sizes + 1
        if float(np.prod(radix.astype(np.float64))) > MAX_CODES:
            raise ValueError(
                f"groups: {int(np.prod(radix.astype(np.float64)))} label combinations do not travel "
                f"exactly as one float32 code per row (at most {MAX_CODES}); use fewer or smaller groups"
            )
        digits = np.where(labels == _IGNORED, self.sizes, labels - self._ptr[:-1])
        place = np.concatenate([[1], np.cumprod(radix)[:-1]])
        return (digits * place).sum(axis=1).astype(np.float64)

    def decode_labels(self, codes: Any) -> np.ndarray:
        """Codes from :meth:`encode_labels` back to (n, G) labels (``ignore_index`` kept)."""
        labels = self._decode(codes, None)
        out = np.where(labels == _IGNORED, 0, labels - self._ptr[:-1])
        if self.ignore_index is not None:
            out = np.where(labels == _IGNORED, self.ignore_index, out)
        return out

    def backend_labels(self, y: Any, n_rows: int, mask: ClassMask | None) -> np.ndarray:
        """Validated labels as the backends' data sets carry them (see :meth:`encode_labels`)."""
        labels = np.asarray(y)
        if labels.shape[:1] != (n_rows,):
            raise ValueError(f"y: expected {n_rows} rows to match X; got shape {labels.shape}")
        try:
            codes = self.encode_labels(labels) if labels.ndim == 2 else labels
            self._decode(codes, mask)  # validates codes (and labels against the mask)
        except ValueError as error:  # here the argument is y
            text = str(error)
            raise ValueError("y:" + text[len("y_true:") :] if text.startswith("y_true:") else text) from None
        return codes

    def _check_labels(self, y: Any, mask: ClassMask | None) -> np.ndarray:
        """(n, G) labels -> (n, G) global columns, ``_IGNORED`` where ignored."""
        arr = np.asarray(y)
        if arr.ndim != 2 or arr.shape[1] != self.n_groups:
            raise ValueError(
                f"y_true: expected labels of shape (n, {self.n_groups}), one per group (or the (n,) codes of "
                f"encode_labels); got shape {arr.shape}"
            )
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"y_true: expected integer labels; got dtype {arr.dtype}")
        if arr.dtype.kind == "f" and not (np.isfinite(arr) & (arr == np.round(arr))).all():
            row, g = np.argwhere(~(np.isfinite(arr) & (arr == np.round(arr))))[0]
            value = arr[row, g].item()
            raise ValueError(f"y_true: expected integer labels; row {row}, group {g} has {value!r}")
        labels = arr.astype(np.int64)
        ignored = (
            labels == self.ignore_index if self.ignore_index is not None else np.zeros_like(labels, bool)
        )
        bad = ~ignored & ((labels < 0) | (labels >= self.sizes))
        if bad.any():
            row, g = np.argwhere(bad)[0]
            raise ValueError(
                f"y_true: label {labels[row, g]} of row {row}, group {g} is out of range; expected "
                f"0..{self.sizes[g] - 1}"
                + ("" if self.ignore_index is None else f" or ignore_index={self.ignore_index}")
            )
        out = np.where(ignored, _IGNORED, labels + self._ptr[:-1])
        if mask is not None:
            self._check_against_mask(out, mask)
        return out

    def _decode(self, codes: Any, mask: ClassMask | None) -> np.ndarray:
        arr = np.asarray(codes)
        if arr.ndim == 2:
            return self._check_labels(arr, mask)
        if arr.ndim != 1 or arr.dtype.kind not in "iuf":
            raise ValueError(
                f"y_true: expected (n, {self.n_groups}) labels or (n,) codes; got shape {arr.shape}"
            )
        if arr.dtype in _KERNEL_CODE_DTYPES:  # one pass in a kernel; on a problem, the checks below say which
            out = np.empty((arr.size, self.n_groups), dtype=np.int64)
            status, _ = _inputs.run_rows(
                _seg.decode_label_codes, arr.size, self.n_groups, arr, self._ptr,
                self.ignore_index is not None, _IGNORED, out,
            )  # fmt: skip
            if status == 0:
                if mask is not None:
                    self._check_against_mask(out, mask)
                return out
        radix = self.sizes + 1
        total = float(np.prod(radix.astype(np.float64)))
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr >= total)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"y_true: row {row} has {arr[row].item()!r}, not a label code of these groups "
                f"(0 <= code < {int(total)}; "
                f"see encode_labels)"
            )
        rest = arr.astype(np.int64)
        out = np.empty((arr.size, self.n_groups), dtype=np.int64)
        for g, r in enumerate(radix):
            digit = rest % r
            rest //= r
            if self.ignore_index is None and (digit == self.sizes[g]).any():
                row = int(np.flatnonzero(digit == self.sizes[g])[0])
                raise ValueError(
                    f"y_true: the code of row {row} has no label in group {g}, but the loss has no "
                    f"ignore_index"
                )
            out[:, g] = np.where(digit == self.sizes[g], _IGNORED, digit + self._ptr[g])
        if mask is not None:
            self._check_against_mask(out, mask)
        return out

    def _check_against_mask(self, columns: np.ndarray, mask: ClassMask) -> None:
        rows = np.flatnonzero((columns != _IGNORED).any(axis=1))
        for g in range(self.n_groups):
            labelled = columns[:, g] != _IGNORED
            if not labelled.any():
                continue
            ok = mask.take(np.flatnonzero(labelled)).contains(columns[labelled, g])
            if not ok.all():
                row = int(np.flatnonzero(labelled)[np.flatnonzero(~ok)[0]])
                raise ValueError(
                    f"y_true: the label of row {row} in group {g} (column {columns[row, g]}) is not one of "
                    f"its valid classes"
                )
        del rows

    # ------------------------------------------------------------------ the loss
    def _batch(self, y_true: Any, raw_prediction: Any, sample_weight: Any, mask: Any) -> tuple:
        raw = _inputs.check_raw_prediction(raw_prediction, multiclass=True)
        n, k = raw.shape
        if k != self.n_classes:
            raise ValueError(
                f"raw_prediction: has {k} columns but the groups {self.sizes.tolist()} have {self.n_classes}"
            )
        cmask = _inputs.check_mask(mask, n, k)
        columns = self._decode(y_true, None)
        if columns.shape[0] != n:
            raise ValueError(f"y_true: has {columns.shape[0]} rows but raw_prediction has {n}")
        sw = _inputs.check_sample_weight(sample_weight, n)
        if sw is None:
            weight = np.ones((n, self.n_groups))
        else:
            weight = np.broadcast_to(sw[:, None], (n, self.n_groups)).copy()
        if self.class_weight is not None:
            weight *= self._class_weights(columns, sw)
        indptr = np.zeros(1, np.int64) if cmask is None else cmask.indptr
        indices = np.zeros(0, np.int32) if cmask is None else cmask.indices
        return raw, columns, weight, indptr, indices, cmask is None

    def _class_weights(self, columns: np.ndarray, sw: np.ndarray | None) -> np.ndarray:
        """(n, G) class weight of each row's label in each group (1 where ignored)."""
        if self.class_weight is None:
            return np.ones(columns.shape)
        labelled = columns != _IGNORED
        safe = np.where(labelled, columns, 0)
        if isinstance(self.class_weight, str):  # "balanced", within each group
            w = np.ones(columns.shape[0]) if sw is None else sw
            per_column = np.ones(self.n_classes)
            for g in range(self.n_groups):
                cols = safe[labelled[:, g], g]
                totals = np.bincount(cols, weights=w[labelled[:, g]], minlength=self.n_classes)
                block = totals[self._ptr[g] : self._ptr[g + 1]]
                present = block > 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    per_column[self._ptr[g] : self._ptr[g + 1]] = np.where(
                        present, block.sum() / (present.sum() * np.where(present, block, 1.0)), 1.0
                    )
        else:
            per_column = _inputs.explicit_class_weight(self.class_weight, self.n_classes)
        return np.where(labelled, per_column[safe], 1.0)

    def _scale_floor(self) -> tuple[np.ndarray, float]:
        return segment_scale_floor(self.hessian, self.hessian_floor, self.sizes)

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
        """Gradient and Hessian diagonal with respect to the (n, K) margins.

        Parameters
        ----------
        y_true : array-like of shape (n, G), or (n,) codes from :meth:`encode_labels`
        raw_prediction : array-like of shape (n, K)
        sample_weight : array-like of shape (n,), optional
        mask : ClassMask or mask-like, optional
            Valid classes per row (``None``: read from the margins' ``-1e30`` offset).
        gradient_out, hessian_out : ndarray of shape (n, K), optional
            Where to write (float32 or float64); default: new arrays. Either may be
            ``raw_prediction`` itself: the call then reads a copy of the margins.

        Returns
        -------
        gradient, hessian : ndarray of shape (n, K)
        """
        raw, columns, weight, indptr, indices, from_margin = self._batch(
            y_true, raw_prediction, sample_weight, mask
        )
        grad, hess, raw = _inputs.outputs(gradient_out, hessian_out, raw, _row_max(weight))
        scale, floor = self._scale_floor()
        if from_margin and _inputs.dense_pays(raw):  # the same outputs, faster with many valid classes
            status, where = _inputs.run_rows(
                _seg.grouped_grad_hess_dense, raw.shape[0], raw.shape[1], raw, columns, self._ptr, _IGNORED,
                weight, scale, floor, grad, hess,
            )  # fmt: skip
            self._raise(status, where)
            return grad, hess
        group_of = np.repeat(np.arange(self.n_groups), self.sizes)
        status, where = _inputs.run_rows(
            _seg.grouped_grad_hess, raw.shape[0], raw.shape[1], raw, columns, group_of, self._ptr, _IGNORED,
            weight, indptr, indices, from_margin, scale, floor, grad, hess,
        )  # fmt: skip
        self._raise(status, where)
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row weighted loss summed over the groups, shape (n,), float64."""
        return self.loss_per_group(y_true, raw_prediction, sample_weight=sample_weight, mask=mask).sum(axis=1)

    def loss_per_group(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per (row, group) weighted loss, shape (n, G), 0 where the label is ignored."""
        raw, columns, weight, indptr, indices, from_margin = self._batch(
            y_true, raw_prediction, sample_weight, mask
        )
        out = np.empty((raw.shape[0], self.n_groups))
        group_of = np.repeat(np.arange(self.n_groups), self.sizes)
        status, where = _inputs.run_rows(
            _seg.grouped_loss, raw.shape[0], raw.shape[1], raw, columns, group_of, self._ptr, _IGNORED,
            weight, indptr, indices, from_margin, out,
        )  # fmt: skip
        self._raise(status, where)
        return out

    def mean_loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, **kwargs: Any
    ) -> float:
        """The sum over groups of each group's weighted mean loss over its labelled rows
        (what the adapters report as this loss's metric; see :meth:`group`)."""
        per_group = self.loss_per_group(y_true, raw_prediction, sample_weight=sample_weight, **kwargs)
        return float(sum(self._group_mean(per_group, y_true, sample_weight, g) for g in range(self.n_groups)))

    def group(self, g: int) -> Loss:
        """A loss that reports group ``g`` alone, as an eval metric: ``xgboost_metric(loss.group(0))``
        gives ``"<name>[0]"``, the weighted mean loss of group 0 over its labelled rows."""
        if isinstance(g, bool) or not isinstance(g, numbers.Integral) or not 0 <= g < self.n_groups:
            raise ValueError(f"g: expected a group 0..{self.n_groups - 1}; got {g!r}")
        return _OneGroup(self, int(g))

    def _group_mean(self, per_group: np.ndarray, y_true: Any, sample_weight: Any, g: int) -> float:
        labelled = self._decode(y_true, None)[:, g] != _IGNORED
        sw = _inputs.check_sample_weight(sample_weight, per_group.shape[0])
        counted = labelled * (1.0 if sw is None else sw)
        total = counted.sum()
        return float(per_group[:, g].sum() / total) if total > 0 else 0.0

    def _raise(self, status: int, where: int) -> None:
        """The kernels' ``(status, i * G + g)`` as a ``ValueError`` naming the row and group."""
        if status == _sm.OK:
            return
        row, g = divmod(where, self.n_groups)
        if status == _sm.ERR_NONFINITE:
            raise ValueError(
                f"raw_prediction: row {row} has a NaN or infinite margin in group {g}; margins must be "
                f"finite on valid classes (a margin <= -1e29 marks an invalid class; NaN never does)"
            )
        what = (
            "has no valid class"
            if status == _sm.ERR_EMPTY_ROW
            else "has a label that is not one of its valid classes"
        )
        raise ValueError(f"y_true: row {row}, group {g} {what}")

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> list[np.ndarray]:
        """One (n, K_g) array of probabilities per group; rows sum to 1, 0 on invalid classes.

        Parameters
        ----------
        raw_prediction : array-like of shape (n, K)
        mask : ClassMask or mask-like, optional
            Valid classes per row (``None``: read from the margins' ``-1e30`` offset).

        Returns
        -------
        list of ndarray of shape (n, K_g), float64

        Raises
        ------
        ValueError
            When a row has no valid class in a group (the message names the row and the
            group), whatever the group's size, or a NaN or infinite margin on a valid class.
            Training accepts a group without a valid class where the row's label of that
            group is ``ignore_index`` (the group contributes nothing); probabilities have no
            labels to skip a group by, and a block of zeros would read as class 0 to
            ``argmax``. Give such rows a valid class in every group, or leave them out.
        """
        raw = _inputs.check_raw_prediction(raw_prediction, multiclass=True)
        if raw.shape[1] != self.n_classes:
            raise ValueError(
                f"raw_prediction: has {raw.shape[1]} columns but the groups {self.sizes.tolist()} have "
                f"{self.n_classes}"
            )
        cmask = _inputs.check_mask(mask, raw.shape[0], raw.shape[1])
        dense = None if cmask is None else cmask.to_dense()
        self._check_predictable(raw, dense)
        out = []
        for g in range(self.n_groups):
            lo, hi = self._ptr[g], self._ptr[g + 1]
            if hi - lo == 1:  # its one class is valid in every row (checked above): probability 1
                out.append(np.ones((raw.shape[0], 1)))
                continue
            block = np.ascontiguousarray(raw[:, lo:hi])
            sub = None if dense is None else ClassMask.from_dense(dense[:, lo:hi])
            out.append(SoftmaxLoss().predict_proba(block, mask=sub))
        return out

    def _check_predictable(self, raw: np.ndarray, dense: np.ndarray | None) -> None:
        """Raise unless every row has a valid class in every group, with finite margins on
        valid classes (``dense``: the mask; ``None``: read from the margins' offset).
        Errors name the first offending row and its group."""
        if not raw.size:
            return
        if dense is None:
            valid = ~(raw <= INVALID_BELOW)  # NaN never marks an invalid class: reported below
        else:
            valid = dense
        has_valid = np.logical_or.reduceat(valid, self._ptr[:-1], axis=1)  # (n, G)
        if not has_valid.all():
            row, g = (int(v) for v in np.argwhere(~has_valid)[0])
            lo, hi = self._ptr[g], self._ptr[g + 1]
            one = hi - lo == 1
            if dense is not None:
                where = f"mask: row {row} has no valid class in group {g} "
                where += f"(column {lo})" if one else f"(columns {lo}..{hi - 1})"
            else:
                where = f"raw_prediction: row {row} has no valid class in group {g} "
                where += f"(the margin of column {lo}" if one else f"(every margin of columns {lo}..{hi - 1}"
                where += f" <= {INVALID_BELOW:g})"
            raise ValueError(
                f"{where}; predict_proba needs at least one in every group of every row (training accepts "
                f"none only where the row's label of the group is ignore_index)"
            )
        bad = valid & ~np.isfinite(raw)
        if bad.any():
            row, column = (int(v) for v in np.argwhere(bad)[0])
            g = int(np.searchsorted(self._ptr, column, side="right")) - 1
            raise ValueError(
                f"raw_prediction: row {row} has a NaN or infinite margin in group {g}; margins must be "
                f"finite on valid classes (a margin <= -1e29 marks an invalid class; NaN never does)"
            )

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """Per-column start margins, shape (K,): each group's masked class prior
        (:meth:`SoftmaxLoss.init_raw_prediction` on the group's labelled rows)."""
        columns = self._decode(y_true, None)
        n = columns.shape[0]
        cmask = None if mask is None else _inputs.check_mask(mask, n, self.n_classes, what="y_true")
        if cmask is not None:
            self._check_against_mask(columns, cmask)  # errors name the row of y_true
        sw = _inputs.check_sample_weight(sample_weight, n)
        dense = None if cmask is None else cmask.to_dense()
        out = np.zeros(self.n_classes)
        for g in range(self.n_groups):
            lo, hi = self._ptr[g], self._ptr[g + 1]
            rows = np.flatnonzero(columns[:, g] != _IGNORED)
            if rows.size == 0:
                continue
            cw = None if self.class_weight is None else (
                "balanced" if isinstance(self.class_weight, str) else np.asarray(self.class_weight)[lo:hi]
            )  # fmt: skip
            sub_mask = None if dense is None else ClassMask.from_dense(dense[rows, lo:hi])
            out[lo:hi] = SoftmaxLoss(class_weight=cw).init_raw_prediction(
                columns[rows, g] - lo,
                sample_weight=None if sw is None else sw[rows],
                mask=sub_mask,
                n_classes=hi - lo,
            )
        return out


class _OneGroup(Loss):
    """One group of a :class:`GroupedSoftmaxLoss`, as an eval metric (see ``group``)."""

    is_multiclass = True

    def __init__(self, grouped: GroupedSoftmaxLoss, g: int) -> None:
        self.grouped = grouped
        self.g = g

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.grouped.name}[{self.g}]"

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row loss of the group, shape (n,)."""
        per_group = self.grouped.loss_per_group(
            y_true, raw_prediction, sample_weight=sample_weight, mask=mask
        )
        return per_group[:, self.g]

    def mean_loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, **kwargs: Any
    ) -> float:
        """The group's weighted mean loss over its labelled rows."""
        per_group = self.grouped.loss_per_group(y_true, raw_prediction, sample_weight=sample_weight, **kwargs)
        return self.grouped._group_mean(per_group, y_true, sample_weight, self.g)


#: Internal marker of an ignored label (global columns are >= 0).
_IGNORED = -1
#: Code dtypes the decoding kernel takes as they are (others go through NumPy).
_KERNEL_CODE_DTYPES = tuple(
    np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64, np.uint32, np.uint64)
)


def _row_max(weight: np.ndarray) -> np.ndarray | None:
    """``weight.max(axis=1)`` for (n, G) weights, as G - 1 passes over n (numpy's reduction
    along a short axis is several times slower)."""
    if not weight.size:
        return None
    out = weight[:, 0].copy()
    for g in range(1, weight.shape[1]):
        np.maximum(out, weight[:, g], out=out)
    return out


def _group_ptr(groups: Any, by: str) -> np.ndarray:
    """(G + 1,) column bounds of the groups."""
    if by not in ("size", "id"):
        raise ValueError(f"by: expected 'size' or 'id'; got {by!r}")
    arr = np.asarray(groups)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise ValueError(f"groups: expected a non-empty 1-D sequence of integers; got {groups!r}")
    if by == "size":
        if (arr < 1).any():
            raise ValueError(f"groups: every group needs at least one column; got sizes {arr.tolist()}")
        ptr = np.concatenate([[0], np.cumsum(arr)]).astype(np.int64)
    else:
        if arr[0] != 0 or (np.diff(arr) < 0).any() or (np.diff(arr) > 1).any():
            raise ValueError(
                f"groups: with by='id', expected ids 0..G-1 in order, each group's columns consecutive; "
                f"got {arr.tolist()}"
            )
        ptr = np.concatenate([[0], np.flatnonzero(np.diff(arr)) + 1, [arr.size]]).astype(np.int64)
    if ptr[-1] < 2:
        raise ValueError(
            f"groups: expected at least 2 columns in all (the margins of a multiclass model); "
            f"got {groups!r}, {ptr[-1]} column"
        )
    return ptr
