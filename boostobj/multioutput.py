"""Multi-output classification with masks: several categorical targets in one boosted model.

:class:`MaskedMultiOutputXGBClassifier` and :class:`MaskedMultiOutputLGBMClassifier` fit
``y`` of shape (n, G) (say hour-of-day and day-of-week of the next event) with ONE
booster: the margins of all outputs' classes side by side, one independent softmax per
output (:class:`boostobj.GroupedSoftmaxLoss`), trees shared across outputs. As
scikit-learn's multi-output classifiers do, ``classes_`` is a list of per-output label
arrays, ``predict_proba`` returns one (n, K_g) array per output and ``predict`` an (n, G)
array of labels.

Columns. Output ``g``'s classes occupy columns ``column_offsets_[g] ..
column_offsets_[g + 1] - 1`` of the concatenation (one column per class of each output, in
output order, each output's classes in ``classes_[g]`` order).

Masks (``valid_mask``, ``eval_valid_mask``, ``mask_from(X)``), one of:

* a mask over the concatenated columns, read by :meth:`boostobj.ClassMask.coerce` by
  POSITION (``n_classes`` = the total number of columns): a ``ClassMask``, booleans
  (NumPy, nested lists) or a scipy sparse matrix with one column per concatenated class,
  per-row lists of concatenated column indices, or a DataFrame whose columns are labelled
  ``0 .. K-1``. Labels are not used here because different outputs may share labels (two
  outputs of classes 0, 1, 2);
* a list of ``n_outputs_`` per-output masks, each a 2-D object (a ``ClassMask``, a 2-D
  array, a sparse matrix, a DataFrame whose columns are that output's labels) read with
  that output's ``classes_``, or ``None`` for "every class of this output". A list is
  per-output exactly when each of its items is 2-D or None (the rows of a concatenated
  mask are 1-D, never None); per-row lists of labels therefore need the concatenated form
  or a ``ClassMask.coerce(rows, classes=clf.classes_[g])`` per output.

Every row needs at least one valid class in every output. As with
:class:`boostobj.MaskedXGBClassifier`, a model fitted with masks (``masked_fit_``) refuses
to predict without one (``valid_mask="all"`` asks for every class explicitly).

Missing labels. ``None``, ``NaN``, ``pd.NA`` or ``NaT`` in ``y`` means "no label for this
output in this row": the row contributes nothing to that output's loss (the loss's
``ignore_index``) and still trains the others. ``score`` compares only the labelled
outputs.

Engine: always boostobj's objective (the backends have no grouped softmax of their own).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _inputs
from ._backends import DataSet
from ._maskgrammar import check_aligned, encode_labels
from ._paramdocs import document
from .grouped import GroupedSoftmaxLoss
from .losses import HESSIAN_CONVENTIONS
from .masks import ClassMask
from .sklearn import (
    _MISSING,
    LightGBMParamsMixin,
    MaskedEstimator,
    XGBoostParamsMixin,
    _renamed,
    check_sorted_classes,
)

__all__ = [
    "MaskedMultiOutputBoostingClassifier",
    "MaskedMultiOutputXGBClassifier",
    "MaskedMultiOutputLGBMClassifier",
]

#: The label value that marks "no label for this output in this row" for the loss.
_NO_LABEL = -1


class MaskedMultiOutputBoostingClassifier(ClassifierMixin, MaskedEstimator):
    """Shared behaviour of the masked multi-output classifiers (not used directly).

    Attributes
    ----------
    classes_ : list of ndarray
        The labels of each output, ``classes_[g]`` of shape (K_g,).
    n_outputs_ : int
    column_offsets_ : ndarray of shape (n_outputs_ + 1,)
        Where each output's classes start among the concatenated columns (masks, margins).
    n_features_in_ : int
    feature_names_in_ : ndarray of str, if X had string column names
    booster_ : xgboost.Booster or lightgbm.Booster
        One margin per concatenated column (``num_class = column_offsets_[-1]``).
    intercept_ : ndarray of shape (sum K_g,)
        Start margins: each output's masked class prior.
    feature_categories_ : dict or None
        As for :class:`boostobj.MaskedXGBClassifier`.
    masked_fit_ : bool
        Whether ``fit`` had per-row masks: prediction then needs a mask too.
    best_iteration_ : int or None
    evals_result_ : dict
        ``{"validation_i": {"grouped-softmax": [...]}}`` per eval set.
    feature_importances_ : ndarray of shape (n_features_in_,)
    """

    _PARAMETERS = """
    hessian : {"auto", "exact", "xgboost", "lightgbm"}, default="auto"
        Hessian convention of :class:`boostobj.GroupedSoftmaxLoss` ("auto": the backend's
        own, per output: ``2 p (1 - p)`` for XGBoost, ``K_g / (K_g - 1) p (1 - p)`` for
        LightGBM).
    class_weight : None, "balanced" or list of dicts, default=None
        "balanced": within each output, as :class:`boostobj.SoftmaxLoss` does; or one
        ``{label: weight}`` dict (or None) per output, as scikit-learn's multi-output
        forests take (classes not named weigh 1).
    classes : list of array-like, optional
        One class universe per output, its labels in sorted order (or None to take that
        output's labels from ``y``), when masks name classes absent from ``y``.
    mask_from : callable, optional
        ``X -> mask`` (either mask form of the module docstring) used whenever no
        ``valid_mask`` is given.
    early_stopping_rounds : int, optional
        Stop when the loss on the last eval set has not improved for this many rounds
        (needs ``eval_set`` in ``fit``): the sum over the outputs of each output's masked
        log-loss averaged over the rows labelled for it, without class weights
        (:meth:`boostobj.GroupedSoftmaxLoss.mean_loss`).
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
    ) -> MaskedMultiOutputBoostingClassifier:
        """Fit on ``X`` (n, n_features) and labels ``y`` (n, n_outputs).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n, n_features)
        y : array-like or DataFrame of shape (n, n_outputs)
            Labels of any hashable type per output; None/NaN: no label for that output
            in that row. One output needs shape (n, 1), as in scikit-learn's
            ``MultiOutputClassifier``.
        valid_mask : mask-like, list of per-output masks, or "all", optional
            See the module docstring; default ``mask_from(X)`` or every class.
        sample_weight : array-like of shape (n,), optional
        eval_set : list of (X, y) pairs, optional
            Evaluated every round (``evals_result_``); the last one drives early stopping.
        eval_valid_mask : list, optional
            One mask per eval set; required when training with ``valid_mask`` (not with
            ``mask_from``).
        """
        self._check_params()
        X_checked = self._features(X, reset=True)
        n = _inputs.n_rows_of(X_checked)
        columns = _output_columns(y, "y", n)
        self.n_outputs_ = len(columns)
        if self.classes is not None and len(self.classes) != self.n_outputs_:
            raise ValueError(
                f"classes: expected one entry per output ({self.n_outputs_}); got {len(self.classes)}"
            )
        self.classes_ = [
            self._output_classes(values, missing, g) for g, (values, missing) in enumerate(columns)
        ]
        self.column_offsets_ = np.concatenate([[0], np.cumsum([len(c) for c in self.classes_])]).astype(
            np.int64
        )
        positions = self._positions(columns, "y")
        mask = self._mask(X, valid_mask, n, "valid_mask")
        if mask is not None:
            self._check_labels_valid(positions, mask, "y")
        self.masked_fit_ = mask is not None
        weight = _inputs.check_sample_weight(sample_weight, n)
        loss = self._loss().for_backend(self._backend.name)
        metric = self._metric_loss()  # unweighted by class: the outputs' masked log-losses, summed
        evals = self._eval_sets(eval_set, eval_valid_mask, mask is not None, metric)
        self.intercept_ = loss.init_raw_prediction(positions, sample_weight=weight, mask=mask)
        self._train(
            {"num_class": int(self.column_offsets_[-1])},
            DataSet(X_checked, positions, mask, weight, loss=loss),
            evals,
            self._backend.objective(loss),
            self._backend.metric(metric),
            self.intercept_,
        )
        return self

    # ------------------------------------------------------------------ predict
    def predict_proba(self, X: Any, *, valid_mask: Any = None) -> list[np.ndarray]:
        """Class probabilities of each output: a list of ``n_outputs_`` arrays of shape
        (n, K_g), in ``classes_[g]`` order; rows sum to 1 and are exactly 0 on classes
        invalid in their row.

        ``valid_mask``: as in :meth:`fit`; default ``mask_from(X)``; required when the model
        was fitted with masks ("all" takes every class).
        """
        return self._predict_proba(X, valid_mask, "predict_proba")

    def _predict_proba(self, X: Any, valid_mask: Any, method: str) -> list[np.ndarray]:
        check_is_fitted(self, "booster_")
        X_checked = self._features(X, reset=False)
        mask = self._mask(X, valid_mask, _inputs.n_rows_of(X_checked), "valid_mask", predicting=method)
        raw = self._margins(X_checked, mask)
        return self._metric_loss().predict_proba(raw, mask=mask)

    def predict(self, X: Any, *, valid_mask: Any = None) -> np.ndarray:
        """The most probable valid class of each output, shape (n, n_outputs) (labels; an
        object array when the outputs' labels have different dtypes). Never an invalid class.
        """
        return self._predict(X, valid_mask, "predict")

    def _predict(self, X: Any, valid_mask: Any, method: str) -> np.ndarray:
        proba = self._predict_proba(X, valid_mask, method)
        picked = [classes[np.argmax(p, axis=1)] for classes, p in zip(self.classes_, proba, strict=True)]
        dtypes = {p.dtype for p in picked}
        out = np.empty((len(picked[0]), len(picked)), dtype=dtypes.pop() if len(dtypes) == 1 else object)
        for g, labels in enumerate(picked):
            out[:, g] = labels
        return out

    def score(self, X: Any, y: Any, *, valid_mask: Any = None, sample_weight: Any = None) -> float:
        """Subset accuracy (as ``MultiOutputClassifier.score``): the (weighted) share of
        rows whose every labelled output is predicted right. Missing labels in ``y`` are
        not compared; rows without any label are left out.

        ``valid_mask`` as in :meth:`predict_proba`.
        """
        predicted = self._predict(X, valid_mask, "score")
        columns = _output_columns(y, "y", predicted.shape[0], n_outputs=self.n_outputs_)
        right = np.ones(predicted.shape[0], dtype=bool)
        labelled = np.zeros(predicted.shape[0], dtype=bool)
        for g, (values, missing) in enumerate(columns):
            same = np.array([a == b for a, b in zip(values.tolist(), predicted[:, g].tolist(), strict=True)])
            right &= missing | same.astype(bool)
            labelled |= ~missing
        weight = _inputs.check_sample_weight(sample_weight, predicted.shape[0])
        weight = np.ones(predicted.shape[0]) if weight is None else weight
        total = weight[labelled].sum()
        if total <= 0:
            raise ValueError("y: no row has a label (or every labelled row weighs 0); nothing to score")
        return float(weight[labelled & right].sum() / total)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = False
        tags.target_tags.multi_output = True
        return tags

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> None:
        if self.hessian != "auto" and self.hessian not in HESSIAN_CONVENTIONS:
            raise ValueError(
                f"hessian: expected one of {['auto', *HESSIAN_CONVENTIONS]}; got {self.hessian!r}"
            )
        cw = self.class_weight
        if not (cw is None or (isinstance(cw, str) and cw == "balanced") or isinstance(cw, (list, tuple))):
            raise ValueError(
                f"class_weight: expected None, 'balanced' or a list of {{label: weight}} dicts, one per "
                f"output; got {cw!r}"
            )
        if self.classes is not None and not isinstance(self.classes, (list, tuple)):
            raise ValueError(
                f"classes: expected a list of per-output label arrays (None for an output's labels "
                f"from y); got {type(self.classes).__name__}"
            )
        self._check_boosting_params()
        self._check_mask_params()

    def _output_classes(self, values: np.ndarray, missing: np.ndarray, g: int) -> np.ndarray:
        present = _inferred(values[~missing])
        if present.size:
            try:
                check_classification_targets(present)
            except ValueError as error:
                raise ValueError(f"y: in output {g}, {error}") from None
            present_classes = np.unique(present)
        else:
            present_classes = present
        given = None if self.classes is None else self.classes[g]
        if given is None:
            classes = present_classes
        else:
            classes = np.asarray(given)
            try:
                distinct = classes.ndim == 1 and len(np.unique(classes)) == len(classes)
            except TypeError:
                distinct = False
            if not distinct:
                raise ValueError(f"classes: entry {g} must be a 1-D array of distinct labels; got {given!r}")
            check_sorted_classes(classes, f"classes[{g}]")
            try:
                unknown = [c for c in present_classes.tolist() if c not in set(classes.tolist())]
            except TypeError:
                unknown = present_classes.tolist()
            if unknown:
                raise ValueError(
                    f"y: labels {unknown[:10]} of output {g} are not in classes[{g}]={classes.tolist()}"
                )
        if len(classes) < 2:
            only = classes[0].item() if len(classes) and isinstance(classes[0], np.generic) else None
            found = "no label" if len(classes) == 0 else f"1 class ({classes[0] if only is None else only!r})"
            raise ValueError(f"y: output {g} needs at least 2 classes; got {found}")
        return classes

    def _positions(self, columns: list, name: str) -> np.ndarray:
        """(n, G) int64 positions within each output's classes, ``_NO_LABEL`` where missing."""
        out = np.full((len(columns[0][0]), len(columns)), _NO_LABEL, dtype=np.int64)
        for g, (values, missing) in enumerate(columns):
            present = _inferred(values[~missing])
            if present.size:
                try:
                    out[~missing, g] = encode_labels(present, self.classes_[g], name)
                except ValueError as error:
                    text = str(error).removeprefix(f"{name}: ")
                    raise ValueError(f"{name}: in output {g}, {text}") from None
        return out

    def _check_labels_valid(self, positions: np.ndarray, mask: ClassMask, name: str) -> None:
        for g in range(self.n_outputs_):
            rows = np.flatnonzero(positions[:, g] != _NO_LABEL)
            if not rows.size:
                continue
            ok = mask.take(rows).contains(positions[rows, g] + self.column_offsets_[g])
            if not ok.all():
                row = int(rows[np.flatnonzero(~ok)[0]])
                label = self.classes_[g][positions[row, g]]
                label = label.item() if isinstance(label, np.generic) else label
                raise ValueError(
                    f"{name}: the label {label!r} of row {row} in output {g} is not one of its valid classes"
                )

    def _coerce_mask(self, X: Any, mask: Any, n_rows: int, source: str) -> ClassMask:
        sizes = np.diff(self.column_offsets_)
        total = int(self.column_offsets_[-1])
        if _per_output(mask, self.n_outputs_):
            parts = []
            for g, item in enumerate(mask):
                name = f"{source}[{g}]"
                if item is None:
                    parts.append(ClassMask.full(n_rows, int(sizes[g])))
                    continue
                check_aligned(X, item, name)
                try:
                    part = ClassMask.coerce(item, classes=self.classes_[g])
                except (TypeError, ValueError) as error:
                    raise _renamed(error, name) from None
                if len(part) != n_rows:
                    raise ValueError(f"{name}: has {len(part)} rows but X has {n_rows}; they must match")
                parts.append(part)
            from scipy import sparse

            out = ClassMask.from_csr(sparse.hstack([p.to_csr() for p in parts], format="csr"))
        else:
            try:
                out = ClassMask._read(mask, total)
            except (TypeError, ValueError) as error:
                raise _renamed(error, source) from None
            if out.n_classes != total:
                raise ValueError(
                    f"{source}: expected {total} columns, one per class of each output "
                    f"({' + '.join(map(str, sizes.tolist()))}), or a list of {self.n_outputs_} per-output "
                    f"masks; got a mask of {out.n_classes} columns"
                )
        rows = np.repeat(np.arange(len(out)), out.n_valid)
        output = np.searchsorted(self.column_offsets_, out.indices, side="right") - 1
        counts = np.bincount(rows * self.n_outputs_ + output, minlength=len(out) * self.n_outputs_)
        if (counts == 0).any():
            row, g = divmod(int(np.flatnonzero(counts == 0)[0]), self.n_outputs_)
            raise ValueError(
                f"{source}: row {row} has no valid class in output {g}; every output needs at least one"
            )
        return out

    def _eval_sets(
        self, eval_set: Any, eval_valid_mask: Any, training_masked: bool, loss: GroupedSoftmaxLoss
    ) -> list[DataSet]:
        out = []
        for i, ((X_e, Y_e), m_e) in enumerate(self._eval_masks(eval_set, eval_valid_mask, training_masked)):
            X_checked = self._features(X_e, reset=False)
            n = _inputs.n_rows_of(X_checked)
            name = f"eval_set[{i}] y"
            positions = self._positions(_output_columns(Y_e, name, n, n_outputs=self.n_outputs_), name)
            mask = self._mask(X_e, m_e, n, f"eval_valid_mask[{i}]")
            if mask is not None:
                self._check_labels_valid(positions, mask, name)
            out.append(DataSet(X_checked, positions, mask, loss=loss))
        return out

    def _metric_loss(self) -> GroupedSoftmaxLoss:
        """The grouped softmax over the outputs' classes, without class weights."""
        return GroupedSoftmaxLoss(np.diff(self.column_offsets_), ignore_index=_NO_LABEL)

    def _loss(self) -> GroupedSoftmaxLoss:
        """The training loss: the grouped softmax with ``hessian`` and ``class_weight``."""
        cw = self.class_weight
        if cw is not None and not isinstance(cw, str):
            if len(cw) != self.n_outputs_:
                raise ValueError(
                    f"class_weight: expected one dict (or None) per output ({self.n_outputs_}); got {len(cw)}"
                )
            weights = np.ones(int(self.column_offsets_[-1]))
            for g, spec in enumerate(cw):
                if spec is None:
                    continue
                if not isinstance(spec, dict):
                    raise ValueError(
                        f"class_weight: entry {g} must be a dict {{label: weight}} or None; got {spec!r}"
                    )
                idx = encode_labels(np.asarray(list(spec)), self.classes_[g], f"class_weight[{g}]")
                for j, w in zip(idx.tolist(), spec.values(), strict=True):
                    if isinstance(w, bool) or not isinstance(w, numbers.Real) or not np.isfinite(w) or w < 0:
                        raise ValueError(
                            f"class_weight: entry {g} has weight {w!r}; expected a finite number >= 0"
                        )
                    weights[self.column_offsets_[g] + j] = float(w)
            cw = weights
        return GroupedSoftmaxLoss(
            np.diff(self.column_offsets_), hessian=self.hessian, class_weight=cw, ignore_index=_NO_LABEL
        )


