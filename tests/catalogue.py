"""The bad-input catalogue: each row an input, the call that receives it, and the exact
exception and message it raises. ``tests/test_catalogue.py`` runs every row and checks
that the table in ``docs/reliability.md`` is this catalogue, rendered by :func:`render`.

Regenerate that table after editing a row: ``python -m tests.catalogue`` (prints it).
Rows use a small context (``Ctx``): 60 rows, K = 4, a ragged mask; file names are relative
(the test runs in a temporary directory), so messages are the same everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

N, K = 60, 4
PATTERNS = [[0, 1], [1, 2, 3], [0, 3]]
ROWS = [PATTERNS[i % 3] for i in range(N)]
Y = np.array([[0, 2, 3][i % 3] for i in range(N)])  # valid in its own row
Y_BAD = Y.copy()
Y_BAD[4] = 0  # row 4 allows [1, 2, 3]
XGB = {"num_class": K, "nthread": 1, "verbosity": 0, "disable_default_eval_metric": 1}
LGB = {"num_class": K, "num_threads": 1, "verbose": -1, "min_data_in_leaf": 5}


class Ctx:
    """Inputs shared by the rows, built on first use."""

    @cached_property
    def X(self) -> np.ndarray:
        return np.random.default_rng(0).standard_normal((N, 3))

    @cached_property
    def raw(self) -> np.ndarray:
        return np.random.default_rng(1).standard_normal((N, K))

    @cached_property
    def mask(self) -> Any:
        import boostobj as bo

        return bo.ClassMask.from_lists(ROWS, K)

    def raw_with(self, row: int, col: int, value: float, dtype: Any = np.float64) -> np.ndarray:
        raw = self.raw.astype(dtype)
        raw[row, col] = value
        return raw

    @cached_property
    def xgb_booster(self) -> Any:
        import xgboost as xgb

        import boostobj as bo

        return xgb.train(XGB, bo.xgboost_dmatrix(self.X, Y, mask=self.mask), 1, obj=bo.xgboost_objective())

    @cached_property
    def lgb_booster(self) -> Any:
        import lightgbm as lgb

        import boostobj as bo

        params = {**LGB, "objective": bo.lightgbm_objective()}
        return lgb.train(params, bo.lightgbm_dataset(self.X, Y, mask=self.mask), 1)

    def fit(self, fit_kwargs: dict | None = None, **params: Any) -> Any:
        from boostobj import MaskedXGBClassifier

        kwargs = {"valid_mask": self.mask} if fit_kwargs is None else fit_kwargs
        params = {"n_estimators": 2, "classes": [0, 1, 2, 3], **params}  # Y never takes class 1
        return MaskedXGBClassifier(**params).fit(self.X, Y, **kwargs)


@dataclass(frozen=True)
class Row:
    """One catalogue entry: ``call(ctx)`` must raise ``error`` with exactly ``message``."""

    area: str
    input: str
    where: str
    call: Callable[[Ctx], Any]
    error: str
    message: str
    #: False for a backend's own message (timestamps, stack traces): ``message`` is an excerpt.
    exact: bool = True


def _xgb_objective_call(ctx: Ctx, predt: np.ndarray, **objective_kwargs: Any) -> Any:
    import boostobj as bo

    return bo.xgboost_objective(**objective_kwargs)(predt, bo.xgboost_dmatrix(ctx.X, Y, mask=ctx.mask))


def _xgb_train(ctx: Ctx, params: dict, dtrain: Any, obj: Any) -> Any:
    import xgboost as xgb

    return xgb.train(params, dtrain, 1, obj=obj)


def _lgb_train(ctx: Ctx, params: dict, dtrain: Any) -> Any:
    import lightgbm as lgb

    return lgb.train(params, dtrain, 1)


def _ce_row(f, classes, y):
    return np.log(np.sum(np.exp(f))) - f[y]


def _ce_class_indexed(f, classes, y):
    return np.log(np.sum(np.exp(f))) - f[classes[y]]


def _njit_loss(c: Ctx) -> Any:
    import numba

    return _bo().make_loss(numba.njit(_ce_class_indexed)).gradient_hessian(Y, c.raw, mask=c.mask)


def _three_values(f, classes, y):
    return np.zeros(3)


def _bo():
    import boostobj

    return boostobj


def _pd():
    import pandas

    return pandas


def _calibrated(ctx: Ctx, **fit_kwargs: Any) -> Any:
    from boostobj.calibration import MaskedCalibratedClassifier

    return MaskedCalibratedClassifier(ctx.fit()).fit(ctx.X, Y, valid_mask=ctx.mask, **fit_kwargs)


def _xgb():
    import xgboost

    return xgboost


def _lgb():
    import lightgbm

    return lightgbm


def _save_plain_xgboost(ctx: Ctx) -> Any:
    ctx.xgb_booster.save_model("plain.json")
    return _bo().load_model("plain.json")


def _set(ctx: Ctx, value: Any) -> np.ndarray:
    w = np.ones(N)
    w[7] = value
    return w


def _y(value: Any) -> np.ndarray:
    y = Y.astype(float)
    y[3] = value
    return y


def _frame(c: Ctx) -> Any:
    import pandas as pd

    return pd.DataFrame(c.mask.to_dense())


def _fit_frames(c: Ctx) -> Any:
    import pandas as pd

    shuffled = _frame(c).sample(frac=1.0, random_state=0)
    return _bo().MaskedXGBClassifier(n_estimators=2).fit(pd.DataFrame(c.X), Y, valid_mask=shuffled)


def _shuffled_frame(c: Ctx) -> Any:
    return _frame(c).sample(frac=1.0, random_state=0)


def _predict_frames(c: Ctx) -> Any:
    return _bo().predict_proba(c.xgb_booster, _pd().DataFrame(c.X), mask=_shuffled_frame(c))


def _dmatrix_frames(c: Ctx) -> Any:
    return _bo().xgboost_dmatrix(_pd().DataFrame(c.X), Y, mask=_shuffled_frame(c))


def _dataset_series(c: Ctx) -> Any:
    lists = _pd().Series([list(np.flatnonzero(row)) for row in c.mask.to_dense()])
    return _bo().lightgbm_dataset(
        _pd().DataFrame(c.X).iloc[::-1], Y[::-1], mask=lists, init_score=np.zeros(K)
    )


def _cut_choice_set(c: Ctx) -> Any:
    loss = _bo().ChoiceLoss()
    X = np.arange(8.0).reshape(4, 2)
    whole = _bo().lightgbm_dataset(X, [1, 0, 1, 0], group=[2, 2], loss=loss, params={"verbose": -1})
    fold = whole.construct().subset([0, 1, 2]).construct()
    return _bo().lightgbm_objective(loss)(np.zeros(3), fold)


def _train_replaced_base_margin(c: Ctx) -> Any:
    dtrain = _bo().xgboost_dmatrix(c.X, Y, mask=c.mask)
    dtrain.set_base_margin(-c.mask.margin_offset())  # the offset on the wrong classes
    return _xgb_train(c, XGB, dtrain, _bo().xgboost_objective())


def _continue_builtin_lightgbm(c: Ctx) -> Any:
    import lightgbm as lgb

    params = {**LGB, "objective": "multiclass", "metric": "None"}
    dtrain = _bo().lightgbm_dataset(c.X, Y, mask=c.mask, free_raw_data=False)
    first = lgb.train(params, dtrain, 1)
    valid = _bo().lightgbm_dataset(c.X, Y, mask=c.mask, reference=dtrain, free_raw_data=False)
    return lgb.train(
        params,
        dtrain,
        1,
        init_model=first,
        valid_sets=[valid],
        feval=_bo().lightgbm_metric(output_margin=False),
    )


def _crafted_xgboost(ctx: Ctx) -> Any:
    """A boostobj XGBoost file whose first split names feature 10**6 (XGBoost segfaults
    predicting from it)."""
    _bo().save_model(ctx.xgb_booster, "crafted.json")
    with open("crafted.json") as f:
        model = json.load(f)
    model["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"][0] = 10**6
    with open("crafted.json", "w") as f:
        json.dump(model, f)
    return _bo().load_model("crafted.json")


def _crafted_lightgbm(ctx: Ctx) -> Any:
    """A boostobj LightGBM file whose num_tree_per_iteration is 0 (LightGBM divides by it)."""
    _bo().save_model(ctx.lgb_booster, "crafted.txt")
    with open("crafted.txt") as f:
        text = f.read()
    with open("crafted.txt", "w") as f:
        f.write(text.replace("num_tree_per_iteration=4", "num_tree_per_iteration=0", 1))
    return _bo().load_model("crafted.txt")


def _crafted_lightgbm_split(ctx: Ctx) -> Any:
    """A boostobj LightGBM file whose first split names feature 9 of 3 (LightGBM segfaults
    predicting from it); one digit for another keeps the tree's size in tree_sizes right."""
    _bo().save_model(ctx.lgb_booster, "crafted.txt")
    with open("crafted.txt") as f:
        text = f.read()
    with open("crafted.txt", "w") as f:
        f.write(re.sub(r"(\nsplit_feature=)[0-9]", r"\g<1>9", text, count=1))
    return _bo().load_model("crafted.txt")


