"""``predict_proba`` for trained XGBoost and LightGBM boosters, with masks."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from ._adapters import check_intercept, margin_init
from ._carry import check_carried
from ._inputs import n_rows_of
from ._maskgrammar import check_aligned
from .losses import BinaryLogLoss, masked_softmax
from .masks import INVALID_BELOW, INVALID_OFFSET, ClassMask

__all__ = ["predict_proba", "predict_margin"]


def predict_margin(
    booster: Any, data: Any, *, mask: Any = None, init_score: Any = None, **predict_kwargs: Any
) -> np.ndarray:
    """The margins a booster was trained on, offset and intercept included.

    Parameters
    ----------
    booster : xgboost.Booster or lightgbm.Booster
    data : array-like of shape (n, n_features), or an xgboost.DMatrix
        Raw features get the start margins that :func:`boostobj.xgboost_dmatrix` /
        :func:`boostobj.lightgbm_dataset` would give them for the same ``mask`` and
        ``init_score``. A DMatrix is used as is, with its own ``base_margin`` (or
        XGBoost's ``base_score`` when it has none: pass ``xgboost.DMatrix(X)`` for a
        model trained by a built-in objective on a DMatrix without ``base_margin``);
        ``mask=`` then adds the offset where ``base_margin`` lacks it, and is an error
        where it calls a class valid that ``base_margin`` marks invalid. A DMatrix built
        by :func:`xgboost_dmatrix` whose ``base_margin`` was since replaced is refused.
    mask, init_score
        As given to the data set the booster was trained on. The mask's rows are matched
        to ``data``'s by position: a pandas mask must have the index of a pandas ``data``.
    **predict_kwargs
        Passed to the booster's ``predict`` (e.g. ``iteration_range=``, ``num_iteration=``).

    Returns
    -------
    ndarray of shape (n, K), or (n,) for a one-margin (binary) model
        float32 for XGBoost, float64 for LightGBM; ``-1e30`` (plus the intercept) on
        invalid classes.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, n_classes=4, n_valid=2, random_state=0)
    >>> params = {"num_class": 4, "objective": boostobj.lightgbm_objective(), "verbose": -1}
    >>> bst = lgb.train(params, boostobj.lightgbm_dataset(X, y, mask=mask), 3)
    >>> raw = boostobj.predict_margin(bst, X, mask=mask)
    >>> raw.shape, bool((raw[~mask.to_dense()] <= -1e29).all())
    ((300, 4), True)
    """
    backend = _backend_of(booster)
    check_aligned(data, mask, "mask")  # a pandas mask must list data's rows, in data's order
    intercept = check_intercept(init_score)
    if mask is not None or intercept is not None:
        k = _n_outputs(booster, backend)
        booster_intercept(init_score, k)
    if mask is not None:
        mask = ClassMask._read(mask, k if k > 1 else None)  # per-row class indices take the booster's K
        if mask.n_classes != k:
            raise ValueError(
                f"mask: has {mask.n_classes} classes but the booster predicts {k}; they must match"
            )
    if backend == "xgboost":
        import xgboost

        if isinstance(data, xgboost.DMatrix):
            if init_score is not None:
                raise ValueError(
                    "init_score: a DMatrix carries its own base_margin; pass raw features, or "
                    "build the DMatrix with xgboost_dmatrix(..., init_score=...)"
                )
            check_carried(data, "xgboost")  # built by xgboost_dmatrix: is its base_margin still its own?
            raw = _no_rows_shaped(booster.predict(data, output_margin=True, **predict_kwargs), booster)
            return raw if mask is None else _with_offset(raw, mask)
    elif hasattr(data, "construct") and hasattr(data, "get_label"):
        raise TypeError("data: LightGBM predicts from features (array, DataFrame), not from a Dataset")
    n_rows = n_rows_of(data)
    if n_rows == 0:  # no rows (an empty Dask partition): nothing to ask the backend, whose
        # array interface may refuse an empty array's unaligned data pointer
        if mask is not None:
            mask.check_rows(0, "data")
        k = _n_outputs(booster, backend)
        return np.empty((0, k) if k > 1 else (0,), np.float32 if backend == "xgboost" else np.float64)
    if backend == "xgboost":
        start = margin_init(mask, init_score, n_rows, np.float32)
        dmatrix = xgboost.DMatrix(data, base_margin=start, enable_categorical=True)  # categorical frames
        return _no_rows_shaped(booster.predict(dmatrix, output_margin=True, **predict_kwargs), booster)
    raw = _no_rows_shaped(booster.predict(data, raw_score=True, **predict_kwargs), booster)
    start = margin_init(mask, init_score, raw.shape[0], np.float64)
    return raw if start is None else raw + start.reshape(raw.shape)


def booster_intercept(init_score: Any, k: int) -> np.ndarray | None:
    """``init_score`` (checked by ``check_intercept``) for a booster of ``k`` margins: an
    error unless it has ``k`` values."""
    intercept = check_intercept(init_score)
    if intercept is not None and intercept.size != k:
        raise ValueError(
            f"init_score: expected {k} values (one per margin of the booster); got {intercept.size}"
        )
    return intercept


def _with_offset(raw: np.ndarray, mask: ClassMask) -> np.ndarray:
    """A DMatrix's margins ``raw`` (n, K) with ``mask`` applied: the ``-1e30`` offset added
    where the mask says invalid and the DMatrix's ``base_margin`` did not already (a DMatrix
    without one: renormalising a built-in objective's model); an error where the mask says
    valid but ``base_margin`` says invalid (the two disagree, and the softmax over the
    mask's classes would be made up)."""
    mask.check_rows(raw.shape[0], "data")
    valid = mask.to_dense()
    marked = raw <= INVALID_BELOW
    clash = valid & marked
    if clash.any():
        row, col = np.argwhere(clash)[0]
        raise ValueError(
            f"mask: class {col} of row {row} is valid in mask but invalid in the DMatrix's base_margin "
            f"(its margin is {raw[row, col]:g}); pass the mask the DMatrix was built with "
            f"(xgboost_dmatrix(..., mask=...)), or leave mask= out to use the DMatrix's own"
        )
    offset = ~valid & ~marked
    if not offset.any():
        return raw
    return np.where(offset, raw + raw.dtype.type(INVALID_OFFSET), raw)


def _no_rows_shaped(raw: np.ndarray, booster: Any) -> np.ndarray:
    """The backends return shape (0,) for no rows (an empty Dask partition), whatever K is."""
    if raw.shape[0] != 0:
        return raw
    k = _n_outputs(booster, _backend_of(booster))
    return raw.reshape((0, k) if k > 1 else (0,))


def predict_proba(
    booster: Any, data: Any, *, mask: Any = None, init_score: Any = None, **predict_kwargs: Any
) -> np.ndarray:
    """Class probabilities of a booster, 0 on invalid classes, rows summing to 1.

    Works for ``xgboost.Booster`` and ``lightgbm.Booster`` trained with boostobj's
    objectives or with the built-in ones on masked margins: the softmax, over each row's
    valid classes, of :func:`predict_margin`.

    Parameters
    ----------
    booster : xgboost.Booster or lightgbm.Booster
        For an ``XGBClassifier`` / ``LGBMClassifier`` pass ``model.get_booster()`` /
        ``model.booster_``.
    data : array-like of shape (n, n_features), or an xgboost.DMatrix
        Raw features (array or DataFrame) get the start margins that
        :func:`xgboost_dmatrix` / :func:`lightgbm_dataset` would give them for the same
        ``mask`` and ``init_score``. A DMatrix is used as is, with its own
        ``base_margin``; for a model trained by a built-in objective on a DMatrix without
        ``base_margin``, pass ``xgboost.DMatrix(X)`` (and ``mask=`` to renormalise), so that
        XGBoost's learned ``base_score`` is kept.
    mask : ClassMask or mask-like, optional
        Valid classes of each row of ``data``, matched by position (a pandas mask must
        have the index of a pandas ``data``). ``None``: read them from the margins (a
        DMatrix's ``base_margin`` offset), or take every class.
    init_score : array-like of shape (K,), optional
        The intercept the training data was built with (``init_score=`` of
        :func:`xgboost_dmatrix` / :func:`lightgbm_dataset`).
    **predict_kwargs
        Passed to the booster's ``predict`` (e.g. ``iteration_range=`` for XGBoost,
        ``num_iteration=`` for LightGBM).

    Returns
    -------
    ndarray of shape (n, K), float64
        Exactly 0 on invalid classes; rows sum to 1. Shape (n, 2) for a one-margin
        (binary) model.

    Examples
    --------
    >>> import xgboost as xgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, n_classes=4, n_valid=2, random_state=0)
    >>> loss = boostobj.SoftmaxLoss()
    >>> intercept = loss.init_raw_prediction(y, mask=mask)
    >>> dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask, init_score=intercept)
    >>> params = {"num_class": 4, "disable_default_eval_metric": 1, "nthread": 1}
    >>> bst = xgb.train(params, dtrain, 3, obj=boostobj.xgboost_objective(loss))
    >>> proba = boostobj.predict_proba(bst, X, mask=mask, init_score=intercept)
    >>> proba.shape, bool((proba[~mask.to_dense()] == 0).all()), bool(abs(proba.sum(1) - 1).max() < 1e-12)
    ((300, 4), True, True)
    """
    raw = predict_margin(booster, data, mask=mask, init_score=init_score, **predict_kwargs)
    if raw.ndim == 1 or raw.shape[1] == 1:
        return BinaryLogLoss().predict_proba(raw, mask=mask)
    return masked_softmax(raw, mask=mask)


def _n_outputs(booster: Any, backend: str) -> int:
    """Margins per row of a booster: K for a multiclass model, 1 otherwise."""
    if backend == "lightgbm":
        return int(booster.num_model_per_iteration())
    config = json.loads(booster.save_config())
    return max(1, int(config["learner"]["learner_model_param"]["num_class"]))


def _backend_of(booster: Any) -> str:
    xgboost = sys.modules.get("xgboost")
    if xgboost is not None and isinstance(booster, xgboost.Booster):
        return "xgboost"
    lightgbm = sys.modules.get("lightgbm")
    if lightgbm is not None and isinstance(booster, lightgbm.Booster):
        return "lightgbm"
    raise TypeError(
        f"booster: expected an xgboost.Booster or a lightgbm.Booster, got {type(booster).__name__} "
        f"(for an XGBClassifier/LGBMClassifier pass model.get_booster() / model.booster_)"
    )
