"""XGBoost adapters: objective and metric callables, and a DMatrix that carries the mask.

The mask travels with the data as an additive margin offset in ``base_margin`` (0 on
valid classes, -1e30 on invalid ones), so it follows the rows through eval sets,
``xgboost.cv`` folds and Dask partitions; objectives and metrics read it back from the
margins. XGBoost itself is imported only when a DMatrix is built.

XGBoost facts these adapters rely on (pinned by tests): the objective receives ``predt``
of shape (n, K), float32, C order, ``base_margin`` included; a callable objective gets
no intercept (margins start at ``base_margin``, or at a constant ``base_score``); a
``custom_metric`` receives margins when the objective is a callable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._adapters import BoundMetric, BoundObjective, dataset_fields

__all__ = ["XGBoostObjective", "XGBoostMetric", "xgboost_objective", "xgboost_metric", "xgboost_dmatrix"]


class XGBoostObjective(BoundObjective):
    """Objective callable for ``xgboost.train(obj=...)`` (also ``xgboost.cv``,
    ``xgboost.dask.train`` and ``XGBClassifier(objective=...)``).

    Parameters
    ----------
    loss : Loss, default=SoftmaxLoss()
        Its ``"auto"`` settings take XGBoost's conventions (Hessian ``2 p (1 - p) w``,
        floored at 1e-16), so that a full mask reproduces ``multi:softprob``.
    mask : ClassMask or mask-like, optional
        Bound mask of the training rows. ``None`` (recommended): read each row's valid
        classes from the margins, i.e. from the DMatrix's ``base_margin`` offset.
    targets : array-like of shape (n, K), optional
        Soft targets of the training rows, used instead of the labels (a loss that takes
        them: ``LabelSmoothingLoss``; e.g. a teacher's probabilities for distillation).
        They are matched to the training data by shape only: bind them to the objective
        of the data set they belong to.

    Call signatures
    ---------------
    ``obj(predt, dtrain)``: ``predt`` (n, K) float32 margins, ``dtrain`` a DMatrix
    (labels and weights are read from it). ``obj(y_true, y_pred, sample_weight=None)``:
    XGBoost's scikit-learn API. Returns ``(grad, hess)``, each (n, K) float32.
    """

    backend = "xgboost"

    def __call__(self, predt: Any, dtrain: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(dtrain, "get_label"):  # xgboost.train: (predt, dtrain)
            y, raw, weight, data = dtrain.get_label(), predt, dtrain.get_weight(), dtrain
        else:  # scikit-learn API: (y_true, y_pred, sample_weight)
            y, raw, weight, data = predt, dtrain, sample_weight, None
        return self._gradient_hessian(y, np.asarray(raw), _weights(weight), data)


class XGBoostMetric(BoundMetric):
    """Masked eval metric for ``xgboost.train(custom_metric=...)``.

    Works on every eval set, each read with its own mask from its ``base_margin``, so
    early stopping follows the masked metric. Pair it with
    ``params["disable_default_eval_metric"] = 1``.

    Parameters
    ----------
    metric : {"mlogloss", "merror", "logloss", "error"} or Loss, default="mlogloss"
        Reported as ``"masked-<metric>"`` (or the loss's ``name``); lower is better.
    mask : ClassMask or mask-like, optional
        A bound mask works only for data with the same rows; ``None`` reads margins.
    output_margin : bool, default=True
        True with boostobj's objective (XGBoost passes margins); False with a built-in
        objective such as ``multi:softprob`` on masked margins (XGBoost then passes
        probabilities, already 0 on invalid classes). A mismatch that the data's
        ``base_margin`` reveals is an error, not a wrong value.

    Call signatures
    ---------------
    ``metric(predt, dmatrix) -> (name, value)`` (``xgboost.train``; ``predt`` are margins
    since the objective is a callable) and ``metric(y_true, y_pred, sample_weight=None)
    -> value`` (the scikit-learn API, which names it after ``__name__``).
    """

    backend = "xgboost"

    @property
    def __name__(self) -> str:  # the scikit-learn API reports the metric under __name__
        return self.name

    def __call__(self, predt: Any, dmatrix: Any, sample_weight: Any = None) -> Any:
        if hasattr(dmatrix, "get_label"):
            start = dmatrix.get_base_margin()
            weight = _weights(dmatrix.get_weight())
            return self._evaluate(dmatrix.get_label(), predt, weight, start, dmatrix)
        return self._evaluate(predt, dmatrix, _weights(sample_weight))[1]


def _weights(weight: Any) -> Any:
    """XGBoost's weights, None for its "no weights" (an empty array)."""
    return None if weight is None or np.size(weight) == 0 else weight


def xgboost_objective(loss: Any = None, mask: Any = None, *, targets: Any = None) -> XGBoostObjective:
    """An objective callable for ``xgboost.train(obj=...)``; see :class:`XGBoostObjective`."""
    return XGBoostObjective(loss, mask, targets=targets)


def xgboost_metric(
    metric: Any = "mlogloss", mask: Any = None, *, output_margin: bool = True
) -> XGBoostMetric:
    """A masked metric for ``xgboost.train(custom_metric=...)``; see :class:`XGBoostMetric`."""
    return XGBoostMetric(metric, mask, output_margin=output_margin)


def xgboost_dmatrix(
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    weight: Any = None,
    init_score: Any = None,
    **dmatrix_kwargs: Any,
) -> Any:
    """An ``xgboost.DMatrix`` whose ``base_margin`` carries the mask offset and intercept.

    ``base_margin[i, j] = init_score[j]`` on valid classes and ``-1e30`` on invalid
    ones (XGBoost then ignores ``base_score``). Labels, weights, mask and intercept are
    validated here, before XGBoost sees them.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Anything ``xgboost.DMatrix`` accepts (NaN marks a missing value, as usual).
    y : array-like of shape (n,), optional
        Class indices; each must be valid in its own row.
    mask : ClassMask or mask-like, optional
        Valid classes per row; ``None``: all classes.
    weight : array-like of shape (n,), optional
        Finite, non-negative sample weights.
    init_score : array-like of shape (K,), optional
        Intercept, e.g. ``loss.init_raw_prediction(y, mask=mask)``; pass the training
        set's intercept to eval sets and to :func:`boostobj.predict_proba` as well.
    **dmatrix_kwargs
        Passed to ``xgboost.DMatrix`` (``missing``, ``feature_names``, ``nthread``, ...).

    Returns
    -------
    xgboost.DMatrix

    Raises
    ------
    ValueError
        For labels that are not integers, out of range or invalid in their own row;
        negative or non-finite weights; a mask whose rows differ from ``X``'s; a
        non-finite or wrongly sized ``init_score``. (Training with a ``num_class`` other
        than the mask's K then fails inside XGBoost, which checks ``base_margin``'s width.)
    """
    import xgboost

    if "base_margin" in dmatrix_kwargs:
        raise TypeError("base_margin: set by xgboost_dmatrix from mask and init_score; pass those instead")
    fields = dataset_fields(X, y, mask, weight, init_score, np.float32, "C")
    dmatrix = xgboost.DMatrix(
        X, label=fields.label, weight=fields.weight, base_margin=fields.start, **dmatrix_kwargs
    )
    return fields.attach(dmatrix)
