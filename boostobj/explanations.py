"""Per-feature contributions of a masked model that know the mask.

The backends' own exact TreeSHAP (XGBoost ``pred_contribs``, LightGBM ``pred_contrib``)
explains each class's margin. :func:`explain` runs it with boostobj's intercept as the
start margin, so that for every row ``i`` and valid class ``k``::

    base_values[i, k] + values[i, k, :].sum() == the masked margin of class k in row i

(the margin :func:`boostobj.predict_margin` gives, intercept included), and marks the
classes that are forbidden in a row: their probability is exactly 0 whatever the trees
say, so their contributions explain nothing and are NaN, not silently 0-mass noise that
would dominate a summary plot.

A one-margin (binary) model has one margin ``f``, the log-odds of class 1; it is explained
as the two columns ``(0, f)`` that ``predict_proba`` takes the softmax of: class 0 is the
reference, its margin 0 (zero contributions, base value 0), and class 1's contributions
are those of ``f``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._adapters import coerce_mask
from ._inputs import n_rows_of
from ._maskgrammar import check_aligned
from .predict import _backend_of, _n_outputs, booster_intercept

__all__ = ["explain", "MaskedExplanation"]


@dataclass(frozen=True)
class MaskedExplanation:
    """Contributions of each feature to each class's margin, forbidden classes marked.

    Attributes
    ----------
    values : ndarray of shape (n, K, n_features)
        TreeSHAP values; NaN where the class is forbidden in the row.
    base_values : ndarray of shape (n, K)
        The expected margin (trees' expectation plus the intercept); NaN where forbidden.
    valid : ndarray of shape (n, K), bool
        Whether class ``k`` is valid in row ``i``.
    data : ndarray or DataFrame of shape (n, n_features)
        The explained rows.
    feature_names : list of str
    classes : list
        Class labels, in the order of axis 1.

    Raises
    ------
    ValueError
        If ``values`` is not 3-D, or ``base_values``, ``valid`` or ``classes`` disagree
        with its first two axes.

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import MaskedLGBMClassifier, explain
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, 4, 2, random_state=0)
    >>> clf = MaskedLGBMClassifier(n_estimators=3, num_leaves=4).fit(X, y, valid_mask=mask)
    >>> ex = explain(clf, X, valid_mask=mask)  # a MaskedExplanation
    >>> ex.values.shape, ex.base_values.shape
    ((300, 4, 8), (300, 4))
    >>> bool(np.isnan(ex.values[~ex.valid]).all())  # forbidden (row, class) pairs are marked
    True
    """

    values: np.ndarray
    base_values: np.ndarray
    valid: np.ndarray
    data: Any
    feature_names: list
    classes: list

    def __post_init__(self) -> None:
        shape = np.shape(self.values)
        if len(shape) != 3:
            raise ValueError(f"values: expected shape (n, K, n_features); got {shape}")
        for name in ("base_values", "valid"):
            got = np.shape(getattr(self, name))
            if got != shape[:2]:
                raise ValueError(
                    f"{name}: expected shape {shape[:2]}, the first two axes of values; got {got}"
                )
        if len(self.classes) != shape[1]:
            raise ValueError(
                f"classes: expected {shape[1]} labels (one per entry of axis 1 of values); "
                f"got {len(self.classes)}"
            )

    def margins(self) -> np.ndarray:
        """(n, K): ``base_values + values.sum(-1)``, the masked margins (NaN where forbidden)."""
        return self.base_values + self.values.sum(axis=-1)

    def to_shap(self, class_index: int) -> Any:
        """A ``shap.Explanation`` of one class over the rows where that class is valid.

        Parameters
        ----------
        class_index : int
            Position of the class in ``classes`` (axis 1). For a one-margin (binary) model,
            1 explains its margin (the log-odds of class 1); class 0 is the reference, all 0.

        Returns
        -------
        shap.Explanation with values of shape (n_valid_rows, n_features), for shap's plots.

        Raises
        ------
        TypeError
            If ``class_index`` is not an integer.
        ValueError
            If it is outside ``0..len(classes) - 1``.
        """
        k = _class_position(class_index, len(self.classes))
        try:
            import shap
        except ImportError:  # pragma: no cover - the explain extra installs it
            raise ImportError("to_shap needs shap: pip install 'boostobj[explain]'") from None
        rows = np.flatnonzero(self.valid[:, k])
        data = self.data.iloc[rows] if hasattr(self.data, "iloc") else np.asarray(self.data)[rows]
        return shap.Explanation(
            values=self.values[rows, k, :],
            base_values=self.base_values[rows, k],
            data=np.asarray(data),
            feature_names=list(self.feature_names),
            output_names=str(self.classes[k]),
        )


def _class_position(class_index: Any, n_classes: int) -> int:
    """``class_index`` as a position in ``0..n_classes - 1`` (a clear error otherwise)."""
    if isinstance(class_index, (bool, np.bool_)) or not isinstance(class_index, numbers.Integral):
        raise TypeError(
            f"class_index: expected an integer position in classes (0..{n_classes - 1}); got {class_index!r}"
        )
    if not 0 <= class_index < n_classes:
        raise ValueError(f"class_index: expected 0..{n_classes - 1}; got {class_index!r}")
    return int(class_index)


def explain(
    model: Any, X: Any, *, valid_mask: Any = None, mask: Any = None, init_score: Any = None
) -> MaskedExplanation:
    """Exact TreeSHAP contributions of a masked model, with its intercept as the base value.

    Parameters
    ----------
    model : MaskedXGBClassifier, MaskedLGBMClassifier, xgboost.Booster or lightgbm.Booster
    X : array-like or DataFrame of shape (n, n_features)
    valid_mask : mask-like or "all", optional
        For an estimator: as in its ``predict_proba`` (default ``mask_from(X)``; two
        classes for a one-margin binary estimator, as there).
    mask, init_score
        For a booster: as given to :func:`boostobj.predict_proba` (which takes no mask for
        a one-margin booster: neither does this).

    Returns
    -------
    MaskedExplanation
        Axis 1 has one entry per class; a one-margin (binary) model's margin ``f`` is
        explained as the two classes ``(0, f)`` (see the module docstring).

    Raises
    ------
    ValueError
        For a mask or ``init_score`` given with an estimator, ``valid_mask`` with a
        booster, a mask with a one-margin booster, or a mask or ``init_score`` whose number
        of classes differs from the booster's margins.

    Examples
    --------
    >>> from boostobj import MaskedXGBClassifier, TransitionMask, explain
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask, allowed = make_transition_data(300, 4, 2, random_state=0, return_allowed=True)
    >>> clf = MaskedXGBClassifier(n_estimators=3, mask_from=TransitionMask(0, allowed)).fit(X, y)
    >>> ex = explain(clf, X)
    >>> ex.values.shape, bool(np.isnan(ex.values[~ex.valid]).all())
    ((300, 4, 8), True)
    """
    if type(model).__module__ == "boostobj.sklearn":
        if mask is not None or init_score is not None:
            raise ValueError("mask, init_score: an estimator brings its own; pass valid_mask= instead")
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model, "booster_")
        booster, intercept, best = model.booster_, model.intercept_, model.best_iteration_
        classes = list(model.classes_)
        cmask = model._mask(X, valid_mask, n_rows_of(X), "valid_mask", predicting="explain")
        features = model._features(X, reset=False)
    else:
        if valid_mask is not None:
            raise ValueError("valid_mask: for a booster pass mask= (and init_score=)")
        booster, best, features = model, None, X
        k = _n_outputs(booster, _backend_of(booster))
        intercept = booster_intercept(init_score, k)
        classes = [0, 1] if k == 1 else None  # one margin: the log-odds of label 1 against label 0
        check_aligned(X, mask, "mask")  # a pandas mask must list X's rows, in X's order
        cmask = None if mask is None else _booster_mask(mask, intercept, k)
    backend = _backend_of(booster)
    k = _n_outputs(booster, backend)
    n = n_rows_of(X)
    if cmask is not None:
        cmask.check_rows(n, "X")
    intercept = np.zeros(k) if intercept is None else np.asarray(intercept, dtype=np.float64).reshape(k)
    contributions = _contributions(booster, backend, features, intercept, best, n, k)
    if k == 1:  # one margin f: the two classes (0, f) that predict_proba takes the softmax of
        contributions = np.concatenate([np.zeros_like(contributions), contributions], axis=1)
    values, base = contributions[..., :-1], contributions[..., -1]
    valid = np.ones(base.shape, dtype=bool) if cmask is None else cmask.to_dense()
    values[~valid] = np.nan
    base[~valid] = np.nan
    names = _feature_names(booster, backend, X)
    return MaskedExplanation(values, base, valid, X, names, list(range(k)) if classes is None else classes)


def _booster_mask(mask: Any, intercept: np.ndarray | None, k: int) -> Any:
    """A booster's ``mask=`` as a ``ClassMask`` of its ``k`` margins (none for one margin)."""
    if k == 1:
        raise ValueError(
            "mask: a one-margin (binary) booster has no per-row classes to mask (boostobj.predict_proba "
            "takes no mask for it either); explain it without mask=, or explain the MaskedXGBClassifier "
            "/ MaskedLGBMClassifier with valid_mask="
        )
    cmask = coerce_mask(mask, intercept)
    if cmask.n_classes != k:
        raise ValueError(f"mask: has {cmask.n_classes} classes but the booster predicts {k}; they must match")
    return cmask