def _tampered_config(ctx: Ctx, key: str, value: Any) -> Any:
    """A boostobj LightGBM booster file whose configuration has ``key`` set to ``value``."""
    _bo().save_model(ctx.lgb_booster, "tampered.txt", init_score=np.zeros(K))
    with open("tampered.txt") as f:
        text = f.read()
    line = re.search(r"\nboostobj_config:(.*)\n", text)
    config = json.loads(line[1])
    config[key] = value
    with open("tampered.txt", "w") as f:
        f.write(text.replace(line[1], json.dumps(config), 1))
    return _bo().load_model("tampered.txt")


def _not_a_model(ctx: Ctx) -> Any:
    with open("notes.json", "w") as f:
        f.write("hello")
    return _bo().load_model("notes.json")


def _under_a_file(ctx: Ctx) -> Any:
    with open("file.txt", "w") as f:
        f.write("a file, not a folder")
    return _bo().save_model(ctx.xgb_booster, "file.txt/model.json")


CATALOGUE: list[Row] = [
    # ------------------------------------------------------------------ masks
    Row(
        "mask",
        "class index >= K",
        "ClassMask.from_lists",
        lambda c: _bo().ClassMask.from_lists([[0], [1, 5]], K),
        "ValueError",
        "mask: class index 5 in row 1 is out of range; expected 0 <= index < n_classes=4",
    ),
    Row(
        "mask",
        "a row with no valid class",
        "ClassMask.from_lists",
        lambda c: _bo().ClassMask.from_lists([[0], [], [1]], K),
        "ValueError",
        "mask: row 1 has no valid class; every row needs at least one",
    ),
    Row(
        "mask",
        "dense mask with a 2",
        "ClassMask.from_dense",
        lambda c: _bo().ClassMask.from_dense(np.array([[1, 0], [2, 1]])),
        "ValueError",
        "mask: a dense mask must be boolean or 0/1; got 2 at row 1, class 0; for per-row class indices use ClassMask.from_lists(array, n_classes)",
    ),
    Row(
        "mask",
        "float class indices",
        "ClassMask.from_lists",
        lambda c: _bo().ClassMask.from_lists([[0.0, 1.0]], K),
        "TypeError",
        "mask: class indices must be integers, got dtype float64 (e.g. [0.0, 1.0])",
    ),
    Row(
        "mask",
        "dense 0/1 integers (dense.astype(int))",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=c.mask.to_dense().astype(int)),
        "ValueError",
        "mask: integer rows of 0s and 1s read two ways and give no K; pass booleans (e.g. mask.astype(bool)) for a dense mask, or ClassMask.from_lists(mask, n_classes) for per-row class indices",
    ),
    Row(
        "mask",
        "booleans mixed with integers",
        "ClassMask.coerce",
        lambda c: _bo().ClassMask.coerce([[True, False], [0, 1]], 2),
        "TypeError",
        "mask: mixes booleans with numbers; booleans make a dense mask and integers list classes, so use one kind",
    ),
    Row(
        "mask",
        "a missing value in a row",
        "ClassMask.coerce",
        lambda c: _bo().ClassMask.coerce([[0], [1, None]], K),
        "ValueError",
        "mask: row 1 has a missing value (None); a mask cannot have gaps",
    ),
    Row(
        "mask",
        "1-D data from mask_from",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({}, mask_from=lambda X: np.ones(len(X), dtype=bool)),
        "ValueError",
        "mask_from(X): expected one row per sample (a 2-D (n_rows, n_classes) boolean mask, or per-row lists of classes); got 1-D data of shape (60,)",
    ),
    Row(
        "mask",
        "DataFrame columns that are not the classes",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"valid_mask": _frame(c).rename(columns={3: "x"})}),
        "ValueError",
        "valid_mask: a DataFrame mask has one column per class, matched by column label; missing class columns [3], unknown columns ['x'] (the classes are [0, 1, 2, 3]); rename the columns, or pass frame.to_numpy(dtype=bool) to take them in order",
    ),
    Row(
        "mask",
        "a pandas mask indexed unlike X",
        "MaskedXGBClassifier.fit",
        _fit_frames,
        "ValueError",
        "valid_mask: its index differs from X's; masks are matched to rows by position, so align them first (e.g. mask.loc[X.index]) or pass plain arrays",
    ),
    Row(
        "mask",
        "a pandas mask indexed unlike the features",
        "predict_proba",
        _predict_frames,
        "ValueError",
        "mask: its index differs from X's; masks are matched to rows by position, so align them first (e.g. mask.loc[X.index]) or pass plain arrays",
    ),
    Row(
        "mask",
        "a pandas mask indexed unlike X",
        "xgboost_dmatrix",
        _dmatrix_frames,
        "ValueError",
        "mask: its index differs from X's; masks are matched to rows by position, so align them first (e.g. mask.loc[X.index]) or pass plain arrays",
    ),
    Row(
        "mask",
        "a Series of per-row lists indexed unlike X",
        "lightgbm_dataset",
        _dataset_series,
        "ValueError",
        "mask: its index differs from X's; masks are matched to rows by position, so align them first (e.g. mask.loc[X.index]) or pass plain arrays",
    ),
    Row(
        "mask",
        "predicting without a mask after a masked fit",
        "MaskedXGBClassifier.predict_proba",
        lambda c: c.fit().predict_proba(c.X),
        "ValueError",
        "valid_mask: this model was fitted with per-row masks, so predict_proba needs one too: pass valid_mask=..., or valid_mask='all' for every class. Through scikit-learn's metadata routing, request it for this method (est.set_predict_proba_request(valid_mask=True), e.g. in a Pipeline); scorers and cross_val_predict route no metadata to prediction: score with scoring=None (est.score, routed by set_score_request) or derive the masks from X with mask_from=",
    ),
    Row(
        "mask",
        "base_margin replaced after xgboost_dmatrix",
        "xgboost.train(obj=xgboost_objective())",
        _train_replaced_base_margin,
        "ValueError",
        "base_margin: the data set no longer carries the mask and intercept it was built with (class 2 of row 0 was invalid in the mask but the margin there is 1e+30); was its base_margin replaced? Build a new one with xgboost_dmatrix(..., mask=..., init_score=...)",
    ),
    Row(
        "mask",
        "LightGBM init_model continuation under the built-in objective",
        "lightgbm_metric(output_margin=False)",
        _continue_builtin_lightgbm,
        "ValueError",
        "init_score: LightGBM replaced the data set's init_score, which carried the mask and intercept (init_model continuation does this); with a built-in objective the probabilities cannot be mended: continue training with boostobj's objective (lightgbm_objective()), which restores them exactly",
    ),
    Row(
        "mask",
        "per-row lists without K",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=ROWS),
        "ValueError",
        "mask: per-row lists of class indices need n_classes; pass ClassMask.from_lists(lists, n_classes) or a dense boolean array",
    ),
    Row(
        "mask",
        "mask rows != data rows",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=c.mask.take(slice(10, None))),
        "ValueError",
        "mask: has 50 rows but X has 60; they must match",
    ),
    Row(
        "mask",
        "bound mask K != num_class",
        "xgboost_objective",
        lambda c: _xgb_train(
            c, {**XGB, "num_class": K + 1}, _xgb().DMatrix(c.X, label=Y), _bo().xgboost_objective(mask=c.mask)
        ),
        "ValueError",
        "mask: has 4 classes but raw_prediction has 5 columns (num_class); they must match",
    ),
    Row(
        "mask",
        "masked DMatrix, num_class != K",
        "xgboost.train",
        lambda c: _xgb_train(
            c,
            {**XGB, "num_class": K + 1},
            _bo().xgboost_dmatrix(c.X, Y, mask=c.mask),
            _bo().xgboost_objective(),
        ),
        "XGBoostError",
        "Check failed: p_fmat->Info().base_margin_.Shape(1) == this->mparam_.OutputLength() (4 vs. 5)",
        exact=False,
    ),
    Row(
        "mask",
        "masked Dataset, num_class != K",
        "lightgbm.train",
        lambda c: _lgb_train(
            c,
            {**LGB, "num_class": K + 1, "objective": _bo().lightgbm_objective()},
            _bo().lightgbm_dataset(c.X, Y, mask=c.mask),
        ),
        "LightGBMError",
        "Number of class for initial score error",
    ),
    Row(
        "mask",
        "per-row lists bound to an objective",
        "xgboost_objective",
        lambda c: _bo().xgboost_objective(mask=[[0], [1, 2]]),
        "ValueError",
        "mask: per-row lists of class indices need n_classes; pass ClassMask.from_lists(lists, n_classes) or a dense boolean array",
    ),
    Row(
        "mask",
        "every margin of a row <= -1e29",
        "SoftmaxLoss.predict_proba",
        lambda c: _bo().SoftmaxLoss().predict_proba(np.vstack([c.raw[:2], np.full((1, K), -1e30)])),
        "ValueError",
        "raw_prediction: row 2 has no valid class (every margin <= -1e+29); every row needs at least one",
    ),
    Row(
        "mask",
        "mask with more classes than the booster",
        "predict_proba",
        lambda c: _bo().predict_proba(c.xgb_booster, c.X, mask=_bo().ClassMask.full(N, K + 1)),
        "ValueError",
        "mask: has 5 classes but the booster predicts 4; they must match",
    ),
    # ------------------------------------------------------------------ labels
    Row(
        "labels",
        "label invalid in its row",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y_BAD, mask=c.mask),
        "ValueError",
        "y: the label 0 of row 4 is not one of its valid classes [1, 2, 3]",
    ),
    Row(
        "labels",
        "label invalid in its row, during training",
        "lightgbm_objective",
        lambda c: _lgb_train(
            c,
            {**LGB, "objective": _bo().lightgbm_objective()},
            _lgb().Dataset(c.X, Y_BAD, init_score=c.mask.margin_offset(np.float64, "F")),
        ),
        "ValueError",
        "y_true: the label 0 of row 4 is not one of its valid classes [1, 2, 3]",
    ),
    Row(
        "labels",
        "label >= K",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(_y(K), c.raw),
        "ValueError",
        "y_true: label 4 in row 3 is out of range; expected integer class indices 0..3",
    ),
    Row(
        "labels",
        "label 1.5",
        "lightgbm_dataset",
        lambda c: _bo().lightgbm_dataset(c.X, _y(1.5), mask=c.mask),
        "ValueError",
        "y: expected integer class indices 0..3; row 3 has 1.5",
    ),
    Row(
        "labels",
        "NaN label",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _bo().SoftmaxLoss().gradient_hessian(_y(np.nan), c.raw),
        "ValueError",
        "y_true: expected integer class indices 0..3; row 3 has nan",
    ),
    Row(
        "labels",
        "string labels",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(np.array(["a"] * N), c.raw),
        "TypeError",
        "y_true: expected integer class indices 0..3, got dtype <U1",
    ),
    Row(
        "labels",
        "labels of the wrong length",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(Y[:-1], c.raw),
        "ValueError",
        "y_true: expected shape (60,) to match the margins; got (59,)",
    ),
    Row(
        "labels",
        "binary label 2",
        "BinaryLogLoss.loss",
        lambda c: _bo().BinaryLogLoss().loss([0, 1, 2], np.zeros(3)),
        "ValueError",
        "y_true: label 2 in row 2 is out of range; expected integer class indices 0..1",
    ),
    Row(
        "labels",
        "label outside classes=",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({}, classes=[0, 1, 2]),
        "ValueError",
        "y: labels [3] are not in classes=[0, 1, 2]",
    ),
    Row(
        "labels",
        "classes= out of sorted order",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({}, classes=[3, 2, 1, 0]),
        "ValueError",
        "classes: expected the labels in sorted order (they become classes_, the columns of predict_proba, which scikit-learn's scorers read in sorted label order); got [3, 2, 1, 0]; pass them sorted, with a dense mask's columns in that order",
    ),
    Row(
        "labels",
        "string labels with a None",
        "MaskedXGBClassifier.fit",
        lambda c: (
            _bo().MaskedXGBClassifier(n_estimators=2).fit(c.X, np.array(["a", "b", None] * 20, dtype=object))
        ),
        "ValueError",
        "y: row 2 has a missing label (None); every row needs a class label",
    ),
    Row(
        "labels",
        "valid_mask names an unknown class",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"valid_mask": [[0, 7]] * N}),
        "ValueError",
        "valid_mask: unknown class 7 in row 0; the classes are [0, 1, 2, 3]",
    ),
    # ------------------------------------------------------------------ weights
    Row(
        "weights",
        "a weight finite in float64 but not in float32",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, weight=_set(c, 1e39)),
        "ValueError",
        "weight: row 7 has 1e+39; in float32 (the precision the backend reads weights in) the gradients overflow for weights above 2.12676e+37; scale the weights down",
    ),
    Row(
        "weights",
        "sample_weight=[]",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"valid_mask": c.mask, "sample_weight": []}),
        "ValueError",
        "sample_weight: expected shape (60,); got (0,)",
    ),
    Row(
        "weights",
        "negative weight",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=c.mask, weight=_set(c, -1.0)),
        "ValueError",
        "weight: weights must be finite and >= 0; row 7 has -1.0",
    ),
    Row(
        "weights",
        "NaN weight",
        "lightgbm_dataset",
        lambda c: _bo().lightgbm_dataset(c.X, Y, mask=c.mask, weight=_set(c, np.nan)),
        "ValueError",
        "weight: weights must be finite and >= 0; row 7 has nan",
    ),
    Row(
        "weights",
        "infinite weight",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _bo().SoftmaxLoss().gradient_hessian(Y, c.raw, sample_weight=_set(c, np.inf)),
        "ValueError",
        "sample_weight: weights must be finite and >= 0; row 7 has inf",
    ),
    Row(
        "weights",
        "weights summing to 0",
        "masked_log_loss",
        lambda c: _bo().masked_log_loss(Y, c.raw, sample_weight=np.zeros(N)),
        "ValueError",
        "sample_weight: the weights sum to zero; the weighted mean is undefined",
    ),
    Row(
        "weights",
        "weights of the wrong length",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(Y, c.raw, sample_weight=np.ones(N + 1)),
        "ValueError",
        "sample_weight: expected shape (60,); got (61,)",
    ),
    Row(
        "weights",
        "class_weight with a negative entry",
        "SoftmaxLoss",
        lambda c: _bo().SoftmaxLoss(class_weight=[1.0, -2.0, 1.0, 1.0]),
        "ValueError",
        "class_weight: weights must be a 1-D set of finite numbers >= 0; got [1.0, -2.0, 1.0, 1.0]",
    ),
    Row(
        "weights",
        "calibration weights summing to 0",
        "MaskedCalibratedClassifier.fit",
        lambda c: _calibrated(c, sample_weight=np.zeros(N)),
        "ValueError",
        "sample_weight: the weights sum to zero; the calibration's log-loss is undefined",
    ),
    # ------------------------------------------------------------------ margins
    Row(
        "margins",
        "explain with an intercept of the wrong length",
        "explain",
        lambda c: _bo().explain(c.xgb_booster, c.X, mask=c.mask, init_score=np.zeros(3)),
        "ValueError",
        "init_score: expected 4 values (one per margin of the booster); got 3",
    ),
    Row(
        "margins",
        "NaN margin on a valid class",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _bo().SoftmaxLoss().gradient_hessian(Y, c.raw_with(8, 3, np.nan), mask=c.mask),
        "ValueError",
        "raw_prediction: row 8 has a NaN or infinite margin; margins must be finite on valid classes (with no mask, a margin <= -1e+29, such as the -1e+30 offset or -inf, marks an invalid class; NaN never does)",
    ),
    Row(
        "margins",
        "+inf margin",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(Y, c.raw_with(8, 0, np.inf)),
        "ValueError",
        "raw_prediction: row 8 has a NaN or infinite margin; margins must be finite on valid classes (with no mask, a margin <= -1e+29, such as the -1e+30 offset or -inf, marks an invalid class; NaN never does)",
    ),
    Row(
        "margins",
        "NaN in XGBoost's predt",
        "xgboost_objective",
        lambda c: _xgb_objective_call(c, c.raw_with(8, 1, np.nan, np.float32) + c.mask.margin_offset()),
        "ValueError",
        "raw_prediction: row 8 has a NaN or infinite margin; margins must be finite on valid classes (with no mask, a margin <= -1e+29, such as the -1e+30 offset or -inf, marks an invalid class; NaN never does)",
    ),
    Row(
        "margins",
        "an intercept that cancels the -1e30 offset",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=c.mask, init_score=[9.5e29, 0.0, 0.0, 0.0]),
        "ValueError",
        "init_score: expected finite values with |value| <= 1000 (larger ones lose the trees' updates in float32, or reach the -1e30 offset that marks invalid classes); class 0 has 9.5e+29",
    ),
    Row(
        "margins",
        "NaN in the intercept",
        "lightgbm_dataset",
        lambda c: _bo().lightgbm_dataset(c.X, Y, mask=c.mask, init_score=[0.0, np.nan, 0.0, 0.0]),
        "ValueError",
        "init_score: expected finite values with |value| <= 1000 (larger ones lose the trees' updates in float32, or reach the -1e30 offset that marks invalid classes); class 1 has nan",
    ),
    Row(
        "margins",
        "intercept of the wrong length",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=c.mask, init_score=np.zeros(K + 1)),
        "ValueError",
        "init_score: expected 4 values (one per class of the mask); got 5",
    ),
    Row(
        "margins",
        "base_margin besides mask",
        "xgboost_dmatrix",
        lambda c: _bo().xgboost_dmatrix(c.X, Y, mask=c.mask, base_margin=np.zeros((N, K))),
        "TypeError",
        "base_margin: set by xgboost_dmatrix from mask and init_score; pass those instead",
    ),
    # ------------------------------------------------------------------ shapes
    Row(
        "shapes",
        "a mask given to explain with a one-margin booster",
        "explain",
        lambda c: _bo().explain(
            _bo().MaskedXGBClassifier(n_estimators=2).fit(c.X, (Y > 0).astype(int)).booster_,
            c.X,
            mask=np.ones((N, 2), bool),
        ),
        "ValueError",
        "mask: a one-margin (binary) booster has no per-row classes to mask (boostobj.predict_proba takes no mask for it either); explain it without mask=, or explain the MaskedXGBClassifier / MaskedLGBMClassifier with valid_mask=",
    ),
    Row(
        "shapes",
        "flat margins to a multiclass loss",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(Y, c.raw.ravel()),
        "ValueError",
        "raw_prediction: expected a 2-D array (n_samples, n_classes); got shape (240,); reshape flat backend output with raw.reshape(n_samples, n_classes)",
    ),
    Row(
        "shapes",
        "no num_class in the XGBoost parameters",
        "xgboost_objective",
        lambda c: _xgb_train(
            c,
            {k: v for k, v in XGB.items() if k != "num_class"},
            _xgb().DMatrix(c.X, label=Y),
            _bo().xgboost_objective(),
        ),
        "ValueError",
        "predt: a multiclass loss (SoftmaxLoss) needs margins of shape (n_samples, n_classes); got shape (60,). Set num_class=K in the xgboost parameters",
    ),
    Row(
        "shapes",
        "num_class with a binary loss",
        "xgboost_objective",
        lambda c: _bo().xgboost_objective(_bo().BinaryLogLoss())(
            np.array([0, 1]), np.zeros((2, 3), np.float32)
        ),
        "ValueError",
        "predt: a binary loss (BinaryLogLoss) needs one margin per row; got shape (2, 3). Remove num_class from the xgboost parameters",
    ),
    Row(
        "shapes",
        "one margin column to a softmax",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss([0, 0, 0], np.zeros((3, 1))),
        "ValueError",
        "raw_prediction: a multiclass loss needs at least 2 classes; got shape (3, 1)",
    ),
    Row(
        "shapes",
        "a mask given to a binary loss",
        "BinaryLogLoss.loss",
        lambda c: _bo().BinaryLogLoss().loss([0, 1], np.zeros(2), mask=[[0], [1]]),
        "ValueError",
        "mask: a binary loss has one margin per row and no per-row classes; for per-row valid classes use a multiclass loss (e.g. SoftmaxLoss) with two classes",
    ),
    Row(
        "shapes",
        "valid_mask with fewer classes than the estimator",
        "MaskedXGBClassifier.predict_proba",
        lambda c: c.fit().predict_proba(c.X, valid_mask=np.ones((N, K - 1), bool)),
        "ValueError",
        "valid_mask: expected 4 classes (classes [0, 1, 2, 3]), got a mask of 3",
    ),
    # ------------------------------------------------------------------ dtypes
    Row(
        "dtypes",
        "string margins",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss([0, 1], np.full((2, 2), "a")),
        "TypeError",
        "raw_prediction: expected real numbers, got dtype <U1",
    ),
    Row(
        "dtypes",
        "complex margins",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss([0, 1], np.zeros((2, 2), complex)),
        "TypeError",
        "raw_prediction: expected real numbers, got dtype complex128",
    ),
    Row(
        "dtypes",
        "string weights",
        "SoftmaxLoss.loss",
        lambda c: _bo().SoftmaxLoss().loss(Y, c.raw, sample_weight=np.full(N, "a")),
        "TypeError",
        "sample_weight: expected real numbers, got dtype <U1",
    ),
    Row(
        "dtypes",
        "int64 gradient_out",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _bo().SoftmaxLoss().gradient_hessian(Y, c.raw, gradient_out=np.zeros((N, K), np.int64)),
        "TypeError",
        "gradient_out: expected float32 or float64; got int64",
    ),
    Row(
        "dtypes",
        "big-endian gradient_out (margins in either byte order are read as they are)",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _bo().SoftmaxLoss().gradient_hessian(Y, c.raw, gradient_out=np.zeros((N, K), ">f8")),
        "TypeError",
        "gradient_out: expected float32 or float64 in this machine's byte order; got >f8 (write into a new array, then convert it)",
    ),
    Row(
        "dtypes",
        "float16 offset",
        "ClassMask.margin_offset",
        lambda c: c.mask.margin_offset(dtype=np.float16),
        "TypeError",
        "dtype: expected float32 or float64 (to hold -1e30); got float16",
    ),
    # ------------------------------------------------------------------ layouts
    Row(
        "layouts",
        "non-contiguous gradient_out",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _bo().SoftmaxLoss().gradient_hessian(Y, c.raw, gradient_out=np.zeros((N, 2 * K))[:, ::2]),
        "ValueError",
        "gradient_out: must be a writeable C- or F-contiguous array",
    ),
    Row(
        "layouts",
        "one array as gradient_out and hessian_out",
        "SoftmaxLoss.gradient_hessian",
        lambda c: _same_buffer(c),
        "ValueError",
        "gradient_out, hessian_out: must be distinct arrays; they share memory",
    ),
    Row(
        "layouts",
        "a lightgbm.Dataset to predict from",
        "predict_proba",
        lambda c: _bo().predict_proba(c.lgb_booster, _lgb().Dataset(c.X)),
        "TypeError",
        "data: LightGBM predicts from features (array, DataFrame), not from a Dataset",
    ),
    Row(
        "layouts",
        "a DMatrix and init_score",
        "predict_proba",
        lambda c: _bo().predict_proba(
            c.xgb_booster, _bo().xgboost_dmatrix(c.X, mask=c.mask), init_score=np.zeros(K)
        ),
        "ValueError",
        "init_score: a DMatrix carries its own base_margin; pass raw features, or build the DMatrix with xgboost_dmatrix(..., init_score=...)",
    ),
    Row(
        "layouts",
        "an XGBClassifier instead of a booster",
        "predict_proba",
        lambda c: _bo().predict_proba(_xgb().XGBClassifier(), c.X),
        "TypeError",
        "booster: expected an xgboost.Booster or a lightgbm.Booster, got XGBClassifier (for an XGBClassifier/LGBMClassifier pass model.get_booster() / model.booster_)",
    ),
    # ------------------------------------------------------------------ eval sets
    Row(
        "eval sets",
        "eval_set without masks when training is masked",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"valid_mask": c.mask, "eval_set": [(c.X, Y)]}),
        "ValueError",
        "eval_valid_mask: training uses valid_mask, so each eval set needs its own mask too (pass eval_valid_mask=[...], or use mask_from to derive masks from X)",
    ),
    Row(
        "eval sets",
        "one mask for two eval sets",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"eval_set": [(c.X, Y), (c.X, Y)], "eval_valid_mask": [c.mask]}),
        "ValueError",
        "eval_valid_mask: expected one mask per eval set (2); got 1",
    ),
    Row(
        "eval sets",
        "eval_valid_mask without eval_set",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"eval_valid_mask": [c.mask]}),
        "ValueError",
        "eval_valid_mask: given without eval_set",
    ),
    Row(
        "eval sets",
        "eval label invalid in its row",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit({"valid_mask": c.mask, "eval_set": [(c.X, Y_BAD)], "eval_valid_mask": [c.mask]}),
        "ValueError",
        "eval_set[0] y: the label 0 of row 4 is not one of its valid classes [1, 2, 3]",
    ),
    Row(
        "eval sets",
        "early stopping without eval_set",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(early_stopping_rounds=3),
        "ValueError",
        "early_stopping_rounds: needs an eval_set in fit to stop on",
    ),
    Row(
        "eval sets",
        "margin metric fed probabilities",
        "xgboost_metric",
        lambda c: _bo().xgboost_metric()(
            _bo().masked_softmax(c.raw + c.mask.margin_offset(np.float64)).astype(np.float32),
            _bo().xgboost_dmatrix(c.X, Y, mask=c.mask),
        ),
        "ValueError",
        "predt: expected margins, but the data set marks classes invalid (-1e30 in its start margins) and these predictions do not: with a built-in objective xgboost passes probabilities; use output_margin=False",
    ),
    Row(
        "eval sets",
        "unknown metric",
        "xgboost_metric",
        lambda c: _bo().xgboost_metric("auc"),
        "ValueError",
        "metric: expected one of ['mlogloss', 'merror', 'logloss', 'error'] or a boostobj Loss; got 'auc'",
    ),
    # ------------------------------------------------------------------ estimator parameters
    Row(
        "estimator",
        "engine='gpu'",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(engine="gpu"),
        "ValueError",
        "engine: expected one of ['auto', 'native', 'numba']; got 'gpu'",
    ),
    Row(
        "estimator",
        "loss='hinge'",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(loss="hinge"),
        "ValueError",
        "loss: expected 'softmax' or a boostobj Loss; got 'hinge'",
    ),
    Row(
        "estimator",
        "n_estimators=0",
        "MaskedLGBMClassifier.fit",
        lambda c: _bo().MaskedLGBMClassifier(n_estimators=0).fit(c.X, Y),
        "ValueError",
        "n_estimators: expected an integer >= 1; got 0",
    ),
    Row(
        "estimator",
        "early_stopping_rounds=0",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(early_stopping_rounds=0),
        "ValueError",
        "early_stopping_rounds: expected None or an integer >= 1; got 0",
    ),
    Row(
        "estimator",
        "mask_from=3",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(mask_from=3),
        "TypeError",
        "mask_from: expected a callable X -> mask; got int",
    ),
    Row(
        "estimator",
        "class_weight=[1, 2]",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(class_weight=[1.0, 2.0]),
        "ValueError",
        "class_weight: expected None, 'balanced' or a dict {label: weight}; got [1.0, 2.0]",
    ),
    Row(
        "estimator",
        "a Loss and class_weight",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(loss=_bo().SoftmaxLoss(), class_weight="balanced"),
        "ValueError",
        "class_weight, hessian: set them on the loss object when loss is a Loss instance",
    ),
    Row(
        "estimator",
        "engine='native' with the exact Hessian",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(engine="native", hessian="exact"),
        "ValueError",
        "engine: 'native' trains the backend's built-in objective, which only matches SoftmaxLoss(hessian='exact') with the backend's own Hessian and no class or positive weights; use engine='numba' or 'auto'",
    ),
    Row(
        "estimator",
        "hessian='newton'",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(hessian="newton"),
        "ValueError",
        "hessian: expected one of ['auto', 'exact', 'xgboost', 'lightgbm']; got 'newton'",
    ),
    Row(
        "estimator",
        "a binary loss with a mask",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(loss=_bo().BinaryLogLoss()),
        "ValueError",
        "loss: a one-margin (binary) loss needs exactly 2 classes and no mask",
    ),
    Row(
        "estimator",
        "a state outside TransitionMask's table",
        "TransitionMask",
        lambda c: _bo().TransitionMask(0, np.ones((2, K), bool))(np.full((3, 2), 7.0)),
        "ValueError",
        "X: row 0 has state 7.0 in column 0; expected an integer 0 <= state < 2 (the rows of allowed)",
    ),
    Row(
        "estimator",
        "a pandas TransitionMask table whose index is not its states in order",
        "TransitionMask",
        lambda c: _bo().TransitionMask(0, _pd().DataFrame(np.ones((2, K), bool), index=[1, 0])),
        "ValueError",
        "allowed: its index ([1, 0]) is not the states 0..1 in order, and its rows are read by position; pass states=list(allowed.index) to name the states by the index, or reset_index(drop=True)",
    ),
    Row(
        "estimator",
        "export_model with TransitionMask states that are not integers",
        "export_model",
        lambda c: _bo().export_model(
            c.xgb_booster,
            "m.json",
            mask_rule=_bo().TransitionMask(0, np.ones((2, K), bool), states=["a", "b"]),
        ),
        "ValueError",
        "mask_rule: its states (['a', 'b']) are not all integers below 2**22 in magnitude; the mask trees split on numeric states, so code the states as such integers to export the mask (or export without it and add the offset at predict time)",
    ),
    Row(
        "estimator",
        "booster_params with an alias of the number of rounds",
        "MaskedLGBMClassifier.fit",
        lambda c: _bo().MaskedLGBMClassifier(booster_params={"num_iterations": 500}).fit(c.X, Y),
        "ValueError",
        "booster_params: 'num_iterations' is lightgbm's number of rounds, which the estimator sets itself; set n_estimators",
    ),
    Row(
        "estimator",
        "booster_params={'boosting': 'rf'}",
        "MaskedLGBMClassifier.fit",
        lambda c: _bo().MaskedLGBMClassifier(booster_params={"boosting": "rf"}).fit(c.X, Y),
        "ValueError",
        "booster_params: 'boosting' is lightgbm's boosting type, which the estimator sets itself; the masked estimators boost with 'gbdt' (LightGBM's random forest mode 'rf' averages trees and refuses custom objectives); for DART use lightgbm.train with lightgbm_objective()",
    ),
    Row(
        "estimator",
        "n_jobs=100000",
        "MaskedLGBMClassifier.fit",
        lambda c: _bo().MaskedLGBMClassifier(n_jobs=100_000).fit(c.X, Y),
        "ValueError",
        "n_jobs: expected None, -1 or 0 (the backend's default) or an integer 1..1024 (far larger thread counts crash LightGBM); got 100000",
    ),
    Row(
        "estimator",
        "n_jobs=-2",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(n_jobs=-2),
        "ValueError",
        "n_jobs: expected None, -1 or 0 (the backend's default) or an integer 1..1024 (joblib's -2, 'all cores but one', is not supported: the backends read any count <= 0 as their default); got -2",
    ),
    Row(
        "estimator",
        "n_jobs=2.0",
        "MaskedXGBClassifier.fit",
        lambda c: c.fit(n_jobs=2.0),
        "TypeError",
        "n_jobs: expected None, -1 or 0 (the backend's default) or an integer 1..1024; got 2.0",
    ),
    # ------------------------------------------------------------------ loss parameters
    Row(
        "loss",
        "hessian='foo'",
        "SoftmaxLoss",
        lambda c: _bo().SoftmaxLoss(hessian="foo"),
        "ValueError",
        "hessian: expected one of ['auto', 'exact', 'xgboost', 'lightgbm']; got 'foo'",
    ),
    Row(
        "loss",
        "gamma=-1",
        "FocalLoss",
        lambda c: _bo().FocalLoss(gamma=-1.0),
        "ValueError",
        "gamma: expected gamma >= 0; got -1.0",
    ),
    Row(
        "loss",
        "epsilon=1",
        "LabelSmoothingLoss",
        lambda c: _bo().LabelSmoothingLoss(epsilon=1.0),
        "ValueError",
        "epsilon: expected 0 <= epsilon < 1; got 1.0",
    ),
    Row(
        "loss",
        "soft targets not summing to 1",
        "LabelSmoothingLoss.gradient_hessian",
        lambda c: _bo().LabelSmoothingLoss().gradient_hessian(np.full((2, 3), 0.5), np.zeros((2, 3))),
        "ValueError",
        "y_true: each row of soft targets must sum to 1; row 0 sums to 1.5",
    ),
    Row(
        "loss",
        "pos_weight=0",
        "BinaryLogLoss",
        lambda c: _bo().BinaryLogLoss(pos_weight=0),
        "ValueError",
        "pos_weight: expected a number > 0; got 0",
    ),
    Row(
        "loss",
        "a string as loss",
        "lightgbm_objective",
        lambda c: _bo().lightgbm_objective("softmax"),
        "TypeError",
        "loss: expected a boostobj Loss (e.g. SoftmaxLoss()), got str",
    ),
    Row(
        "loss",
        "a make_loss gradient of the wrong length",
        "CustomLoss.gradient_hessian",
        lambda c: (
            _bo().make_loss(_ce_row, _three_values).gradient_hessian(np.zeros(2, dtype=int), np.zeros((2, 3)))
        ),
        "ValueError",
        "gradient: returned shape (3,) for a row with 2 valid classes; expected (2,), one value per valid class",
    ),
    Row(
        "loss",
        "a make_loss function compiled with numba.njit that indexes f with a class index",
        "CustomLoss.gradient_hessian",
        _njit_loss,
        "IndexError",
        "loss, gradient, hessian: an index out of range in a row function (index is out of bounds); `f` holds the row's valid classes only: index it with the position `y`, not with a class index",
    ),
    Row(
        "loss",
        "a make_loss loss that is infinite",
        "CustomLoss.gradient_hessian",
        lambda c: (
            _bo()
            .make_loss(lambda q: np.log(q - 0.5), of="label_probability")
            .gradient_hessian(np.zeros(2, dtype=int), np.zeros((2, 2)))
        ),
        "ValueError",
        "loss: returned -inf for row 0 (q = 0.5); values must be finite",
    ),
    Row(
        "loss",
        "a branch in a label-probability loss",
        "CustomLoss.gradient_hessian",
        lambda c: (
            _bo()
            .make_loss(lambda q: -np.log(q) if q > 0.5 else 1.0, of="label_probability")
            .gradient_hessian(np.zeros(2, dtype=int), np.zeros((2, 2)))
        ),
        "TypeError",
        "loss: a branch on the value ('if', comparisons, np.where) cannot be differentiated; "
        "write the loss as one expression",
    ),
    Row(
        "loss parameters",
        "grouped labels with the wrong number of groups",
        "GroupedSoftmaxLoss.gradient_hessian",
        lambda c: _bo().GroupedSoftmaxLoss([2, 2]).gradient_hessian(np.zeros((N, 3), int), c.raw),
        "ValueError",
        "y_true: expected labels of shape (n, 2), one per group (or the (n,) codes of encode_labels); got shape (60, 3)",
    ),
    Row(
        "loss parameters",
        "a choice set whose shares do not sum to 1",
        "ChoiceLoss.gradient_hessian",
        lambda c: _bo().ChoiceLoss().gradient_hessian(np.array([1, 1, 0]), np.zeros(3), group=[2, 1]),
        "ValueError",
        "y_true: group 0 (rows 0..1) has choice shares summing to 2; each group needs one chosen row (or shares summing to 1 within 1e-06)",
    ),
    Row(
        "loss parameters",
        "a qid whose groups are not contiguous",
        "ChoiceLoss.gradient_hessian",
        lambda c: _bo().ChoiceLoss().gradient_hessian(np.array([1, 1, 0]), np.zeros(3), qid=[0, 1, 0]),
        "ValueError",
        "qid: the rows of group 0 are not contiguous; sort the rows by group first",
    ),
    Row(
        "loss parameters",
        "a qid with a missing id (NaN, None, NaT)",
        "ChoiceLoss.gradient_hessian",
        lambda c: (
            _bo().ChoiceLoss().gradient_hessian(np.array([1, 1, 0]), np.zeros(3), qid=[0.0, np.nan, np.nan])
        ),
        "ValueError",
        "qid: expected a finite group id in every row; row 1 has nan",
    ),
    Row(
        "loss parameters",
        "a choice loss through XGBoost's scikit-learn API",
        "xgboost_objective(ChoiceLoss())",
        lambda c: _bo().xgboost_objective(_bo().ChoiceLoss())(np.zeros(3), np.zeros(3)),
        "ValueError",
        "group: this loss needs the data set's groups, which xgboost's scikit-learn API does not pass to an objective; train with xgboost.train on a data set with groups",
    ),
    Row(
        "loss parameters",
        "multi-label targets that are not 0/1",
        "MultiLabelLoss.gradient_hessian",
        lambda c: _bo().MultiLabelLoss().gradient_hessian(np.full((N, K), 2), c.raw),
        "ValueError",
        "y_true: expected 0/1 targets; row 0, class 0 has 2",
    ),
    Row(
        "loss parameters",
        "ignore_index that is not an integer",
        "SoftmaxLoss",
        lambda c: _bo().SoftmaxLoss(ignore_index=-1.0),
        "TypeError",
        "ignore_index: expected an integer or None; got -1.0",
    ),
    Row(
        "loss parameters",
        "a row with no valid class in one group, at prediction",
        "GroupedSoftmaxLoss.predict_proba",
        lambda c: (
            _bo()
            .GroupedSoftmaxLoss([3, 1])
            .predict_proba(np.zeros((2, 4)), mask=np.array([[1, 1, 0, 1], [1, 0, 0, 0]], bool))
        ),
        "ValueError",
        "mask: row 1 has no valid class in group 1 (column 3); predict_proba needs at least one in every group of every row (training accepts none only where the row's label of the group is ignore_index)",
    ),
    Row(
        "loss parameters",
        "a choice set without a chosen row (as a row fold cuts it)",
        "ChoiceLoss.gradient_hessian",
        lambda c: _bo().ChoiceLoss().gradient_hessian(np.array([1, 0, 0]), np.zeros(3), group=[1, 2]),
        "ValueError",
        "y_true: group 1 (rows 1..2) has choice shares summing to 0; each group needs one chosen row (or shares summing to 1 within 1e-06); a group cut apart can lack its chosen row (lightgbm.cv's default folds split rows): pass lightgbm.cv folds that split by group, e.g. folds=sklearn.model_selection.GroupKFold(nfold) (lightgbm.cv hands a splitter the Dataset's groups)",
    ),
    Row(
        "loss parameters",
        "a LightGBM subset (lightgbm.cv's row folds) that cuts a choice set",
        "lightgbm_objective(ChoiceLoss())",
        _cut_choice_set,
        "ValueError",
        "folds: this LightGBM Dataset is a subset (Dataset.subset, as lightgbm.cv builds each fold) that keeps 1 of the 2 rows of group 1 (rows 2..3 of the Dataset it was cut from); a choice loss needs each group whole (each row once) or absent, and lightgbm.cv's default folds split rows: pass lightgbm.cv folds that split by group, e.g. folds=sklearn.model_selection.GroupKFold(nfold) (lightgbm.cv hands a splitter the Dataset's groups)",
    ),
    Row(
        "shapes",
        "an objective called with no rows",
        "xgboost_objective()",
        lambda c: _bo().xgboost_objective()(Y[:0], np.zeros(0, np.float32)),
        "ValueError",
        "predt: no rows (the margins xgboost passed have shape (0,), whatever num_class is); the training data set is empty",
    ),
    Row(
        "loss parameters",
        "MultiLabelLoss through LightGBM's scikit-learn API",
        "lightgbm_objective(MultiLabelLoss())",
        lambda c: _bo().lightgbm_objective(_bo().MultiLabelLoss())(np.array([1.0, 2.0]), np.zeros((2, 2))),
        "ValueError",
        "y_true: MultiLabelLoss's labels travel as one code per row, which LightGBM's scikit-learn API may re-encode (LGBMClassifier numbers its classes_ 0..m-1), so they cannot be decoded here; train with lightgbm.train on boostobj.lightgbm_dataset(X, y, loss=loss) (for GroupedSoftmaxLoss, or the estimator MaskedMultiOutputLGBMClassifier)",
    ),
    Row(
        "loss parameters",
        "an intercept from no rows",
        "SoftmaxLoss.init_raw_prediction",
        lambda c: _bo().SoftmaxLoss().init_raw_prediction(Y[:0], mask=c.mask[:0]),
        "ValueError",
        "y_true: no rows (an empty array); cannot estimate an intercept",
    ),
    # ------------------------------------------------------------------ persistence, threads
    Row(
        "persistence",
        "a lambda as mask_from",
        "save_model",
        lambda c: _bo().save_model(
            c.fit({}, mask_from=lambda X: c.mask),
            "m.json",
        ),
        "TypeError",
        "mask_from: cannot save a function <lambda>.<locals>.<lambda> as JSON (only plain values, arrays, masks, boostobj objects such as losses and TransitionMask, and functions importable by name); pickle the model instead",
    ),
    Row(
        "persistence",
        "an XGBoost model to model.bin",
        "save_model",
        lambda c: _bo().save_model(c.xgb_booster, "model.bin"),
        "ValueError",
        "path: an XGBoost model is saved as JSON or UBJSON, chosen by the suffix; expected one of ['.json', '.ubj'], got '.bin'",
    ),
    Row(
        "persistence",
        "a model saved by XGBoost alone",
        "load_model",
        _save_plain_xgboost,
        "ValueError",
        "path: 'plain.json' has no boostobj configuration (a model saved by xgboost itself?); load it with xgboost and pass init_score= to boostobj.predict_proba yourself",
    ),
    Row(
        "persistence",
        "an unfitted estimator",
        "save_model",
        lambda c: _bo().save_model(_bo().MaskedLGBMClassifier(), "m.txt"),
        "NotFittedError",
        "This MaskedLGBMClassifier instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.",
    ),
    Row(
        "persistence",
        "init_score with an estimator",
        "save_model",
        lambda c: _bo().save_model(c.fit(), "m.json", init_score=np.zeros(K)),
        "ValueError",
        "loss, init_score: an estimator saves its own; pass them only with a booster",
    ),
    Row(
        "persistence",
        "a model file whose split names feature 10**6",
        "load_model",
        _crafted_xgboost,
        "ValueError",
        "path: 'crafted.json' is not a valid XGBoost JSON model file: tree 0, node 0: splits on feature 1000000; the model has 3 features (learner_model_param.num_feature)",
    ),
    Row(
        "persistence",
        "a LightGBM model with num_tree_per_iteration=0",
        "load_model",
        _crafted_lightgbm,
        "ValueError",
        "path: 'crafted.txt' is not a valid LightGBM text model file: num_tree_per_iteration: expected an integer in [1, 2147483647], got 0",
    ),
    Row(
        "persistence",
        "a LightGBM model file whose split names feature 9 of 3",
        "load_model",
        _crafted_lightgbm_split,
        "ValueError",
        "path: 'crafted.txt' is not a valid LightGBM text model file: tree 0, node 0: split_feature 9 is out of range; the model has 3 features (max_feature_idx + 1)",
    ),
    Row(
        "persistence",
        "a file that is no model",
        "load_model",
        _not_a_model,
        "ValueError",
        "path: 'notes.json' is not a model file boostobj can read: expected an XGBoost JSON or UBJSON model (starting with '{') or a LightGBM text model (starting with 'tree'); it starts with b'hello'",
    ),
    Row(
        "persistence",
        "a configuration with best_iteration -1",
        "load_model",
        lambda c: _tampered_config(c, "best_iteration", -1),
        "ValueError",
        "path: the boostobj configuration's 'best_iteration' is -1; expected None or an integer 0..1 (the booster has 1 round)",
    ),
    Row(
        "persistence",
        "a configuration whose intercept has the wrong length",
        "load_model",
        lambda c: _tampered_config(
            c,
            "init_score",
            {"__type__": "ndarray", "dtype": "<f8", "shape": [2], "flat": False, "data": [0.0, 0.0]},
        ),
        "ValueError",
        "path: the boostobj configuration's 'init_score' has 2 values; the booster has 4 margins per row",
    ),
    Row(
        "persistence",
        "a configuration whose kind is null",
        "load_model",
        lambda c: _tampered_config(c, "kind", None),
        "ValueError",
        "path: the boostobj configuration's 'kind' is None; expected 'booster' or 'estimator'",
    ),
    Row(
        "persistence",
        "a path under a file",
        "save_model",
        _under_a_file,
        "NotADirectoryError",
        "[Errno 20] Not a directory: 'file.txt/model.json'",
    ),
    Row(
        "threads",
        "set_num_threads(0)",
        "set_num_threads",
        lambda c: _bo().set_num_threads(0),
        "ValueError",
        "n: expected a positive integer number of threads; got 0",
    ),
    Row(
        "threads",
        "set_num_threads(100000)",
        "set_num_threads",
        lambda c: _bo().set_num_threads(100_000),
        "ValueError",
        "n: expected at most MAX_THREADS = 1024 threads; got 100000",
    ),
]


def _same_buffer(c: Ctx) -> Any:
    out = np.empty((N, K))
    return _bo().SoftmaxLoss().gradient_hessian(Y, c.raw, gradient_out=out, hessian_out=out)


def render(rows: list[Row] = CATALOGUE) -> str:
    """The README table of ``rows`` (Markdown)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| input | passed to | raises | message |", "|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.area}: {cell(row.input)} | `{row.where}` | `{row.error}` | {cell(row.message)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
