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

    Notes
    -----
    Called as ``obj(predt, dtrain)``: ``predt`` (n, K) float32 margins, ``dtrain`` a
    DMatrix (labels and weights are read from it); or as ``obj(y_true, y_pred,
    sample_weight=None)`` by XGBoost's scikit-learn API. Returns ``(grad, hess)``, each
    (n, K) float32. Build it with :func:`xgboost_objective`.

    Examples
    --------
    >>> import numpy as np
    >>> import boostobj
    >>> obj = boostobj.XGBoostObjective(boostobj.SoftmaxLoss())
    >>> y, predt = np.array([0, 1]), np.zeros((2, 3), dtype=np.float32)
    >>> predt[0, 2] = boostobj.INVALID_OFFSET  # class 2 is invalid in row 0
    >>> grad, hess = obj(y, predt)  # the scikit-learn signature; xgboost.train calls obj(predt, dtrain)
    >>> grad.shape, float(grad[0, 2])
    ((2, 3), 0.0)
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

    Notes
    -----
    Called as ``metric(predt, dmatrix) -> (name, value)`` by ``xgboost.train`` (``predt``
    are margins since the objective is a callable), and as ``metric(y_true, y_pred,
    sample_weight=None) -> value`` by the scikit-learn API (which names it after
    ``__name__``). Build it with :func:`xgboost_metric`.

    Examples
    --------
    >>> import numpy as np
    >>> import boostobj
    >>> metric = boostobj.XGBoostMetric("mlogloss")
    >>> y, margins = np.array([0, 1]), np.zeros((2, 3))
    >>> margins[0, 2] = boostobj.INVALID_OFFSET  # row 0: two valid classes, row 1: three
    >>> round(metric(y, margins), 4)  # mean of -log(1/2) and -log(1/3)
    0.8959
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
    """An objective callable for XGBoost: boostobj's loss on XGBoost's margins.

    Pass it as ``obj=`` to ``xgboost.train``, ``xgboost.cv`` or ``xgboost.dask.train``, or
    as ``objective=`` to ``xgboost.XGBClassifier``. Each round it receives XGBoost's
    margins (shape (n, K), float32, ``base_margin`` included), reads each row's valid
    classes from them (the ``-1e30`` offset that :func:`xgboost_dmatrix` puts into
    ``base_margin``) and returns the loss's gradient and Hessian diagonal.

    Parameters
    ----------
    loss : Loss, optional
        The loss to train; default ``SoftmaxLoss()``, the cross-entropy of the softmax
        over each row's valid classes. Its ``hessian="auto"`` takes XGBoost's convention
        (``2 p (1 - p) w``, floored at 1e-16), so that a full mask reproduces
        ``multi:softprob``.
    mask : ClassMask or mask-like, optional
        A mask bound to the training rows. Default ``None`` (recommended): read each
        row's valid classes from the margins, which follow the rows through eval sets,
        CV folds and Dask partitions.
    targets : array-like of shape (n, K), optional
        Soft targets of the training rows, used instead of the labels (with
        :class:`LabelSmoothingLoss`; e.g. a teacher's probabilities for distillation).

    Returns
    -------
    XGBoostObjective
        ``obj(predt, dtrain) -> (grad, hess)``, each of shape (n, K), float32.

    See Also
    --------
    xgboost_dmatrix : the DMatrix that carries the mask.
    xgboost_metric : the masked eval metric.
    predict_proba : masked probabilities of the trained booster.

    Notes
    -----
    Set ``num_class`` to K and ``disable_default_eval_metric=1`` (XGBoost's own
    ``mlogloss`` would count invalid classes). With a callable objective XGBoost does not
    know the model's link, and ``Booster.predict`` returns class ids: predict with
    :func:`boostobj.predict_proba`.

    Examples
    --------
    >>> import xgboost as xgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(500, n_classes=5, n_valid=2, random_state=0)
    >>> dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask)
    >>> params = {"num_class": 5, "disable_default_eval_metric": 1, "nthread": 1}
    >>> bst = xgb.train(params, dtrain, 5, obj=boostobj.xgboost_objective())
    >>> proba = boostobj.predict_proba(bst, X, mask=mask)
    >>> proba.shape, bool((proba[~mask.to_dense()] == 0).all())
    ((500, 5), True)
    """
    return XGBoostObjective(loss, mask, targets=targets)