def _contributions(
    booster: Any, backend: str, X: Any, intercept: np.ndarray, best: int | None, n: int, k: int
) -> np.ndarray:
    """(n, k, n_features + 1) float64: contributions, then the bias (intercept included)."""
    if backend == "xgboost":
        import xgboost

        start = np.broadcast_to(intercept.astype(np.float32), (n, k)) if k > 1 else np.full(n, intercept[0])
        data = xgboost.DMatrix(X, base_margin=np.ascontiguousarray(start), enable_categorical=True)
        kwargs = {} if best is None else {"iteration_range": (0, best + 1)}
        out = booster.predict(data, pred_contribs=True, **kwargs)
        return np.asarray(out, dtype=np.float64).reshape(n, k, -1)
    kwargs = {} if best is None else {"num_iteration": best + 1}
    out = np.asarray(booster.predict(X, pred_contrib=True, **kwargs), dtype=np.float64).reshape(n, k, -1)
    out[..., -1] += intercept  # LightGBM never adds init_score: boostobj's start margin goes in the bias
    return out


def _feature_names(booster: Any, backend: str, X: Any) -> list:
    if hasattr(X, "columns"):
        return [str(c) for c in X.columns]
    names = booster.feature_names if backend == "xgboost" else booster.feature_name()
    n_features = booster.num_features() if backend == "xgboost" else booster.num_feature()
    return list(names) if names else [f"f{j}" for j in range(n_features)]
