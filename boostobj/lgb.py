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

    Call signatures
    ---------------
    ``obj(preds, train_data)`` (``lightgbm.train``; labels and weights read from the
    Dataset) and ``obj(y_true, y_pred, weight)`` (the scikit-learn API). Returns
    ``(grad, hess)`` of ``preds``' shape, float32, F order.
    """

    backend = "lightgbm"

    def __call__(self, preds: Any, train_data: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(train_data, "get_label"):  # lightgbm.train: (preds, train_data)
            y, raw, weight, data = train_data.get_label(), preds, train_data.get_weight(), train_data
        else:  # scikit-learn API: (y_true, y_pred, weight)
            y, raw, data = preds, train_data, None
        raw = np.asarray(raw)
        grad = np.empty(raw.shape, dtype=np.float32, order="F")
        hess = np.empty(raw.shape, dtype=np.float32, order="F")
        return self._gradient_hessian(y, raw, weight, data, gradient_out=grad, hessian_out=hess)


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

    Call signatures
    ---------------
    ``metric(preds, eval_data)`` and ``metric(y_true, y_pred, weight, group)``; both
    return ``(name, value, is_higher_better=False)``.
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
            name, value = self._evaluate(preds, eval_data, weight)
        return name, value, False


def lightgbm_objective(loss: Any = None, mask: Any = None, *, targets: Any = None) -> LightGBMObjective:
    """An objective callable for LightGBM; see :class:`LightGBMObjective`."""
    return LightGBMObjective(loss, mask, targets=targets)


def lightgbm_metric(
    metric: Any = "mlogloss", mask: Any = None, *, output_margin: bool = True
) -> LightGBMMetric:
    """A masked metric for LightGBM's ``feval``; see :class:`LightGBMMetric`."""
    return LightGBMMetric(metric, mask, output_margin=output_margin)


def lightgbm_dataset(
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    weight: Any = None,
    init_score: Any = None,
    **dataset_kwargs: Any,
) -> Any:
    """A ``lightgbm.Dataset`` whose ``init_score`` carries the mask offset and intercept.

    Parameters are those of :func:`boostobj.xgboost_dmatrix`; ``**dataset_kwargs`` go to
    ``lightgbm.Dataset`` (``reference=`` for validation sets, ``params``, ...). Remember
    that LightGBM's ``predict`` never adds ``init_score``: :func:`boostobj.predict_proba`
    adds it back.

    Labels and weights are validated here because a plain ``lightgbm.Dataset`` silently
    turns NaN labels and NaN weights into 0. A ``num_class`` other than the mask's K
    fails inside LightGBM ("Number of class for initial score error").
    """
    import lightgbm

    fields = dataset_fields(X, y, mask, weight, init_score, np.float64, "F")
    dataset = lightgbm.Dataset(
        X, label=fields.label, weight=fields.weight, init_score=fields.start, **dataset_kwargs
    )
    return fields.attach(dataset)
