"""scikit-learn estimators that take valid-class masks in ``fit``, ``predict_proba``,
``predict`` and ``score``: :class:`MaskedXGBClassifier` and :class:`MaskedLGBMClassifier`.

Both share :class:`MaskedBoostingClassifier` (mask handling, labels, intercept, engine
choice, early stopping) and differ only in their constructor parameters (the backend's
names and defaults) and in a small backend object (``boostobj._backends``) that trains
and predicts.

The pieces every boostobj estimator shares live here too, so that the multi-output
(``boostobj.multioutput``) and choice-set (``boostobj.choice_models``) estimators are
built on the same machinery rather than copies of it:

* :class:`BoostingEstimator`: features (DataFrames with categorical columns included),
  the common hyper-parameters' checks (``n_estimators``, ``early_stopping_rounds``,
  ``n_jobs``, ``booster_params``, ``callbacks``, ``verbose``), the call to the backend's
  training, margins at predict time, feature importances, tags;
* :class:`MaskedEstimator`: per-row masks (``valid_mask``, ``mask_from``, the
  ``masked_fit_`` refusal, one mask per eval set);
* :class:`XGBoostParamsMixin` / :class:`LightGBMParamsMixin`: each backend's
  hyper-parameters under its own scikit-learn names, as one parameter dict. A concrete
  estimator combines one of them with a family base and lists its parameters in its own
  ``__init__`` (scikit-learn reads them from the signature).

Masks: ``valid_mask`` is read by :meth:`boostobj.ClassMask.coerce` with the estimator's
``classes_``: a ``ClassMask``; booleans (NumPy, nested lists, ...) or a scipy sparse
matrix with one column per class in ``classes_`` order; a DataFrame with one column per
class, matched by label; or per-row lists of class *labels*. ``mask_from`` (a callable
``X -> mask``, e.g. :class:`boostobj.TransitionMask`) makes the mask from the features, so
no routing is needed anywhere.

A model fitted with ``valid_mask`` remembers it (``masked_fit_``): ``predict_proba``,
``predict`` and ``score`` then refuse to run without a mask (pass one, or
``valid_mask="all"`` for every class), instead of spreading probability over classes that
were invalid in training. ``valid_mask`` is an explicit keyword of every method, so
scikit-learn's metadata routing works, with a request per method that receives it::

    sklearn.set_config(enable_metadata_routing=True)
    est.set_fit_request(valid_mask=True).set_score_request(valid_mask=True)   # cross_validate
    est.set_predict_proba_request(valid_mask=True)    # Pipeline.predict_proba(X, valid_mask=...)

A ``ClassMask`` is split by rows like any sample-aligned array. scikit-learn (1.9) routes
no metadata to prediction inside scorers or ``cross_val_predict``: there, use
``scoring=None`` (the estimator's ``score``) or ``mask_from``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _inputs
from ._backends import DataSet, LightGBMBackend, XGBoostBackend, check_booster_params
from ._frames import apply_categories, fit_categories, is_native_frame
from ._maskgrammar import check_aligned, encode_labels
from ._paramdocs import document
from ._threads import check_thread_count
from .losses import BinaryLogLoss, Loss, SoftmaxLoss, masked_softmax
from .masks import ClassMask

__all__ = ["MaskedBoostingClassifier", "MaskedXGBClassifier", "MaskedLGBMClassifier"]

_ENGINES = ("auto", "native", "numba")


class BoostingEstimator(BaseEstimator):
    """What every boostobj estimator shares (not used directly).

    A subclass provides ``_backend`` and ``_backend_params()`` (through
    :class:`XGBoostParamsMixin` or :class:`LightGBMParamsMixin`) and the parameters
    ``n_estimators``, ``early_stopping_rounds``, ``n_jobs``, ``booster_params``,
    ``callbacks`` and ``verbose``.
    """

    _PARAMETERS = """
    booster_params : dict, optional
        Further backend parameters, passed through (those the estimator sets itself, and
        their aliases, are refused).
    callbacks : list, optional
        The backend's training callbacks (``xgboost.callback.TrainingCallback`` objects, or
        LightGBM callables), run after boostobj's own (evaluation record, early stopping).
    verbose : bool or int, default=False
        Print progress every ``verbose`` rounds (True: every round): the metric of each
        eval set when there are eval sets, else the round and the elapsed time.
    """

    _backend: Any = None

    def _features(self, X: Any, *, reset: bool) -> Any:
        """``X`` as the backend gets it: a validated array, or, for a DataFrame with string
        or categorical columns, a pandas frame with the categories fixed at fit
        (``feature_categories_``; see ``boostobj._frames``)."""
        if reset:
            self.feature_categories_ = None
            if is_native_frame(X):
                validate_data(self, X, skip_check_array=True)  # n_features_in_, feature_names_in_
                frame, self.feature_categories_ = fit_categories(X)
                return frame
        elif getattr(self, "feature_categories_", None):
            validate_data(self, X, skip_check_array=True, reset=False)
            return apply_categories(X, self.feature_categories_)
        return validate_data(
            self, X, accept_sparse=("csr", "csc"), ensure_all_finite="allow-nan", reset=reset
        )

    def _check_boosting_params(self) -> None:
        """The hyper-parameters every estimator has (the backend's own are checked by it)."""
        for name in ("n_estimators",):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name}: expected an integer >= 1; got {value!r}")
        if not isinstance(self.verbose, numbers.Integral) or self.verbose < 0:  # a bool is an Integral
            raise ValueError(f"verbose: expected True/False or a number of rounds >= 0; got {self.verbose!r}")
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            raise TypeError(
                f"callbacks: expected a list of {self._backend.name} callbacks; "
                f"got {type(self.callbacks).__name__}"
            )
        rounds = self.early_stopping_rounds
        if rounds is not None and (
            isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1
        ):
            raise ValueError(f"early_stopping_rounds: expected None or an integer >= 1; got {rounds!r}")
        check_thread_count(self.n_jobs, "n_jobs")
        if self.booster_params is not None:
            check_booster_params(self.booster_params, self._backend.reserved, self._backend.name)

    def _train(
        self,
        params: dict,
        train: DataSet,
        evals: list[DataSet],
        objective: Any,
        metric: Any,
        intercept: np.ndarray,
    ) -> None:
        """Train the backend; sets ``booster_``, ``best_iteration_`` and ``evals_result_``.

        ``params``: the backend parameters beyond ``_backend_params()`` (``num_class``).
        """
        if self.early_stopping_rounds and not evals:
            raise ValueError("early_stopping_rounds: needs an eval_set in fit to stop on")
        fitted = self._backend.train(
            {**self._backend_params(), **params},
            train,
            evals,
            self.n_estimators,
            objective,
            metric,
            intercept,
            self.early_stopping_rounds,
            callbacks=list(self.callbacks or ()),
            verbose=int(self.verbose),
        )
        self.booster_ = fitted.booster
        self.best_iteration_ = fitted.best_iteration
        self.evals_result_ = fitted.evals_result

    def _margins(self, X_checked: Any, mask: ClassMask | None) -> np.ndarray:
        """The booster's margins (best iteration), mask offset and start margins included."""
        return self._backend.predict_margin(
            self.booster_, self.best_iteration_, X_checked, mask, self._start_margins()
        )

    def _start_margins(self) -> np.ndarray:
        """What every row's margins started from in training (``intercept_``)."""
        return self.intercept_

    @property
    def feature_importances_(self) -> np.ndarray:
        """Total split gain per feature, normalised to sum 1, shape (n_features_in_,)."""
        check_is_fitted(self, "booster_")
        return self._backend.feature_importances(self.booster_, self.n_features_in_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags


class MaskedEstimator(BoostingEstimator):
    """Per-row masks of valid classes in fit and prediction (not used directly).

    A subclass has the parameter ``mask_from`` and provides ``_coerce_mask`` (a mask-like
    as a ``ClassMask`` over its classes).
    """

    def _check_mask_params(self) -> None:
        if self.mask_from is not None and not callable(self.mask_from):
            raise TypeError(f"mask_from: expected a callable X -> mask; got {type(self.mask_from).__name__}")

    def _coerce_mask(self, X: Any, mask: Any, n_rows: int, source: str) -> ClassMask:
        """A mask-like for the rows of ``X`` as a ``ClassMask`` over the model's classes
        (errors named ``source``; the caller checks the number of rows)."""
        try:
            return ClassMask.coerce(mask, classes=self.classes_)
        except (TypeError, ValueError) as error:
            raise _renamed(error, source) from None

    def _mask(
        self, X: Any, valid_mask: Any, n_rows: int, name: str, *, predicting: str | None = None
    ) -> ClassMask | None:
        """A mask-like (or ``mask_from(X)``) as a ``ClassMask`` over the classes (``_coerce_mask``).

        ``predicting``: the method asking, when predicting; a model fitted with masks then
        refuses to go without one.
        """
        if isinstance(valid_mask, str):
            if valid_mask == "all":
                return None
            raise ValueError(f"{name}: expected a mask, None or 'all' (every class); got {valid_mask!r}")
        source = name
        if valid_mask is None and self.mask_from is not None:
            valid_mask, source = self.mask_from(X), "mask_from(X)"
        if valid_mask is None:
            if predicting and getattr(self, "masked_fit_", False):
                routing = (
                    f" Through scikit-learn's metadata routing, request it for this method "
                    f"(est.set_{predicting}_request({name}=True), e.g. in a Pipeline); scorers and "
                    f"cross_val_predict route no metadata to prediction: score with scoring=None "
                    f"(est.score, routed by set_score_request) or derive the masks from X with mask_from="
                    if predicting in ("predict", "predict_proba", "score")
                    else ""
                )
                raise ValueError(
                    f"{name}: this model was fitted with per-row masks, so {predicting} needs one too: "
                    f"pass {name}=..., or {name}='all' for every class.{routing}"
                )
            return None
        check_aligned(X, valid_mask, source)
        mask = self._coerce_mask(X, valid_mask, n_rows, source)
        if len(mask) != n_rows:
            raise ValueError(f"{source}: has {len(mask)} rows but X has {n_rows}; they must match")
        return mask

    def _eval_masks(self, eval_set: Any, eval_valid_mask: Any, training_masked: bool) -> list[tuple]:
        """``[((X, y), mask-like or None), ...]``: each eval set with its mask argument
        (a model trained with ``valid_mask`` needs one per eval set, unless ``mask_from``)."""
        if eval_set is None:
            if eval_valid_mask is not None:
                raise ValueError("eval_valid_mask: given without eval_set")
            return []
        eval_set = list(eval_set)
        masks = [None] * len(eval_set) if eval_valid_mask is None else list(eval_valid_mask)
        if len(masks) != len(eval_set):
            raise ValueError(
                f"eval_valid_mask: expected one mask per eval set ({len(eval_set)}); got {len(masks)}"
            )
        if training_masked and eval_valid_mask is None and self.mask_from is None:
            raise ValueError(
                "eval_valid_mask: training uses valid_mask, so each eval set needs its own mask too "
                "(pass eval_valid_mask=[...], or use mask_from to derive masks from X)"
            )
        if training_masked and self.mask_from is None:
            missing = [i for i, m in enumerate(masks) if m is None]
            if missing:
                raise ValueError(
                    f"eval_valid_mask: training uses valid_mask, so each eval set needs its own mask too; "
                    f"eval set {missing[0]} has None (pass valid_mask='all' there to evaluate every class)"
                )
        return list(zip(eval_set, masks, strict=True))


class MaskedBoostingClassifier(ClassifierMixin, MaskedEstimator):
    """Shared behaviour of the masked gradient-boosting classifiers (not used directly).

    Subclasses define ``__init__`` (the parameters of ``_PARAMETERS`` here and of their
    backend mixin) and take ``_backend`` and ``_backend_params()`` from a backend mixin;
    ``boostobj._paramdocs.document`` writes their Parameters sections.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str, if X had string column names
    booster_ : xgboost.Booster or lightgbm.Booster
    intercept_ : ndarray of shape (n_margins,)
        Start margins (the masked class-prior intercept, see ``loss.init_raw_prediction``).
    engine_ : {"native", "numba"}
    feature_categories_ : dict or None
        For a DataFrame ``X`` with string or categorical columns: each such column's
        categories, fixed at fit (the backends split on them natively; a category unseen
        in fit is a missing value). None otherwise.
    masked_fit_ : bool
        Whether ``fit`` had per-row masks (``valid_mask`` or ``mask_from``): prediction
        then needs a mask too (``valid_mask``, ``mask_from``, or ``valid_mask="all"``).
    best_iteration_ : int or None
        0-based index of the best round under early stopping; predictions use it.
    evals_result_ : dict
        ``{"validation_i": {"masked-mlogloss": [...]}}`` per eval set.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Total split gain per feature, normalised to sum 1.
    """

    _PARAMETERS = """
    loss : "softmax" or Loss, default="softmax"
        ``"softmax"``: :class:`boostobj.SoftmaxLoss` (or, for two classes and no mask,
        :class:`boostobj.BinaryLogLoss`) with ``hessian`` and ``class_weight``.
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        Hessian convention of ``loss="softmax"``; "auto" is the backend's own.
    class_weight : None, "balanced" or dict {label: weight}, default=None
    classes : array-like, optional
        The class universe (labels, in sorted order: they become ``classes_``), when masks
        name classes absent from ``y``.
    mask_from : callable, optional
        ``X -> mask`` used whenever no ``valid_mask`` is given (e.g. TransitionMask).
    engine : {"auto", "native", "numba"}, default="auto"
        "native": the backend's built-in objective with the mask as a -1e30 margin offset
        (pure C++; only for ``loss="softmax"`` with the backend's Hessian and no class
        weights, where it trains the same model); "numba": boostobj's objective;
        "auto": native when possible.
    early_stopping_rounds : int, optional
        Stop when the masked log-loss on the last eval set has not improved for this
        many rounds (needs ``eval_set`` in ``fit``).
    """

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        valid_mask: Any = None,
        sample_weight: Any = None,
        eval_set: Any = None,
        eval_valid_mask: Any = None,
    ) -> MaskedBoostingClassifier:
        """Fit on ``X`` (n, n_features) and labels ``y`` (n,), each row's label valid in it.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n, n_features)
            NaN marks a missing value.
        y : array-like of shape (n,)
            Class labels (any hashable type).
        valid_mask : mask-like or "all", optional
            Valid classes per row (see the module docstring); default ``mask_from(X)``
            or all classes ("all": every class, explicitly).
        sample_weight : array-like of shape (n,), optional
        eval_set : list of (X, y) pairs, optional
            Evaluated with the masked log-loss every round (``evals_result_``); the last
            one drives early stopping.
        eval_valid_mask : list of mask-likes, optional
            One per eval set; required when training with ``valid_mask`` (not with
            ``mask_from``, which then makes them).
        """
        self._check_params()
        X_checked = self._features(X, reset=True)
        y_labels = column_or_1d(_labels_present(y, "y"), warn=True)
        check_classification_targets(y_labels)
        self.classes_ = self._classes(y_labels)
        if len(self.classes_) < 2:
            raise ValueError(f"y: needs at least 2 classes; got 1 class ({self.classes_[0]!r})")
        y_idx = self._encode(y_labels, "y")
        mask = self._mask(X, valid_mask, len(y_idx), "valid_mask")
        if mask is not None:
            _inputs.check_labels_valid(y_idx, mask, name="y")
        self.masked_fit_ = mask is not None
        weight = _inputs.check_sample_weight(sample_weight, len(y_idx))
        evals = self._eval_sets(eval_set, eval_valid_mask, training_masked=mask is not None)
        loss, multiclass = self._loss(mask is not None or any(ds.mask is not None for ds in evals))
        self.engine_ = self._engine(loss)
        self.intercept_ = loss.init_raw_prediction(
            y_idx, sample_weight=weight, mask=mask, n_classes=len(self.classes_)
        ).reshape(-1)
        backend = self._backend
        if self.engine_ == "native":
            objective = backend.builtin_objective(multiclass)
        else:
            objective = backend.objective(loss)
        metric = backend.metric(
            "mlogloss" if multiclass else "logloss", output_margin=self.engine_ == "numba"
        )
        self._train(
            {"num_class": len(self.classes_)} if multiclass else {},
            DataSet(X_checked, y_idx, mask, weight),
            evals,
            objective,
            metric,
            self.intercept_,
        )
        return self

    # ------------------------------------------------------------------ predict
    def predict_proba(self, X: Any, *, valid_mask: Any = None) -> np.ndarray:
        """Class probabilities, shape (n, n_classes) in ``classes_`` order.

        Rows sum to 1 and are exactly 0 on classes invalid in their row.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n, n_features)
        valid_mask : mask-like or "all", optional
            Valid classes per row; default ``mask_from(X)``. Required when the model was
            fitted with ``valid_mask`` (``masked_fit_``); "all" takes every class.

        Raises
        ------
        ValueError
            If the model was fitted with masks and none is given.
        """
        return self._predict_proba(X, valid_mask, "predict_proba")

    def _predict_proba(self, X: Any, valid_mask: Any, method: str) -> np.ndarray:
        raw, mask = self._masked_margins(X, valid_mask, method)
        return masked_softmax(raw, mask=mask)

    def _masked_margins(self, X: Any, valid_mask: Any, method: str) -> tuple[np.ndarray, ClassMask | None]:
        """``(margins (n, n_classes), mask or None)``: what ``predict_proba`` takes the masked
        softmax of (a one-margin model's margin ``f`` as the two columns ``(0, f)``)."""
        check_is_fitted(self, "booster_")
        X_checked = self._features(X, reset=False)
        n = X_checked.shape[0]
        mask = self._mask(X, valid_mask, n, "valid_mask", predicting=method)
        raw = self._margins(X_checked, mask if self._multiclass else None)
        if not self._multiclass:  # one margin f: the two-class softmax of (0, f)
            raw = np.column_stack([np.zeros(n), np.asarray(raw, dtype=np.float64).reshape(n)])
        return raw, mask

    def predict(self, X: Any, *, valid_mask: Any = None) -> np.ndarray:
        """The most probable valid class of each row (never an invalid one), shape (n,).

        ``valid_mask`` as in :meth:`predict_proba`.
        """
        return self._predict(X, valid_mask, "predict")

    def _predict(self, X: Any, valid_mask: Any, method: str) -> np.ndarray:
        proba = self._predict_proba(X, valid_mask, method)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X: Any, y: Any, *, valid_mask: Any = None, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict` under the mask (weighted by ``sample_weight``).

        ``valid_mask`` as in :meth:`predict_proba`.
        """
        from sklearn.metrics import accuracy_score

        predicted = self._predict(X, valid_mask, "score")
        return float(accuracy_score(y, predicted, sample_weight=sample_weight))

    @property
    def _multiclass(self) -> bool:
        """Whether the model has one margin per class (a one-margin binary model has one)."""
        return self.intercept_.size > 1

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> None:
        if self.engine not in _ENGINES:
            raise ValueError(f"engine: expected one of {list(_ENGINES)}; got {self.engine!r}")
        if not isinstance(self.loss, Loss) and self.loss != "softmax":
            raise ValueError(f"loss: expected 'softmax' or a boostobj Loss; got {self.loss!r}")
        if isinstance(self.loss, Loss) and (self.class_weight is not None or self.hessian != "auto"):
            raise ValueError(
                "class_weight, hessian: set them on the loss object when loss is a Loss instance"
            )
        self._check_boosting_params()
        self._check_mask_params()

    def _classes(self, y_labels: np.ndarray) -> np.ndarray:
        present = np.unique(y_labels)
        if self.classes is None:
            return present
        classes = np.asarray(self.classes)
        if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
            raise ValueError(f"classes: expected a 1-D array of distinct labels; got {self.classes!r}")
        check_sorted_classes(classes, "classes")
        missing = np.setdiff1d(present, classes)
        if missing.size:
            raise ValueError(f"y: labels {missing.tolist()} are not in classes={classes.tolist()}")
        return classes

    def _encode(self, labels: Any, name: str) -> np.ndarray:
        """Labels -> indices into ``classes_`` (an error for unknown labels)."""
        return encode_labels(labels, self.classes_, name)

    def _eval_sets(self, eval_set: Any, eval_valid_mask: Any, training_masked: bool) -> list[DataSet]:
        out = []
        for i, ((X_e, y_e), m_e) in enumerate(self._eval_masks(eval_set, eval_valid_mask, training_masked)):
            X_checked = self._features(X_e, reset=False)
            y_idx = self._encode(column_or_1d(_labels_present(y_e, f"eval_set[{i}] y")), f"eval_set[{i}] y")
            mask = self._mask(X_e, m_e, len(y_idx), f"eval_valid_mask[{i}]")
            if mask is not None:
                _inputs.check_labels_valid(y_idx, mask, name=f"eval_set[{i}] y")
            out.append(DataSet(X_checked, y_idx, mask))
        return out

    def _loss(self, masked: bool) -> tuple[Loss, bool]:
        """The loss object and whether the model has one margin per class."""
        k = len(self.classes_)
        if isinstance(self.loss, Loss):
            if not self.loss.is_multiclass and (k != 2 or masked):
                raise ValueError("loss: a one-margin (binary) loss needs exactly 2 classes and no mask")
            return self.loss.for_backend(self._backend.name), self.loss.is_multiclass
        class_weight = None
        if self.class_weight is not None:
            if self.class_weight == "balanced":
                class_weight = "balanced"
            elif isinstance(self.class_weight, dict):
                idx = self._encode(np.asarray(list(self.class_weight)), "class_weight")
                class_weight = dict(zip(idx.tolist(), self.class_weight.values(), strict=True))
            else:
                raise ValueError(
                    f"class_weight: expected None, 'balanced' or a dict {{label: weight}}; "
                    f"got {self.class_weight!r}"
                )
        if k == 2 and not masked:
            return BinaryLogLoss(class_weight=class_weight).for_backend(self._backend.name), False
        return SoftmaxLoss(hessian=self.hessian, class_weight=class_weight).for_backend(
            self._backend.name
        ), True

    def _engine(self, loss: Loss) -> str:
        native_ok = (
            loss.get_params().get("class_weight") is None
            and getattr(loss, "pos_weight", 1.0) == 1.0
            and (
                isinstance(loss, BinaryLogLoss)
                or (
                    type(loss) is SoftmaxLoss
                    and loss.hessian == self._backend.name
                    and loss.hessian_floor is None
                )
            )
        )
        if self.engine == "native" and not native_ok:
            raise ValueError(
                f"engine: 'native' trains the backend's built-in objective, which only matches "
                f"{loss!r} with the backend's own Hessian and no class or positive weights; use "
                f"engine='numba' or 'auto'"
            )
        return "native" if self.engine == "native" or (self.engine == "auto" and native_ok) else "numba"


def check_sorted_classes(classes: np.ndarray, name: str) -> None:
    """Refuse class labels (distinct, 1-D) that are not in ``np.unique`` order: they become
    ``classes_``, the columns of ``predict_proba``, and scikit-learn (``log_loss``, the
    ``neg_log_loss`` scorer, calibration) reads those columns in sorted label order."""
    if not np.array_equal(classes, np.unique(classes), equal_nan=classes.dtype.kind == "f"):
        raise ValueError(
            f"{name}: expected the labels in sorted order (they become classes_, the columns of "
            f"predict_proba, which scikit-learn's scorers read in sorted label order); got "
            f"{classes.tolist()[:10]}; pass them sorted, with a dense mask's columns in that order"
        )


def _labels_present(y: Any, name: str) -> Any:
    """``y`` unchanged; a missing label (None, NaN, ``pd.NA``, NaT) is an error naming its row."""
    if y is None:
        return y  # scikit-learn's own checks name it
    if type(y).__module__.startswith("pandas") and hasattr(y, "isna"):
        missing = np.asarray(y.isna()).reshape(len(y), -1).any(axis=1)
        values = np.asarray(y, dtype=object).reshape(len(y), -1)[:, 0]
    else:
        values = np.asarray(y)
        if values.ndim == 0:
            return y
        if values.dtype.kind == "f":
            missing = np.isnan(values)
        elif values.dtype == object:
            missing = np.fromiter(
                (
                    v is None or type(v).__name__ in _MISSING or (isinstance(v, float) and v != v)
                    for v in values.flat
                ),
                dtype=bool,
                count=values.size,
            ).reshape(values.shape)
        else:
            return y
    if missing.any():
        at = np.argwhere(missing)[0]
        raise ValueError(
            f"{name}: row {int(at[0])} has a missing label ({values[tuple(at)]!r}); "
            f"every row needs a class label"
        )
    return y


_MISSING = ("NAType", "NaTType")


def _renamed(error: Exception, name: str) -> Exception:
    """``error`` with its leading ``mask:`` renamed to the argument the mask came from."""
    text = str(error)
    if text.startswith("mask: "):
        text = f"{name}: {text[len('mask: ') :]}"
    return type(error)(text)


# ---------------------------------------------------------------------- backends' parameters
class XGBoostParamsMixin:
    """XGBoost's hyper-parameters, shared by every XGBoost estimator of boostobj.

    Under XGBoost's scikit-learn names and defaults: ``n_estimators``, ``learning_rate``
    (eta), ``max_depth``, ``min_child_weight``, ``subsample``, ``colsample_bytree``,
    ``reg_lambda``, ``reg_alpha``, ``tree_method``, ``max_bin``, ``n_jobs`` (nthread),
    ``random_state`` (seed); others go in ``booster_params``. Each concrete estimator
    still lists them in its own ``__init__`` (scikit-learn reads the signature).
    """

    _backend = XGBoostBackend()
    _PARAMETERS = """
    n_estimators : int
        Boosting rounds.
    learning_rate : float
        XGBoost's ``eta``.
    max_depth : int
        Tree depth.
    min_child_weight : float
        Minimum Hessian sum in a leaf.
    subsample : float
        Row subsampling per tree.
    colsample_bytree : float
        Column subsampling per tree.
    reg_lambda : float
        L2 penalty on leaf values (``lambda``).
    reg_alpha : float
        L1 penalty on leaf values (``alpha``).
    tree_method : str
        ``"hist"``, ``"approx"`` or ``"exact"``.
    max_bin : int
        Histogram bins per feature.
    n_jobs : int, optional
        Threads (``nthread``); None, -1 or 0: XGBoost's default; at most ``MAX_THREADS``.
    random_state : int, optional
        Seed (``seed``; None: 0).
    """

    def _backend_params(self) -> dict:
        params = {
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "lambda": self.reg_lambda,
            "alpha": self.reg_alpha,
            "tree_method": self.tree_method,
            "max_bin": self.max_bin,
            "seed": 0 if self.random_state is None else int(self.random_state),
            "verbosity": 0,
        }
        n_jobs = check_thread_count(self.n_jobs, "n_jobs")  # a Python int (numpy integers too)
        if n_jobs is not None:
            params["nthread"] = n_jobs
        return {**params, **(self.booster_params or {})}


class LightGBMParamsMixin:
    """LightGBM's hyper-parameters, shared by every LightGBM estimator of boostobj.

    Under LightGBM's scikit-learn names and defaults: ``n_estimators``, ``learning_rate``,
    ``num_leaves``, ``max_depth``, ``min_child_samples``, ``subsample``,
    ``subsample_freq``, ``colsample_bytree``, ``reg_alpha``, ``reg_lambda``, ``n_jobs``
    (num_threads), ``random_state`` (seed); others go in ``booster_params``.
    """

    _backend = LightGBMBackend()
    _PARAMETERS = """
    n_estimators : int
        Boosting rounds.
    learning_rate : float
        Shrinkage.
    num_leaves : int
        Maximum leaves per tree.
    max_depth : int
        Tree depth (-1: no limit).
    min_child_samples : int
        Minimum rows in a leaf (``min_data_in_leaf``).
    subsample : float
        Row subsampling (``bagging_fraction``; needs ``subsample_freq`` > 0).
    subsample_freq : int
        Subsample every this many rounds (``bagging_freq``; 0: never).
    colsample_bytree : float
        Column subsampling (``feature_fraction``).
    reg_alpha : float
        L1 penalty (``lambda_l1``).
    reg_lambda : float
        L2 penalty (``lambda_l2``).
    n_jobs : int, optional
        Threads (``num_threads``); None, -1 or 0: LightGBM's default; at most ``MAX_THREADS``.
    random_state : int, optional
        Seed (``seed``; None: 0).
    """

    def _backend_params(self) -> dict:
        params = {
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": self.subsample_freq,
            "feature_fraction": self.colsample_bytree,
            "lambda_l1": self.reg_alpha,
            "lambda_l2": self.reg_lambda,
            "verbose": -1,
            "seed": 0 if self.random_state is None else int(self.random_state),
        }
        n_jobs = check_thread_count(self.n_jobs, "n_jobs")  # a Python int (numpy integers too)
        if n_jobs is not None:
            params["num_threads"] = n_jobs
        return {**params, **(self.booster_params or {})}


@document
class MaskedXGBClassifier(XGBoostParamsMixin, MaskedBoostingClassifier):
    """XGBoost gradient boosting with per-row valid classes (see
    :class:`MaskedBoostingClassifier` for the shared parameters and attributes).

    XGBoost parameters keep XGBoost's scikit-learn names and defaults: ``n_estimators``,
    ``learning_rate`` (eta), ``max_depth``, ``min_child_weight``, ``subsample``,
    ``colsample_bytree``, ``reg_lambda``, ``reg_alpha``, ``tree_method``, ``max_bin``,
    ``n_jobs`` (nthread), ``random_state`` (seed); others go in ``booster_params``.

    Examples
    --------
    >>> from boostobj import MaskedXGBClassifier, TransitionMask
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask, allowed = make_transition_data(500, 5, 2, random_state=0, return_allowed=True)
    >>> clf = MaskedXGBClassifier(n_estimators=5, mask_from=TransitionMask(0, allowed)).fit(X, y)
    >>> bool((clf.predict_proba(X)[~mask.to_dense()] == 0).all())
    True
    """

    def __init__(
        self,
        *,
        loss: Any = "softmax",
        hessian: str = "auto",
        class_weight: Any = None,
        classes: Any = None,
        mask_from: Any = None,
        engine: str = "auto",
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
        self.loss = loss
        self.hessian = hessian
        self.class_weight = class_weight
        self.classes = classes
        self.mask_from = mask_from
        self.engine = engine
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
class MaskedLGBMClassifier(LightGBMParamsMixin, MaskedBoostingClassifier):
    """LightGBM gradient boosting with per-row valid classes (see
    :class:`MaskedBoostingClassifier` for the shared parameters and attributes).

    LightGBM parameters keep LightGBM's scikit-learn names and defaults:
    ``n_estimators``, ``learning_rate``, ``num_leaves``, ``max_depth``,
    ``min_child_samples``, ``subsample``, ``subsample_freq``, ``colsample_bytree``,
    ``reg_alpha``, ``reg_lambda``, ``n_jobs`` (num_threads), ``random_state`` (seed);
    others go in ``booster_params``.

    Examples
    --------
    >>> from boostobj import MaskedLGBMClassifier
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(500, 5, 2, random_state=0)
    >>> clf = MaskedLGBMClassifier(n_estimators=5, num_leaves=7).fit(X, y, valid_mask=mask)
    >>> proba = clf.predict_proba(X, valid_mask=mask)
    >>> bool((proba[~mask.to_dense()] == 0).all()), proba.shape
    (True, (500, 5))
    """

    def __init__(
        self,
        *,
        loss: Any = "softmax",
        hessian: str = "auto",
        class_weight: Any = None,
        classes: Any = None,
        mask_from: Any = None,
        engine: str = "auto",
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
        self.loss = loss
        self.hessian = hessian
        self.class_weight = class_weight
        self.classes = classes
        self.mask_from = mask_from
        self.engine = engine
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