def xgboost_metric(
    metric: Any = "mlogloss", mask: Any = None, *, output_margin: bool = True
) -> XGBoostMetric:
    """A masked eval metric for ``xgboost.train(custom_metric=...)``.

    Each eval set is scored with its own mask, read from its own ``base_margin`` offset,
    so early stopping follows the masked metric.

    Parameters
    ----------
    metric : {"mlogloss", "merror", "logloss", "error"} or Loss, default="mlogloss"
        The masked multiclass log-loss or error rate, the binary ones, or the weighted
        mean of any boostobj loss. Reported as ``"masked-<metric>"`` (a loss: under its
        ``name``); lower is better.
    mask : ClassMask or mask-like, optional
        A mask bound to one data set's rows. Default ``None``: each data set's own,
        read from its margins.
    output_margin : bool, default=True
        True with boostobj's objective (XGBoost hands the metric margins); False with a
        built-in objective such as ``multi:softprob`` on masked margins (XGBoost then hands
        it probabilities).

    Returns
    -------
    XGBoostMetric
        ``metric(predt, dmatrix) -> (name, value)``.

    Examples
    --------
    >>> import xgboost as xgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(600, n_classes=5, n_valid=2, random_state=0)
    >>> dtrain = boostobj.xgboost_dmatrix(X[:400], y[:400], mask=mask[:400])
    >>> dvalid = boostobj.xgboost_dmatrix(X[400:], y[400:], mask=mask[400:])
    >>> history = {}
    >>> bst = xgb.train(
    ...     {"num_class": 5, "disable_default_eval_metric": 1, "nthread": 1},
    ...     dtrain,
    ...     50,
    ...     obj=boostobj.xgboost_objective(),
    ...     custom_metric=boostobj.xgboost_metric("mlogloss"),
    ...     evals=[(dvalid, "valid")],
    ...     early_stopping_rounds=5,
    ...     evals_result=history,
    ...     verbose_eval=False,
    ... )
    >>> list(history["valid"])
    ['masked-mlogloss']
    """
    return XGBoostMetric(metric, mask, output_margin=output_margin)


def xgboost_dmatrix(
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    weight: Any = None,
    init_score: Any = None,
    loss: Any = None,
    group: Any = None,
    qid: Any = None,
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
    loss : Loss, optional
        The loss the data set is for, when its labels are not class indices (e.g.
        :class:`boostobj.grouped.GroupedSoftmaxLoss`: ``y`` of shape (n, G), stored as one
        code per row so that it follows the rows). Default: class indices.
    group, qid : array-like, optional
        Groups of rows (choice sets, for :class:`boostobj.choice.ChoiceLoss`): group sizes,
        or a group id per row; each group's rows contiguous. Weights are then one per group
        (given per group, or per row and constant within each group).
    **dmatrix_kwargs
        Passed to ``xgboost.DMatrix`` (``missing``, ``feature_names``, ``nthread``, ...).

    Returns
    -------
    xgboost.DMatrix
        Its ``base_margin`` has shape (n, K), float32: ``init_score`` (or 0) on valid
        classes, ``-1e30`` on invalid ones.

    Raises
    ------
    ValueError
        For labels that are not integers, out of range or invalid in their own row;
        negative or non-finite weights; a mask whose rows differ from ``X``'s; a
        non-finite or wrongly sized ``init_score``. (Training with a ``num_class`` other
        than the mask's K then fails inside XGBoost, which checks ``base_margin``'s width.)

    Examples
    --------
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(100, n_classes=4, n_valid=2, random_state=0)
    >>> dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask)
    >>> start = dtrain.get_base_margin().reshape(100, 4)
    >>> bool(((start == 0) == mask.to_dense()).all())  # 0 on valid classes, -1e30 elsewhere
    True
    """
    import xgboost

    if "base_margin" in dmatrix_kwargs:
        raise TypeError("base_margin: set by xgboost_dmatrix from mask and init_score; pass those instead")
    fields = dataset_fields(X, y, mask, weight, init_score, np.float32, "C", loss, group, qid)
    dmatrix = xgboost.DMatrix(
        X,
        label=fields.label,
        weight=fields.group_weight,
        base_margin=fields.start,
        group=fields.group_sizes,
        **dmatrix_kwargs,
    )
    return fields.attach(dmatrix)
