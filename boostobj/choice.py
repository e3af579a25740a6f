"""Choice sets in long format: the multinomial logit of discrete-choice modelling, boosted.

One row per (choice situation, alternative), with the alternative's own features (price
and travel time of each transport mode, features of each candidate item); the model has
ONE margin per row and the softmax runs over the rows of each choice situation (a
*group*, XGBoost's ``qid``, LightGBM's ``group``). An unavailable alternative is simply
an absent row. Unlike XGBoost's ``rank:*`` or LightGBM's ``lambdarank``, which optimise
ranking surrogates, this is the likelihood of the observed choices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _inputs
from ._kernels import segments as _seg
from ._kernels import softmax as _sm
from .losses import HESSIAN_CONVENTIONS, Loss, _check_backend, segment_scale_floor

__all__ = ["ChoiceLoss", "group_pointers", "check_share_sums", "check_whole_groups"]

#: Tolerance on each group's choice shares summing to 1.
SHARE_TOLERANCE = 1e-6
#: How to keep choice sets whole in cross-validation (the errors about cut groups say it).
SPLIT_BY_GROUP = (
    "pass lightgbm.cv folds that split by group, e.g. folds=sklearn.model_selection.GroupKFold(nfold) "
    "(lightgbm.cv hands a splitter the Dataset's groups)"
)
#: Attribute of a LightGBM subset whose groups ``check_whole_groups`` found whole (its rows).
_CHECKED = "_boostobj_whole_groups"


class ChoiceLoss(Loss):
    """Softmax cross-entropy over the rows of each group (conditional logit).

    For group ``s`` with rows ``R_s``, margins ``f``, choice shares ``t`` (1 on the chosen
    row and 0 elsewhere, or shares summing to 1) and group weight ``w_s``::

        p_r    = exp(f_r) / sum_{q in R_s} exp(f_q)
        loss_s = w_s (logsumexp_{R_s} f - sum_r t_r f_r)
        grad_r = w_s (p_r - t_r),    hess_r = max(c w_s p_r (1 - p_r), floor)

    This is :class:`SoftmaxLoss` in long format: the rows of a group are the valid
    classes of one wide row (tested against it).

    Parameters
    ----------
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        ``c``: 1 ("exact", also what "auto" takes: no built-in objective to match), 2 with
        floor 1e-16 ("xgboost", as its softmax), ``n_s / (n_s - 1)`` with the group's size
        ``n_s`` ("lightgbm", as its multiclass).
    hessian_floor : float or None, default=None
        Lower bound of the Hessian (``None``: the convention's own).

    Notes
    -----
    Rows of a group must be contiguous (XGBoost's and LightGBM's own requirement for
    groups): sort by group first. Weights are per group; per-row weights must be constant
    within each group (XGBoost's data sets hold one weight per group).

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj.choice import ChoiceLoss
    >>> loss = ChoiceLoss()
    >>> raw = np.array([0.0, 0.0, 0.0, 1.0, 1.0])   # two situations: 3 and 2 alternatives
    >>> chosen = np.array([1, 0, 0, 0, 1])
    >>> loss.predict_proba(raw, group=[3, 2]).round(3)
    array([0.333, 0.333, 0.333, 0.5  , 0.5  ])
    >>> loss.gradient_hessian(chosen, raw, group=[3, 2])[0].round(3)
    array([-0.667,  0.333,  0.333,  0.5  , -0.5  ])
    """

    is_multiclass = False
    name = "choice"
    #: The adapters pass each data set's group pointers (``group_ptr=``) to this loss.
    needs_groups = True

    def __init__(self, hessian: str = "auto", hessian_floor: float | None = None) -> None:
        if hessian != "auto" and hessian not in HESSIAN_CONVENTIONS:
            raise ValueError(f"hessian: expected one of {['auto', *HESSIAN_CONVENTIONS]}; got {hessian!r}")
        if hessian_floor is not None:
            _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)
        self.hessian = hessian
        self.hessian_floor = hessian_floor

    def for_backend(self, backend: str) -> ChoiceLoss:
        _check_backend(backend)
        return self  # "auto" stays exact: there is no built-in objective to reproduce

    # ------------------------------------------------------------------ inputs
    def backend_labels(self, y: Any, n_rows: int, mask: Any) -> np.ndarray:
        """Per-row choice shares as the backends' data sets carry them (float64, (n,))."""
        _reject_mask(mask)
        return _shares(y, n_rows)

    def _batch(
        self,
        y_true: Any,
        raw_prediction: Any,
        sample_weight: Any,
        group: Any,
        qid: Any,
        group_ptr: Any,
        *,
        kernel_checks: bool = False,
    ):
        """``kernel_checks``: leave checking the shares' values and sums to the kernel
        (``segment_softmax``'s ``tolerance``); float targets then pass as they are."""
        raw = _inputs.check_raw_prediction(raw_prediction, multiclass=False)
        n = raw.shape[0]
        ptr = group_pointers(n, group=group, qid=qid, group_ptr=group_ptr)
        if kernel_checks and y_true is not None:
            shares = _share_array(y_true, n)
        else:
            shares = None if y_true is None else _shares(y_true, n)
            if shares is not None:
                check_share_sums(shares, ptr)
        return raw, shares, ptr, _group_weights(sample_weight, ptr, n)

    def _scale_floor(self, ptr: np.ndarray) -> tuple[np.ndarray, float]:
        return segment_scale_floor(self.hessian, self.hessian_floor, np.diff(ptr))

    # ------------------------------------------------------------------ the loss
    def gradient_hessian(
        self,
        y_true: Any,
        raw_prediction: Any,
        *,
        sample_weight: Any = None,
        mask: Any = None,
        group: Any = None,
        qid: Any = None,
        group_ptr: Any = None,
        gradient_out: np.ndarray | None = None,
        hessian_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian with respect to the (n,) margins.

        Parameters
        ----------
        y_true : array-like of shape (n,)
            1 on each group's chosen row, 0 elsewhere (or shares summing to 1 per group).
        raw_prediction : array-like of shape (n,)
        sample_weight : array-like of shape (n_groups,) or (n,), optional
            Per group, or per row (constant within each group).
        mask : None
            Choice sets have no masks (an unavailable alternative is an absent row).
        group, qid, group_ptr : array-like, one of them
            The groups: sizes (LightGBM's ``group``), a group id per row (XGBoost's
            ``qid``; contiguous), or the pointers ``0 = ptr[0] < ... < ptr[-1] = n``.

        Returns
        -------
        gradient, hessian : ndarray of shape (n,)
        """
        _reject_mask(mask)
        if y_true is None:
            raise ValueError("y_true: labels are required (1 on each group's chosen row, or shares)")
        raw, shares, ptr, w = self._batch(
            y_true, raw_prediction, sample_weight, group, qid, group_ptr, kernel_checks=True
        )
        grad, hess, raw = _inputs.outputs(gradient_out, hessian_out, raw, w)
        scale, floor = self._scale_floor(ptr)
        status, where = _inputs.run_rows(  # threads split the groups; by rows, not groups
            _seg.segment_softmax,
            ptr.size - 1,
            _mean_size(ptr),
            raw,
            shares,
            ptr,
            w,
            scale,
            floor,
            SHARE_TOLERANCE,
            grad,
            hess,
        )
        if status in (_seg.ERR_BAD_TARGET, _seg.ERR_TARGET_SUM):
            check_share_sums(_shares(y_true, raw.shape[0]), ptr)  # raises the message of the Python checks
        _raise(status, where)
        return grad, hess

    def loss(
        self,
        y_true: Any,
        raw_prediction: Any,
        *,
        sample_weight: Any = None,
        mask: Any = None,
        group: Any = None,
        qid: Any = None,
        group_ptr: Any = None,
    ) -> np.ndarray:
        """Per-group weighted loss, shape (n_groups,), float64."""
        _reject_mask(mask)
        if y_true is None:
            raise ValueError("y_true: labels are required (1 on each group's chosen row, or shares)")
        raw, shares, ptr, w = self._batch(y_true, raw_prediction, sample_weight, group, qid, group_ptr)
        out = np.empty(ptr.size - 1)
        status, where = _inputs.run_rows(
            _seg.segment_loss, ptr.size - 1, _mean_size(ptr), raw, shares, ptr, w, out
        )
        _raise(status, where)
        return out

    def mean_loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, **kwargs: Any
    ) -> float:
        """The loss per choice situation, averaged with the group weights."""
        mask = kwargs.pop("mask", None)
        raw, _, ptr, w = self._batch(None, raw_prediction, sample_weight, **_groups(kwargs))
        per_group = self.loss(y_true, raw, sample_weight=w, mask=mask, group_ptr=ptr)
        return float(per_group.sum() / w.sum())

    def predict_proba(
        self,
        raw_prediction: Any,
        *,
        mask: Any = None,
        group: Any = None,
        qid: Any = None,
        group_ptr: Any = None,
    ) -> np.ndarray:
        """Each row's choice probability within its group, shape (n,); groups sum to 1."""
        _reject_mask(mask)
        raw, _, ptr, _ = self._batch(None, raw_prediction, None, group, qid, group_ptr)
        raw = raw.astype(np.float64)  # XGBoost's margins are float32: the softmax in float64
        if not np.isfinite(raw).all():
            row = int(np.flatnonzero(~np.isfinite(raw))[0])
            raise ValueError(f"raw_prediction: row {row} has a NaN or infinite margin")
        starts = ptr[:-1]
        sizes = np.diff(ptr)
        top = np.repeat(np.maximum.reduceat(raw, starts), sizes) if raw.size else raw
        e = np.exp(raw - top)
        return e / np.repeat(np.add.reduceat(e, starts), sizes) if raw.size else e

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """``[0.0]``: a constant start margin cancels in every group's softmax."""
        return np.zeros(1)


def check_share_sums(shares: np.ndarray, ptr: np.ndarray, name: str = "y_true") -> None:
    """Raise unless each group's choice shares sum to 1 (within ``SHARE_TOLERANCE``)."""
    sums = np.add.reduceat(shares, ptr[:-1]) if ptr.size > 1 else np.zeros(0)
    bad = np.abs(sums - 1.0) > SHARE_TOLERANCE
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        cut = (
            f"; a group cut apart can lack its chosen row (lightgbm.cv's default folds split rows): "
            f"{SPLIT_BY_GROUP}"
            if sums[s] < 1.0
            else ""
        )
        raise ValueError(
            f"{name}: group {s} (rows {ptr[s]}..{ptr[s + 1] - 1}) has choice shares summing to "
            f"{sums[s]:.10g}; each group needs one chosen row (or shares summing to 1 within "
            f"{SHARE_TOLERANCE:g}){cut}"
        )


def check_whole_groups(data: Any) -> None:
    """Raise unless a LightGBM subset keeps each group of the data set it was cut from
    whole (all its rows, once each) or leaves it out.

    ``lightgbm.cv`` builds each fold with ``Dataset.subset(used_indices)``, and the subset's
    groups are the rows it keeps of each group: with folds that split rows (its default),
    a choice situation loses alternatives, and the loss would train on truncated choice
    sets, silently where the chosen row stays. The subset records its rows
    (``used_indices``) and the data set it was cut from (``reference``), whose groups are
    the whole ones; anything else passes unchecked.

    Parameters
    ----------
    data : lightgbm.Dataset, or any object
        A data set the objective or metric receives.

    Raises
    ------
    ValueError
        Naming the first group cut, with its rows in the parent data set.
    """
    rows = getattr(data, "used_indices", None)
    parent = getattr(data, "reference", None)
    if rows is None or parent is None or getattr(data, _CHECKED, None) is rows:
        return
    check_whole_groups(parent)  # a subset of a subset: the parent's groups whole first
    sizes = parent.get_group() if hasattr(parent, "get_group") else None
    if sizes is None:
        return
    ptr = np.r_[0, np.cumsum(np.asarray(sizes, dtype=np.int64))]
    kept = np.sort(np.asarray(rows, dtype=np.int64).reshape(-1))
    if not kept.size or kept[0] < 0 or kept[-1] >= ptr[-1]:
        return  # no rows, or not rows of this parent (LightGBM refuses those itself)
    group_of = np.searchsorted(ptr, kept, side="right") - 1
    counts = np.bincount(group_of, minlength=ptr.size - 1)
    distinct = np.bincount(group_of[np.r_[True, np.diff(kept) != 0]], minlength=ptr.size - 1)
    bad = (counts > 0) & ((counts != np.diff(ptr)) | (distinct != counts))
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        size = int(ptr[s + 1] - ptr[s])
        what = (
            f"keeps {distinct[s]} of the {size} rows of group {s}"
            if distinct[s] != size
            else f"repeats rows of group {s}"
        )
        raise ValueError(
            f"folds: this LightGBM Dataset is a subset (Dataset.subset, as lightgbm.cv builds each fold) "
            f"that {what} (rows {ptr[s]}..{ptr[s + 1] - 1} of the Dataset it was cut from); a choice loss "
            f"needs each group whole (each row once) or absent, and lightgbm.cv's default folds split rows: "
            f"{SPLIT_BY_GROUP}"
        )
    setattr(data, _CHECKED, rows)


def _missing_ids(ids: np.ndarray) -> np.ndarray:
    """(n,) bool: ids that are NaN, infinite, NaT, None or a missing-value marker (pd.NA)."""
    if ids.dtype.kind in "fc":
        return ~np.isfinite(ids)
    if ids.dtype.kind in "mM":
        return np.isnat(ids)
    if ids.dtype.kind != "O":
        return np.zeros(ids.shape, bool)

    def missing(v: Any) -> bool:
        if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
            return True
        try:
            return bool(v != v)  # NaN
        except TypeError:  # pd.NA: its comparisons are NA, whose truth is undefined
            return True

    return np.fromiter((missing(v) for v in ids), bool, ids.size)


def group_pointers(n_rows: int, *, group: Any = None, qid: Any = None, group_ptr: Any = None) -> np.ndarray:
    """(n_groups + 1,) int64 pointers of contiguous groups, from exactly one description.

    Parameters
    ----------
    n_rows : int
    group : array-like of int, optional
        Group sizes (LightGBM's ``group``), summing to ``n_rows``.
    qid : array-like, optional
        A group id per row (XGBoost's ``qid``); each group's rows contiguous.
    group_ptr : array-like of int, optional
        Pointers ``0 = ptr[0] < ptr[1] < ... < ptr[-1] = n_rows`` (XGBoost's ``group_ptr``).
    """
    given = [name for name, v in (("group", group), ("qid", qid), ("group_ptr", group_ptr)) if v is not None]
    if len(given) != 1:
        raise ValueError(
            f"group, qid, group_ptr: a choice loss needs exactly one description of the groups; got "
            f"{given or 'none'} (through XGBoost give the DMatrix qid=, through LightGBM the Dataset group=)"
        )
    if qid is not None:
        ids = np.asarray(qid).reshape(-1)
        if ids.shape != (n_rows,):
            raise ValueError(f"qid: expected one id per row ({n_rows}); got shape {np.shape(qid)}")
        missing = _missing_ids(ids)  # NaN != NaN: each missing id would be a group of its own
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise ValueError(f"qid: expected a finite group id in every row; row {row} has {ids[row]}")
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if n_rows else np.zeros(0, np.int64)
        try:
            distinct = np.unique(ids[starts]).size
        except TypeError:  # ids numpy cannot order (mixed types in an object array)
            kinds = sorted({type(v).__name__ for v in ids})
            raise ValueError(f"qid: expected ids of one type (numbers or strings); got {kinds}") from None
        if distinct != starts.size:
            seen, dup = set(), None
            for v in ids[starts].tolist():
                if v in seen:
                    dup = v
                    break
                seen.add(v)
            raise ValueError(
                f"qid: the rows of group {dup!r} are not contiguous; sort the rows by group first"
            )
        return np.r_[starts, n_rows].astype(np.int64)
    values = np.asarray(group if group is not None else group_ptr)
    name = "group" if group is not None else "group_ptr"
    if (
        values.ndim != 1
        or (values.size and values.dtype.kind not in "iuf")
        or (values.dtype.kind == "f" and not (np.isfinite(values) & (values == np.round(values))).all())
    ):
        raise ValueError(f"{name}: expected a 1-D array of integers; got {values.tolist()[:10]!r}")
    values = values.astype(np.int64)
    ptr = np.r_[0, np.cumsum(values)] if group is not None else values
    if ptr.size < 1 or ptr[0] != 0 or ptr[-1] != n_rows or (np.diff(ptr) <= 0).any():
        raise ValueError(
            f"{name}: expected groups of at least one row covering the {n_rows} rows; got "
            f"{np.asarray(group if group is not None else group_ptr).tolist()[:10]}"
        )
    return ptr


def _mean_size(ptr: np.ndarray) -> int:
    """Rows per group, rounded up: ``run_rows`` counts groups x this as the entries to split."""
    return max(1, -(-int(ptr[-1]) // max(ptr.size - 1, 1)))


def _share_array(y: Any, n_rows: int) -> np.ndarray:
    """``y`` as a (n,) array of flags or shares, its shape and dtype checked, its values not:
    float32 and float64 as they are (no copy), anything else as float64."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n_rows,):
        raise ValueError(f"y_true: expected shape ({n_rows},), one value per row; got {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"y_true: expected choice flags or shares; got dtype {arr.dtype}")
    return arr if arr.dtype in (np.float32, np.float64) else arr.astype(np.float64)


def _shares(y: Any, n_rows: int) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    _share_array(arr, n_rows)  # shape and dtype
    out = arr.astype(np.float64)
    bad = ~np.isfinite(out) | (out < 0) | (out > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = arr[row].item()
        raise ValueError(f"y_true: row {row} has {value!r}; expected 1 (chosen), 0, or a share in [0, 1]")
    return out


def _group_weights(sample_weight: Any, ptr: np.ndarray, n_rows: int) -> np.ndarray:
    """(n_groups,) weights from per-group or per-row (constant within groups) weights."""
    n_groups = ptr.size - 1
    if sample_weight is None:
        return np.ones(n_groups)
    arr = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if arr.size == n_groups and n_groups != n_rows:
        return _inputs.check_sample_weight(arr, n_groups)
    w = _inputs.check_sample_weight(arr, n_rows)
    per_group = w[ptr[:-1]]
    varies = np.repeat(per_group, np.diff(ptr)) != w
    if varies.any():
        row = int(np.flatnonzero(varies)[0])
        raise ValueError(
            f"sample_weight: row {row} weighs {w[row].item()!r}, unlike the first row of its group; a choice "
            f"set has one weight (give one per group)"
        )
    return per_group


def _reject_mask(mask: Any) -> None:
    if mask is not None:
        raise ValueError("mask: choice sets have no masks: an unavailable alternative is an absent row")


def _groups(given: dict) -> dict:
    return {"group": given.get("group"), "qid": given.get("qid"), "group_ptr": given.get("group_ptr")}


def _raise(status: int, where: int) -> None:
    if status == _sm.OK:
        return
    if status == _sm.ERR_EMPTY_ROW:  # pragma: no cover - group_pointers refuses empty groups
        raise ValueError(f"group: group {where} has no rows")
    if status == _seg.ERR_TARGET_SUM:  # pragma: no cover - a sum at the tolerance, rounded apart
        raise ValueError(f"y_true: the group starting at row {where} has choice shares that do not sum to 1")
    _inputs.raise_for_status(status, where)