# ---------------------------------------------------------------------- y and masks
def _output_columns(y: Any, name: str, n_rows: int, n_outputs: int | None = None) -> list:
    """``[(values (n,), missing (n,) bool), ...]``, one pair per output of ``y`` (n, G)."""
    if y is None:  # scikit-learn's wording, which its estimator checks look for
        raise ValueError(
            f"{name}: requires y to be passed, but the target y is None; expected class labels of shape "
            f"(n_samples, n_outputs)"
        )
    module = type(y).__module__.split(".")[0]
    if module in ("polars", "pyarrow") and hasattr(y, "to_pandas"):
        y = y.to_pandas()
    if type(y).__module__.startswith("pandas") and hasattr(y, "isna") and getattr(y, "ndim", 1) == 2:
        columns = [
            (y.iloc[:, g].to_numpy(), np.asarray(y.iloc[:, g].isna(), dtype=bool)) for g in range(y.shape[1])
        ]
        shape = y.shape
    else:
        if type(y).__module__.startswith("pandas"):
            y = y.to_numpy()
        if hasattr(y, "toarray"):
            raise TypeError(f"{name}: expected a dense array or DataFrame of labels; got a sparse matrix")
        arr = np.asarray(y)
        shape = arr.shape
        if arr.ndim != 2:
            hint = ""
            if arr.ndim == 1:
                hint = " (for one output, pass y.reshape(-1, 1))"
                try:  # the label type first: "Unknown label type: continuous" says more
                    check_classification_targets(arr[~_missing(arr)])
                except ValueError as error:
                    raise ValueError(f"{name}: {error}") from None
            raise ValueError(
                f"{name}: expected class labels of shape (n_samples, n_outputs); got shape {arr.shape}{hint}"
            )
        columns = [(arr[:, g], _missing(arr[:, g])) for g in range(arr.shape[1])]
    if shape[0] != n_rows:
        raise ValueError(f"{name}: has {shape[0]} rows but X has {n_rows}; they must match")
    if shape[1] == 0:
        raise ValueError(f"{name}: expected at least one output column; got shape {tuple(shape)}")
    if n_outputs is not None and shape[1] != n_outputs:
        raise ValueError(f"{name}: expected {n_outputs} outputs (columns), as in fit; got {shape[1]}")
    return columns


