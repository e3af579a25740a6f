"""Choice sets in long format as scikit-learn estimators: the boosted multinomial logit.

:class:`ChoiceXGBClassifier` and :class:`ChoiceLGBMClassifier` fit one row per (choice
situation, alternative), each row with the alternative's own features, and ONE margin per
row (the alternative's utility); the softmax runs over the rows of each choice situation
(:class:`boostobj.ChoiceLoss`). An unavailable alternative is simply an absent row.

They follow the ranker conventions of ``XGBRanker``/``LGBMRanker``:

* the situations are given to ``fit``, ``predict_proba``, ``predict`` and ``score`` as
  ``qid=`` (a situation id per row, XGBoost's name) or ``group=`` (rows per situation, in
  order, LightGBM's name); either works with either backend;
* the rows of a situation must be contiguous (the backends' own requirement for groups);
  the estimators do not sort (predictions keep the rows' order): sort by situation first;
* ``eval_set`` comes with ``eval_qid`` or ``eval_group``, one entry per eval set.

Targets ``y``: 1 on the chosen row of each situation and 0 elsewhere, or choice shares
summing to 1 within each situation (aggregate data). Sample weights are per situation:
one per situation, or one per row constant within each situation.

Why "Classifier" but not a scikit-learn classifier: the model predicts which alternative
is chosen, with probabilities, as a classifier does; but its classes are the rows of each
situation rather than a fixed label set, and every prediction needs the situations, so it
has no ``classes_`` and scikit-learn's classifier checks do not apply (like ``XGBRanker``,
it is neither a scikit-learn classifier nor a regressor).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _inputs
from ._backends import DataSet
from ._paramdocs import document
from .choice import SHARE_TOLERANCE, ChoiceLoss, _group_weights, _shares, group_pointers
from .losses import HESSIAN_CONVENTIONS
from .sklearn import BoostingEstimator, LightGBMParamsMixin, XGBoostParamsMixin

__all__ = ["ChoiceBoostingClassifier", "ChoiceXGBClassifier", "ChoiceLGBMClassifier"]

#: The start margin of every row: a constant cancels in each situation's softmax.
_START = np.zeros(1)


class ChoiceBoostingClassifier(BoostingEstimator):
    """Shared behaviour of the choice-set estimators (not used directly).

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str, if X had string column names
    booster_ : xgboost.Booster or lightgbm.Booster
        One margin (utility) per row; the training data started every row at 0.
    feature_categories_ : dict or None
        As for :class:`boostobj.MaskedXGBClassifier`.
    best_iteration_ : int or None
    evals_result_ : dict
        ``{"validation_i": {"choice": [...]}}``: each eval set's negative log-likelihood
        per choice situation (weighted mean), every round.
    feature_importances_ : ndarray of shape (n_features_in_,)
    """

    _PARAMETERS = """
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        Hessian convention of :class:`boostobj.ChoiceLoss`: "auto" and "exact" are
        ``p (1 - p) w`` (there is no built-in objective to reproduce); "xgboost" doubles
        it, "lightgbm" scales it by ``n_s / (n_s - 1)`` with the situation's size.
    early_stopping_rounds : int, optional
        Stop when the choice loss (negative log-likelihood per situation) of the last
        eval set has not improved for this many rounds (needs ``eval_set``).
    """

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        qid: Any = None,
        group: Any = None,
        sample_weight: Any = None,
        eval_set: Any = None,
        eval_qid: Any = None,
        eval_group: Any = None,
    ) -> ChoiceBoostingClassifier:
        """Fit on rows ``X`` (n, n_features) of choice situations and the choices ``y``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n, n_features)
            One row per (situation, alternative); the rows of a situation contiguous.
        y : array-like of shape (n,)
            1 on the chosen row of each situation and 0 elsewhere, or shares summing to 1.
        qid : array-like of shape (n,), optional
            The situation id of each row.
        group : array-like of shape (n_situations,), optional
            The number of rows of each situation, in order (exactly one of qid/group).
        sample_weight : array-like of shape (n_situations,) or (n,), optional
            One weight per situation, or per row (constant within each situation).
        eval_set : list of (X, y) pairs, optional
            Evaluated every round (``evals_result_``); the last drives early stopping.
        eval_qid, eval_group : list, optional
            The situations of each eval set (one entry per eval set, in either list).
        """
        self._check_params()
        X_checked = self._features(X, reset=True)
        n = _inputs.n_rows_of(X_checked)
        if y is None:
            _choices(y, np.zeros(1, np.int64), "y")  # the error, before asking for the situations
        ptr = _situations(n, qid, group, "qid", "group")
        shares = _choices(y, ptr, "y")
        weight = None
        if sample_weight is not None:
            per_situation = _situation_weights(sample_weight, ptr, n)
            if per_situation.sum() <= 0:
                raise ValueError("sample_weight: every choice situation has weight zero; nothing to fit")
            weight = np.repeat(per_situation, np.diff(ptr))
        loss = ChoiceLoss(hessian=self.hessian)
        evals = self._eval_sets(eval_set, eval_qid, eval_group, loss)
        self._train(
            {},
            DataSet(X_checked, shares, None, weight, loss=loss, group=np.diff(ptr)),
            evals,
            self._backend.objective(loss),
            self._backend.metric(ChoiceLoss()),
            _START,
        )
        return self

    # ------------------------------------------------------------------ predict
    def decision_function(self, X: Any) -> np.ndarray:
        """Each row's utility (margin), shape (n,), float64; needs no situations. Within a
        situation, choice probabilities are the softmax of these."""
        check_is_fitted(self, "booster_")
        return np.asarray(self._margins(self._features(X, reset=False), None), dtype=np.float64)

    def predict_proba(self, X: Any, *, qid: Any = None, group: Any = None) -> np.ndarray:
        """Each row's probability of being chosen in its situation, shape (n,); the rows
        of each situation sum to 1.

        ``qid``/``group``: the situations of ``X``'s rows, as in :meth:`fit`.
        """
        return self._predict_proba(X, qid, group)[0]

    def _predict_proba(self, X: Any, qid: Any, group: Any) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "booster_")
        X_checked = self._features(X, reset=False)
        ptr = _situations(_inputs.n_rows_of(X_checked), qid, group, "qid", "group")
        raw = np.asarray(self._margins(X_checked, None), dtype=np.float64)  # XGBoost's are float32
        return ChoiceLoss().predict_proba(raw, group_ptr=ptr), ptr

    def predict(self, X: Any, *, qid: Any = None, group: Any = None) -> np.ndarray:
        """1 on the most probable row of each situation (the first on ties), 0 elsewhere;
        shape (n,), int64."""
        proba, ptr = self._predict_proba(X, qid, group)
        out = np.zeros(proba.size, dtype=np.int64)
        sizes = np.diff(ptr)
        if proba.size:
            situation = np.repeat(np.arange(sizes.size), sizes)
            top = np.repeat(np.maximum.reduceat(proba, ptr[:-1]), sizes)
            first = np.flatnonzero(proba == top)
            _, keep = np.unique(situation[first], return_index=True)
            out[first[keep]] = 1
        return out

    def score(
        self, X: Any, y: Any, *, qid: Any = None, group: Any = None, sample_weight: Any = None
    ) -> float:
        """Mean log-likelihood per choice situation, ``mean_s w_s sum_r t_r log p_r`` (higher
        is better; 0 is perfect; ``-log(n_s)`` is a uniform guess). Weighted by
        ``sample_weight`` (per situation or per row, as in :meth:`fit`).

        A likelihood, not an accuracy: it is what the model maximises and what
        discrete-choice modelling reports, and it is defined for choice shares too.
        """
        check_is_fitted(self, "booster_")
        X_checked = self._features(X, reset=False)
        n = _inputs.n_rows_of(X_checked)
        ptr = _situations(n, qid, group, "qid", "group")
        shares = _choices(y, ptr, "y")
        weights = _situation_weights(sample_weight, ptr, n)
        if weights.sum() <= 0:
            raise ValueError("sample_weight: every choice situation has weight zero; nothing to score")
        raw = np.asarray(self._margins(X_checked, None), dtype=np.float64)
        return -ChoiceLoss().mean_loss(shares, raw, sample_weight=weights, group_ptr=ptr)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ helpers
    def _start_margins(self) -> np.ndarray:
        return _START

    def _check_params(self) -> None:
        if self.hessian != "auto" and self.hessian not in HESSIAN_CONVENTIONS:
            raise ValueError(
                f"hessian: expected one of {['auto', *HESSIAN_CONVENTIONS]}; got {self.hessian!r}"
            )
        self._check_boosting_params()

    def _eval_sets(self, eval_set: Any, eval_qid: Any, eval_group: Any, loss: ChoiceLoss) -> list[DataSet]:
        if eval_set is None:
            for name, value in (("eval_qid", eval_qid), ("eval_group", eval_group)):
                if value is not None:
                    raise ValueError(f"{name}: given without eval_set")
            return []
        eval_set = list(eval_set)
        if eval_qid is None and eval_group is None:
            raise ValueError(
                f"eval_qid, eval_group: expected the choice situations of each eval set "
                f"({len(eval_set)}), as eval_qid=[...] or eval_group=[...]; got neither"
            )
        lists = {}
        for name, value in (("eval_qid", eval_qid), ("eval_group", eval_group)):
            if value is None:
                lists[name] = [None] * len(eval_set)
                continue
            lists[name] = list(value)
            if len(lists[name]) != len(eval_set):
                raise ValueError(
                    f"{name}: expected one entry per eval set ({len(eval_set)}); got {len(lists[name])}"
                )
        out = []
        for i, (X_e, y_e) in enumerate(eval_set):
            X_checked = self._features(X_e, reset=False)
            n = _inputs.n_rows_of(X_checked)
            ptr = _situations(
                n, lists["eval_qid"][i], lists["eval_group"][i], f"eval_qid[{i}]", f"eval_group[{i}]"
            )
            shares = _choices(y_e, ptr, f"eval_set[{i}] y")
            out.append(DataSet(X_checked, shares, loss=loss, group=np.diff(ptr)))
        return out


# ---------------------------------------------------------------------- inputs
def _situations(n_rows: int, qid: Any, group: Any, qid_name: str, group_name: str) -> np.ndarray:
    """(n_situations + 1,) pointers from exactly one of ``qid``/``group``."""
    if qid is None and group is None:
        raise ValueError(
            f"{qid_name}, {group_name}: expected the choice situations of the rows, as {qid_name}= (a "
            f"situation id per row) or {group_name}= (rows per situation), each situation's rows "
            f"contiguous; got neither"
        )
    if qid is not None and group is not None:
        raise ValueError(f"{qid_name}, {group_name}: expected one of them; got both")
    try:
        if qid is not None:
            return group_pointers(n_rows, qid=qid)
        return group_pointers(n_rows, group=group)
    except ValueError as error:
        raise _named(error, qid_name if qid is not None else group_name) from None


def _choices(y: Any, ptr: np.ndarray, name: str) -> np.ndarray:
    """(n,) float64 choice shares, each situation's summing to 1."""
    if y is None:  # scikit-learn's wording, which its estimator checks look for
        raise ValueError(
            f"{name}: requires y to be passed, but the target y is None; expected 1 on the chosen row of "
            f"each choice situation and 0 elsewhere"
        )
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    try:
        shares = _shares(y, int(ptr[-1]))
    except (TypeError, ValueError) as error:
        raise _named(error, name) from None
    sums = np.add.reduceat(shares, ptr[:-1]) if ptr.size > 1 else np.zeros(0)
    bad = np.abs(sums - 1.0) > SHARE_TOLERANCE
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: choice situation {s} (rows {ptr[s]}..{ptr[s + 1] - 1}) has choices summing to "
            f"{sums[s]:g}; expected 1 on one chosen row and 0 on the others (or shares summing to 1)"
        )
    return shares


