"""LightGBM adapters: objective and metric callables, and a Dataset that carries the mask.

As with XGBoost, the mask travels as a margin offset, here in ``init_score``. LightGBM
itself is imported only when a Dataset is built.

LightGBM facts these adapters rely on (pinned by tests): the objective receives
``preds`` of shape (n, K), float64, F order, ``init_score`` included, and reads a 2-D
gradient in F order, as float32 (so the objective writes float32 F-order arrays and no
copy is made); a callable objective starts from 0 plus ``init_score``;
``Booster.predict(raw_score=True)`` never adds ``init_score``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._adapters import BoundMetric, BoundObjective, dataset_fields

__all__ = [
    "LightGBMObjective",
    "LightGBMMetric",
    "lightgbm_objective",
    "lightgbm_metric",
    "lightgbm_dataset",
]


class LightGBMObjective(BoundObjective):
    """Objective callable for ``params["objective"]`` in ``lightgbm.train`` and for
    ``LGBMClassifier(objective=...)``.

    Parameters
    ----------
    loss : Loss, default=SoftmaxLoss()
        Its ``"auto"`` settings take LightGBM's conventions (Hessian
        ``K / (K - 1) p (1 - p) w``, no floor), so a full mask reproduces ``multiclass``.
    mask : ClassMask or mask-like, optional
        Bound mask of the training rows; ``None`` (recommended) reads the valid classes
        from the margins, i.e. from the Dataset's ``init_score`` offset.
    targets : array-like of shape (n, K), optional
        Soft targets of the training rows, used instead of the labels (see
        :class:`~boostobj.XGBoostObjective`).

    Notes
    -----
    Called as ``obj(preds, train_data)`` by ``lightgbm.train`` (labels and weights read
    from the Dataset) and as ``obj(y_true, y_pred, weight)`` by the scikit-learn API.
    Returns ``(grad, hess)`` of ``preds``' shape (n, K), float32, F order. Build it with
    :func:`lightgbm_objective`.

    Examples
    --------
    >>> import numpy as np
    >>> import boostobj
    >>> obj = boostobj.LightGBMObjective(boostobj.SoftmaxLoss())
    >>> y, preds = np.array([0, 1]), np.zeros((2, 3))
    >>> preds[0, 2] = boostobj.INVALID_OFFSET  # class 2 is invalid in row 0
    >>> grad, hess = obj(y, preds)  # the scikit-learn signature; lightgbm.train calls obj(preds, dataset)
    >>> grad.shape, float(grad[0, 2])
    ((2, 3), 0.0)
    """

    backend = "lightgbm"
    output_dtype = np.float32  # what LightGBM trains on (it would convert anything else)
    output_order = "F"  # its (n, K) layout: class-major

    def __call__(self, preds: Any, train_data: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(train_data, "get_label"):  # lightgbm.train: (preds, train_data)
            y, raw, weight, data = train_data.get_label(), preds, train_data.get_weight(), train_data
        else:  # scikit-learn API: (y_true, y_pred, weight)
            _refuse_recoded_labels(self._loss)
            y, raw, data = preds, train_data, None
        return self._gradient_hessian(y, np.asarray(raw), weight, data)


class LightGBMMetric(BoundMetric):
    """Masked eval metric for ``lightgbm.train(feval=...)`` and ``LGBMClassifier.fit(eval_metric=...)``.

    Parameters
    ----------
    metric : {"mlogloss", "merror", "logloss", "error"} or Loss, default="mlogloss"
        Reported as ``"masked-<metric>"`` (or the loss's ``name``); lower is better.
    mask : ClassMask or mask-like, optional
        A bound mask works only for data with the same rows; ``None`` reads margins
        (each eval set's own ``init_score`` offset).
    output_margin : bool, default=True
        True with boostobj's objective (LightGBM passes raw scores); False with the
        built-in ``multiclass`` objective (LightGBM then passes probabilities). A mismatch
        that the data's ``init_score`` reveals is an error, not a wrong value.

    Notes
    -----
    Called as ``metric(preds, eval_data)`` by ``lightgbm.train`` and as
    ``metric(y_true, y_pred, weight, group)`` by the scikit-learn API; both return
    ``(name, value, is_higher_better=False)``. Build it with :func:`lightgbm_metric`.

    Examples
    --------
    >>> import numpy as np
    >>> import boostobj
    >>> metric = boostobj.LightGBMMetric("mlogloss")
    >>> y, preds = np.array([0, 1]), np.zeros((2, 3))
    >>> preds[0, 2] = boostobj.INVALID_OFFSET  # row 0: two valid classes, row 1: three
    >>> name, value, higher_is_better = metric(y, preds, None, None)
    >>> name, round(value, 4), higher_is_better
    ('masked-mlogloss', 0.8959, False)
    """

    backend = "lightgbm"
    start_order = "F"  # LightGBM stores init_score class by class

    def __call__(
        self, preds: Any, eval_data: Any, weight: Any = None, group: Any = None
    ) -> tuple[str, float, bool]:
        if hasattr(eval_data, "get_label"):
            start = eval_data.get_init_score()
            name, value = self._evaluate(
                eval_data.get_label(), preds, eval_data.get_weight(), start, eval_data
            )
        else:
            _refuse_recoded_labels(self.metric)
            name, value = self._evaluate(preds, eval_data, weight)
        return name, value, False


def _refuse_recoded_labels(loss: Any) -> None:
    """LightGBM's scikit-learn API hands objectives and metrics the labels it fitted on,
    which ``LGBMClassifier`` re-encodes as ``0..m-1`` (its ``classes_``): a loss whose labels
    travel as one code per row (``MultiLabelLoss``, ``GroupedSoftmaxLoss``) would decode
    those as other codes, and train or score a wrong model without an error."""
    if hasattr(loss, "decode_labels"):
        raise ValueError(
            f"y_true: {type(loss).__name__}'s labels travel as one code per row, which LightGBM's "
            f"scikit-learn API may re-encode (LGBMClassifier numbers its classes_ 0..m-1), so they "
            f"cannot be decoded here; train with lightgbm.train on "
            f"boostobj.lightgbm_dataset(X, y, loss=loss) (for GroupedSoftmaxLoss, or the estimator "
            f"MaskedMultiOutputLGBMClassifier)"
        )


def lightgbm_objective(loss: Any = None, mask: Any = None, *, targets: Any = None) -> LightGBMObjective:
    """An objective callable for LightGBM: boostobj's loss on LightGBM's raw scores.

    Pass it as ``params["objective"]`` to ``lightgbm.train`` (or ``lightgbm.cv``), or as
    ``objective=`` to ``lightgbm.LGBMClassifier`` and ``lightgbm.dask``'s estimators. Each
    round it receives LightGBM's raw scores (shape (n, K), float64, ``init_score``
    included), reads each row's valid classes from them (the ``-1e30`` offset that
    :func:`lightgbm_dataset` puts into ``init_score``) and returns the loss's gradient and
    Hessian diagonal.

    Parameters
    ----------
    loss : Loss, optional
        The loss to train; default ``SoftmaxLoss()``. Its ``hessian="auto"`` takes
        LightGBM's convention (``K / (K - 1) p (1 - p) w``, no floor), so that a full
        mask reproduces ``multiclass``.
    mask : ClassMask or mask-like, optional
        A mask bound to the training rows. Default ``None`` (recommended): read each
        row's valid classes from the raw scores.
    targets : array-like of shape (n, K), optional
        Soft targets of the training rows, used instead of the labels (with
        :class:`LabelSmoothingLoss`).

    Returns
    -------
    LightGBMObjective
        ``obj(preds, train_data) -> (grad, hess)``, each of shape (n, K), float32.

    See Also
    --------
    lightgbm_dataset : the Dataset that carries the mask.
    lightgbm_metric : the masked eval metric.
    predict_proba : masked probabilities of the trained booster.

    Notes
    -----
    Set ``num_class`` to K. LightGBM's ``Booster.predict`` never adds ``init_score``
    (neither the offset nor an intercept): predict with :func:`boostobj.predict_proba`.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(500, n_classes=5, n_valid=2, random_state=0)
    >>> dtrain = boostobj.lightgbm_dataset(X, y, mask=mask)
    >>> params = {"num_class": 5, "objective": boostobj.lightgbm_objective(), "verbose": -1}
    >>> bst = lgb.train(params, dtrain, 5)
    >>> proba = boostobj.predict_proba(bst, X, mask=mask)
    >>> proba.shape, bool((proba[~mask.to_dense()] == 0).all())
    ((500, 5), True)
    """
    return LightGBMObjective(loss, mask, targets=targets)


def lightgbm_metric(
    metric: Any = "mlogloss", mask: Any = None, *, output_margin: bool = True
) -> LightGBMMetric:
    """A masked eval metric for ``lightgbm.train(feval=...)`` and ``LGBMClassifier.fit(eval_metric=...)``.

    Each eval set is scored with its own mask, read from its own ``init_score`` offset,
    so early stopping follows the masked metric.

    Parameters
    ----------
    metric : {"mlogloss", "merror", "logloss", "error"} or Loss, default="mlogloss"
        The masked multiclass log-loss or error rate, the binary ones, or the weighted
        mean of any boostobj loss. Reported as ``"masked-<metric>"`` (a loss: under its
        ``name``); lower is better.
    mask : ClassMask or mask-like, optional
        A mask bound to one data set's rows. Default ``None``: each data set's own,
        read from its raw scores.
    output_margin : bool, default=True
        True with boostobj's objective (LightGBM hands the metric raw scores); False with
        the built-in ``multiclass`` objective (LightGBM then hands it probabilities).

    Returns
    -------
    LightGBMMetric
        ``metric(preds, eval_data) -> (name, value, False)``.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(600, n_classes=5, n_valid=2, random_state=0)
    >>> dtrain = boostobj.lightgbm_dataset(X[:400], y[:400], mask=mask[:400])
    >>> dvalid = boostobj.lightgbm_dataset(X[400:], y[400:], mask=mask[400:], reference=dtrain)
    >>> history = {}
    >>> params = {"num_class": 5, "objective": boostobj.lightgbm_objective(), "verbose": -1}
    >>> bst = lgb.train(
    ...     params,
    ...     dtrain,
    ...     20,
    ...     valid_sets=[dvalid],
    ...     valid_names=["valid"],
    ...     feval=boostobj.lightgbm_metric("mlogloss"),
    ...     callbacks=[lgb.record_evaluation(history)],
    ... )
    >>> list(history["valid"])
    ['masked-mlogloss']
    """
    return LightGBMMetric(metric, mask, output_margin=output_margin)


def lightgbm_dataset(
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    weight: Any = None,
    init_score: Any = None,
    loss: Any = None,
    group: Any = None,
    qid: Any = None,
    **dataset_kwargs: Any,
) -> Any:
    """A ``lightgbm.Dataset`` whose ``init_score`` carries the mask offset and intercept.

    ``init_score[i, j] = intercept[j]`` on valid classes and ``-1e30`` on invalid ones.
    Labels and weights are validated here because a plain ``lightgbm.Dataset`` silently
    turns NaN labels and NaN weights into 0. Remember that LightGBM's ``predict`` never
    adds ``init_score``: :func:`boostobj.predict_proba` adds it back.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Anything ``lightgbm.Dataset`` accepts.
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
        The loss the data set is for, when its labels are not class indices (see
        :func:`xgboost_dmatrix`).
    group, qid : array-like, optional
        Groups of rows (see :func:`xgboost_dmatrix`).
    **dataset_kwargs
        Passed to ``lightgbm.Dataset`` (``reference=`` for validation sets,
        ``free_raw_data=False`` for ``init_model=`` continuation, ``params``, ...).

    Returns
    -------
    lightgbm.Dataset
        Its ``init_score`` holds (n, K) start margins (flattened class by class).

    Raises
    ------
    ValueError
        As :func:`xgboost_dmatrix`. A ``num_class`` other than the mask's K then fails
        inside LightGBM ("Number of class for initial score error").

    Examples
    --------
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(100, n_classes=4, n_valid=2, random_state=0)
    >>> dtrain = boostobj.lightgbm_dataset(X, y, mask=mask)
    >>> start = dtrain.get_init_score().reshape(100, 4, order="F")
    >>> bool(((start == 0) == mask.to_dense()).all())  # 0 on valid classes, -1e30 elsewhere
    True
    """
    import lightgbm

    fields = dataset_fields(X, y, mask, weight, init_score, np.float64, "F", loss, group, qid)
    dataset = lightgbm.Dataset(
        X,
        label=fields.label,
        weight=fields.weight,
        init_score=fields.start,
        group=fields.group_sizes,
        **dataset_kwargs,
    )
    return fields.attach(dataset)
