"""Calibration that keeps the mask: temperature (or vector) scaling of a masked model's
margins, fitted on the held-out masked log-loss.

scikit-learn's ``CalibratedClassifierCV`` calibrates each class's probability on its own
(``sigmoid``: ``1 / (1 + exp(a p + b))``; ``isotonic``) and renormalises: a forbidden
class's probability 0 maps to ``sigmoid(b) > 0``, so the calibrated model puts mass on
classes that cannot occur. :class:`MaskedCalibratedClassifier` instead rescales the
margins of the valid classes and takes the softmax over them only::

    p[i, j] = softmax_{j in valid(i)}(z[i, j] / T + b[j]),   0 on invalid classes

with ``T > 0`` (``method="temperature"``; ``b = 0``: the ranking of the classes and
the predictions stay exactly as they were) or ``T`` and a per-class bias ``b``
(``method="vector"``), fitted by minimising the weighted masked log-loss with L-BFGS.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted

from . import _inputs
from ._maskgrammar import check_aligned
from .masks import ClassMask

__all__ = ["MaskedCalibratedClassifier"]

_METHODS = ("temperature", "vector")


class MaskedCalibratedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Temperature or vector scaling of a masked estimator, exact zeros kept.

    Parameters
    ----------
    estimator : MaskedXGBClassifier or MaskedLGBMClassifier
        Fitted when ``cv="prefit"``; otherwise cloned and fitted per fold.
    method : {"temperature", "vector"}, default="temperature"
        "temperature": one ``T``; "vector": ``T`` and a bias per class.
    cv : "prefit", int or a scikit-learn splitter, default="prefit"
        "prefit": ``fit`` receives held-out data and calibrates the given estimator.
        Otherwise the calibration is fitted on out-of-fold margins (each fold's model
        trained on the other folds), and ``estimator_`` is then trained on all of ``X``.

    Attributes
    ----------
    estimator_ : the calibrated estimator
    temperature_ : float
    bias_ : ndarray of shape (n_classes,)
        Zeros for "temperature".
    classes_ : ndarray of shape (n_classes,)

    Examples
    --------
    >>> from boostobj import MaskedXGBClassifier, TransitionMask
    >>> from boostobj.calibration import MaskedCalibratedClassifier
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask, allowed = make_transition_data(600, 4, 2, random_state=0, return_allowed=True)
    >>> clf = MaskedXGBClassifier(n_estimators=20, mask_from=TransitionMask(0, allowed)).fit(X[:400], y[:400])
    >>> cal = MaskedCalibratedClassifier(clf).fit(X[400:], y[400:])
    >>> bool((cal.predict_proba(X)[~mask.to_dense()] == 0).all())
    True
    """

    def __init__(self, estimator: Any, *, method: str = "temperature", cv: Any = "prefit") -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv

    def fit(
        self, X: Any, y: Any, *, valid_mask: Any = None, sample_weight: Any = None
    ) -> MaskedCalibratedClassifier:
        """Fit the scaling (and, unless ``cv="prefit"``, the estimator).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
        y : array-like of shape (n,)
        valid_mask : mask-like, optional
            As for the estimator (default: its ``mask_from``).
        sample_weight : array-like of shape (n,), optional
            Weights of the calibration log-loss (and of the estimator's fit when cross-fitted):
            finite, >= 0 and not all 0 (cross-fitted: on each fold's training rows too).

        Raises
        ------
        ValueError
            For weights that sum to zero (the log-loss is undefined), or, cross-fitted, that
            sum to zero on a fold's training rows (that fold's model cannot be fitted).
        """
        if self.method not in _METHODS:
            raise ValueError(f"method: expected one of {list(_METHODS)}; got {self.method!r}")
        n = _inputs.n_rows_of(X)
        check_aligned(X, valid_mask, "valid_mask")  # before any fold is fitted
        weight = _inputs.check_sample_weight(sample_weight, n)
        if weight is not None and not weight.sum() > 0:
            raise ValueError(
                "sample_weight: the weights sum to zero; the calibration's log-loss is undefined"
            )
        if isinstance(self.cv, str) and self.cv == "prefit":
            check_is_fitted(self.estimator, "booster_")
            self.estimator_ = self.estimator
            margins, mask = self.estimator_._masked_margins(X, valid_mask, "fit")
        else:
            margins, mask = self._out_of_fold(X, y, valid_mask, weight)
            fit_kwargs = {} if weight is None else {"sample_weight": weight}
            self.estimator_ = clone(self.estimator).fit(X, y, valid_mask=valid_mask, **fit_kwargs)
        self.classes_ = self.estimator_.classes_
        y_idx = self.estimator_._encode(np.asarray(y), "y")
        valid = _valid(margins, mask)
        _inputs.check_labels_valid(y_idx, ClassMask.from_dense(valid), name="y")
        self.temperature_, self.bias_ = _fit_scaling(margins, valid, y_idx, weight, self.method)
        return self

    def _out_of_fold(self, X: Any, y: Any, valid_mask: Any, weight: Any) -> tuple[np.ndarray, Any]:
        """Margins of each row from the fold model that did not train on it."""
        y = np.asarray(y)
        given = getattr(self.estimator, "classes", None)
        classes = np.unique(y) if given is None else np.asarray(given)
        mask = None if valid_mask is None else ClassMask.coerce(valid_mask, classes=classes)
        margins = np.full((len(y), len(classes)), -np.inf)
        for i, (train, test) in enumerate(check_cv(self.cv, y, classifier=True).split(X, y)):
            if weight is not None and not weight[train].sum() > 0:
                raise ValueError(
                    f"sample_weight: the weights sum to zero on the training rows of fold {i} (all the "
                    f"weight is in its held-out rows), so its model cannot be fitted; spread the weight "
                    f"over more than one fold"
                )
            fold = clone(self.estimator).set_params(classes=classes)  # every fold knows every class
            kwargs = {} if weight is None else {"sample_weight": weight[train]}
            if mask is not None:
                kwargs["valid_mask"] = mask[train]
            fold.fit(_rows(X, train), y[train], **kwargs)
            test_mask = None if mask is None else mask[test]
            margins[test], _ = fold._masked_margins(_rows(X, test), test_mask, "fit")
        return margins, mask

    def predict_proba(self, X: Any, *, valid_mask: Any = None) -> np.ndarray:
        """Calibrated probabilities, shape (n, n_classes), exactly 0 on invalid classes.

        ``valid_mask`` as in the estimator's ``predict_proba``.
        """
        check_is_fitted(self, "temperature_")
        margins, mask = self.estimator_._masked_margins(X, valid_mask, "predict_proba")
        return _scaled_softmax(margins, _valid(margins, mask), self.temperature_, self.bias_)

    def predict(self, X: Any, *, valid_mask: Any = None) -> np.ndarray:
        """The most probable valid class of each row, shape (n,)."""
        return self.classes_[np.argmax(self.predict_proba(X, valid_mask=valid_mask), axis=1)]

    def score(self, X: Any, y: Any, *, valid_mask: Any = None, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict` under the mask."""
        from sklearn.metrics import accuracy_score

        predicted = self.predict(X, valid_mask=valid_mask)
        return float(accuracy_score(y, predicted, sample_weight=sample_weight))


def _rows(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _valid(margins: np.ndarray, mask: ClassMask | None) -> np.ndarray:
    if mask is not None:
        return mask.to_dense()
    return margins > -1e29  # the offset, or -inf for an out-of-fold row's unknown class


def _scaled_softmax(
    margins: np.ndarray, valid: np.ndarray, temperature: float, bias: np.ndarray
) -> np.ndarray:
    scaled = np.where(valid, margins / temperature + bias, -np.inf)
    scaled -= scaled.max(axis=1, keepdims=True)
    proba = np.where(valid, np.exp(scaled), 0.0)
    return proba / proba.sum(axis=1, keepdims=True)


def _fit_scaling(
    margins: np.ndarray, valid: np.ndarray, y: np.ndarray, weight: np.ndarray | None, method: str
) -> tuple[float, np.ndarray]:
    """``(T, b)`` minimising the weighted masked log-loss (L-BFGS on ``log T`` and ``b``)."""
    from scipy.optimize import minimize

    n, k = margins.shape
    w = np.ones(n) if weight is None else weight
    w = w / w.sum()
    z = np.where(valid, margins, 0.0)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0

    def loss_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        inv_t = np.exp(-theta[0])
        bias = theta[1:] if method == "vector" else np.zeros(k)
        p = _scaled_softmax(margins, valid, 1.0 / inv_t, bias)
        logp = np.log(np.maximum(p[np.arange(n), y], np.finfo(float).tiny))
        residual = (p - onehot) * w[:, None]
        grad_inv_t = float((residual * z).sum())
        grad = [-inv_t * grad_inv_t]
        if method == "vector":
            grad.extend(residual.sum(axis=0))
        return float(-(w * logp).sum()), np.asarray(grad)

    theta0 = np.zeros(1 + (k if method == "vector" else 0))
    result = minimize(
        loss_and_grad,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-7.0, 7.0)] + [(None, None)] * (theta0.size - 1),
    )
    temperature = float(np.exp(result.x[0]))
    bias = result.x[1:] - result.x[1:].mean() if method == "vector" else np.zeros(k)
    return temperature, bias