def _situation_weights(sample_weight: Any, ptr: np.ndarray, n_rows: int) -> np.ndarray:
    """(n_situations,) weights from one per situation or one per row (constant within each)."""
    n_situations = ptr.size - 1
    if sample_weight is None:
        return np.ones(n_situations)
    size = np.size(sample_weight)
    if size not in (n_situations, n_rows):
        raise ValueError(
            f"sample_weight: expected one weight per choice situation ({n_situations}) or per row "
            f"({n_rows}); got {size}"
        )
    if size == n_rows and n_rows != n_situations:  # per row: constant within each situation
        w = _inputs.check_sample_weight(sample_weight, n_rows)
        varies = np.repeat(w[ptr[:-1]], np.diff(ptr)) != w
        if varies.any():
            row = int(np.flatnonzero(varies)[0])
            raise ValueError(
                f"sample_weight: row {row} weighs {w[row].item()!r}, unlike the first row of its choice "
                f"situation; a situation has one weight (give one per situation, or repeat it on its rows)"
            )
    try:
        return _group_weights(sample_weight, ptr, n_rows)
    except (TypeError, ValueError) as error:
        raise _named(error, "sample_weight") from None


def _named(error: Exception, name: str) -> Exception:
    """``error`` with its leading ``<argument>:`` renamed to ``name``."""
    text = str(error)
    head, sep, rest = text.partition(": ")
    if sep and " " not in head.strip():
        text = f"{name}: {rest}"
    return type(error)(text)