def _missing(values: np.ndarray) -> np.ndarray:
    """Where a label is missing: NaN, None, ``pd.NA``, ``NaT``."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "M" or values.dtype.kind == "m":
        return np.isnat(values)
    if values.dtype != object:
        return np.zeros(values.shape, dtype=bool)
    return np.fromiter(
        (v is None or type(v).__name__ in _MISSING or (isinstance(v, float) and v != v) for v in values),
        dtype=bool,
        count=values.size,
    )


def _inferred(values: np.ndarray) -> np.ndarray:
    """Present labels with their own dtype: an object column of ints (missing ones taken
    out) becomes int64; mixed types stay object (NumPy would turn them into strings)."""
    if values.dtype != object or values.size == 0:
        return values
    kinds = {type(v) for v in values.tolist()}
    if len(kinds) == 1 and kinds.pop() in (int, float, str, bool):
        return np.asarray(values.tolist())
    return values


def _per_output(mask: Any, n_outputs: int) -> bool:
    """Whether ``mask`` is a list of per-output masks (each 2-D or None), not rows."""
    if not isinstance(mask, (list, tuple)) or len(mask) != n_outputs:
        return False
    return all(
        item is None or isinstance(item, ClassMask) or len(getattr(item, "shape", ())) == 2 for item in mask
    )


# ---------------------------------------------------------------------- estimators
@document
class MaskedMultiOutputXGBClassifier(XGBoostParamsMixin, MaskedMultiOutputBoostingClassifier):
    """XGBoost multi-output classification with per-row valid classes: one booster, one
    softmax per output (see :class:`MaskedMultiOutputBoostingClassifier` for the shared
    parameters and attributes, and :class:`boostobj.MaskedXGBClassifier` for XGBoost's).

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import MaskedMultiOutputXGBClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = np.column_stack([np.where(X[:, 0] > 0, "a", "b"), (X[:, 1] > 0).astype(int)])
    >>> clf = MaskedMultiOutputXGBClassifier(n_estimators=5).fit(X, y)
    >>> [p.shape for p in clf.predict_proba(X)], clf.predict(X).shape
    ([(200, 2), (200, 2)], (200, 2))
    """

    def __init__(
        self,
        *,
        hessian: str = "auto",
        class_weight: Any = None,
        classes: Any = None,
        mask_from: Any = None,
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
        self.class_weight = class_weight
        self.classes = classes
        self.mask_from = mask_from
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
class MaskedMultiOutputLGBMClassifier(LightGBMParamsMixin, MaskedMultiOutputBoostingClassifier):
    """LightGBM multi-output classification with per-row valid classes: one booster, one
    softmax per output (see :class:`MaskedMultiOutputBoostingClassifier` for the shared
    parameters and attributes, and :class:`boostobj.MaskedLGBMClassifier` for LightGBM's).

    Examples
    --------
    >>> import numpy as np
    >>> from boostobj import MaskedMultiOutputLGBMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = np.column_stack([(X[:, 0] > 0).astype(int), (X[:, 1] > 0).astype(int) + (X[:, 2] > 1)])
    >>> clf = MaskedMultiOutputLGBMClassifier(n_estimators=5, min_child_samples=5).fit(X, y)
    >>> [p.shape for p in clf.predict_proba(X)]
    [(200, 2), (200, 3)]
    """

    def __init__(
        self,
        *,
        hessian: str = "auto",
        class_weight: Any = None,
        classes: Any = None,
        mask_from: Any = None,
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
        self.class_weight = class_weight
        self.classes = classes
        self.mask_from = mask_from
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