# ---------------------------------------------------------------------- estimators
@document
class ChoiceXGBClassifier(XGBoostParamsMixin, ChoiceBoostingClassifier):
    """XGBoost boosted conditional logit over choice sets in long format (see
    :class:`ChoiceBoostingClassifier` for the shared parameters and attributes, and
    :class:`boostobj.MaskedXGBClassifier` for XGBoost's).

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import ChoiceXGBClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))                 # 100 situations of 3 alternatives
    >>> qid = np.repeat(np.arange(100), 3)
    >>> utility = (2 * X[:, 0]).reshape(100, 3)
    >>> y = np.zeros((100, 3)); y[np.arange(100), utility.argmax(axis=1)] = 1
    >>> model = ChoiceXGBClassifier(n_estimators=10).fit(X, y.ravel(), qid=qid)
    >>> p = model.predict_proba(X, qid=qid)
    >>> bool(np.allclose(p.reshape(100, 3).sum(axis=1), 1.0))
    True
    """

    def __init__(
        self,
        *,
        hessian: str = "auto",
        n_estimators: int = 100,
        learning_rate: float = 0.3,
        max_depth: int = 6,
        min_child_weight: float = 1.0,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 1.0,
        reg_alpha: float = 0.0,
        tree_method: str = "hist",
        max_bin: int = 256,
        early_stopping_rounds: int | None = None,
        n_jobs: int | None = None,
        random_state: int | None = None,
        booster_params: dict | None = None,
        callbacks: list | None = None,
        verbose: bool | int = False,
    ) -> None:
        self.hessian = hessian
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.tree_method = tree_method
        self.max_bin = max_bin
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.booster_params = booster_params
        self.callbacks = callbacks
        self.verbose = verbose


@document
class ChoiceLGBMClassifier(LightGBMParamsMixin, ChoiceBoostingClassifier):
    """LightGBM boosted conditional logit over choice sets in long format (see
    :class:`ChoiceBoostingClassifier` for the shared parameters and attributes, and
    :class:`boostobj.MaskedLGBMClassifier` for LightGBM's).

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import ChoiceLGBMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))                 # 100 situations of 3 alternatives
    >>> group = np.full(100, 3)
    >>> y = np.zeros((100, 3)); y[np.arange(100), X[:, 0].reshape(100, 3).argmax(axis=1)] = 1
    >>> model = ChoiceLGBMClassifier(n_estimators=10, min_child_samples=5).fit(X, y.ravel(), group=group)
    >>> p = model.predict_proba(X, group=group)
    >>> bool(np.allclose(p.reshape(100, 3).sum(axis=1), 1.0))
    True
    """

    def __init__(
        self,
        *,
        hessian: str = "auto",
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        early_stopping_rounds: int | None = None,
        n_jobs: int | None = None,
        random_state: int | None = None,
        booster_params: dict | None = None,
        callbacks: list | None = None,
        verbose: bool | int = False,
    ) -> None:
        self.hessian = hessian
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.booster_params = booster_params
        self.callbacks = callbacks
        self.verbose = verbose
