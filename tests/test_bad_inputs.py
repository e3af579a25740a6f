"""Every bad input through the public API: one test per input, asserting the exception
type and the key part of the message (the argument, what was expected, what was found).

Conventions: ``msg(*parts)`` is a regex matching a message that holds every part.
Expected rows, classes and values come from how each test builds its data, not from
the library.

Backends refuse some inputs themselves (XGBoost: NaN labels, negative weights, a
base_margin whose width differs from num_class; LightGBM: an init_score whose width
differs from num_class); those tests pin the backend's exception.
"""

from __future__ import annotations

import re

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from scipy import sparse

import boostobj as bo
from boostobj import BinaryLogLoss, ClassMask, SoftmaxLoss

INVALID = -1e30

# 60 rows, K = 4, a ragged mask cycling through three row patterns.
N, K = 60, 4
PATTERNS = [[0, 1], [1, 2, 3], [0, 3]]
ROWS = [PATTERNS[i % 3] for i in range(N)]
Y = np.array([[0, 2, 3][i % 3] for i in range(N)])  # each label valid in its own row
# Row 4 follows pattern 1 ([1, 2, 3]); label 0 is not one of them.
BAD_ROW, BAD_LABEL = 4, 0
assert BAD_LABEL not in ROWS[BAD_ROW]
Y_BAD = Y.copy()
Y_BAD[BAD_ROW] = BAD_LABEL

XGB_PARAMS = {"num_class": K, "nthread": 1, "max_depth": 2, "verbosity": 0, "disable_default_eval_metric": 1}
LGB_PARAMS = {"num_class": K, "num_threads": 1, "verbose": -1, "min_data_in_leaf": 5, "max_depth": 2}


def msg(*parts: str) -> str:
    """A regex (for ``pytest.raises(match=...)``) matching a message holding every literal part."""
    return "(?s)^" + "".join(f"(?=.*{re.escape(p)})" for p in parts)


def valid_str(row: int) -> str:
    return str(sorted(ROWS[row]))


@pytest.fixture(scope="module")
def mask() -> ClassMask:
    return ClassMask.from_lists(ROWS, K)


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((N, 3))


@pytest.fixture()
def raw() -> np.ndarray:
    return np.random.default_rng(1).standard_normal((N, K))


@pytest.fixture(scope="module")
def xgb_booster(X, mask):
    dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
    return xgb.train(XGB_PARAMS, dtrain, 1, obj=bo.xgboost_objective())


@pytest.fixture(scope="module")
def lgb_booster(X, mask):
    params = {**LGB_PARAMS, "objective": bo.lightgbm_objective()}
    return lgb.train(params, bo.lightgbm_dataset(X, Y, mask=mask), 1)


def _loss_methods():
    """(name, call(y, raw, mask, sample_weight)) for every SoftmaxLoss entry point taking labels."""
    loss = SoftmaxLoss()
    return [
        ("gradient_hessian", lambda y, r, m, w=None: loss.gradient_hessian(y, r, mask=m, sample_weight=w)),
        ("loss", lambda y, r, m, w=None: loss.loss(y, r, mask=m, sample_weight=w)),
        ("masked_log_loss", lambda y, r, m, w=None: bo.masked_log_loss(y, r, mask=m, sample_weight=w)),
    ]


LOSS_METHODS = _loss_methods()
LOSS_IDS = [name for name, _ in LOSS_METHODS]
LOSS_CALLS = [call for _, call in LOSS_METHODS]


# ====================================================================== ClassMask constructors
class TestMaskConstructors:
    def test_lists_index_out_of_range(self):
        with pytest.raises(
            ValueError, match=msg("mask: class index 5 in row 1", "out of range", "0 <= index < n_classes=4")
        ):
            ClassMask.from_lists([[0], [1, 5]], 4)

    def test_lists_index_equal_to_k(self):
        with pytest.raises(ValueError, match=msg("class index 4 in row 2", "n_classes=4")):
            ClassMask.from_lists([[0], [1], [3, 4]], 4)

    def test_lists_negative_index(self):
        with pytest.raises(ValueError, match=msg("mask: class index -1 in row 0", "out of range")):
            ClassMask.from_lists([[-1, 0], [1]], 4)

    def test_2d_array_index_out_of_range(self):
        with pytest.raises(ValueError, match=msg("class index 9 in row 1", "n_classes=4")):
            ClassMask.from_lists(np.array([[0, 1], [2, 9]]), 4)

    def test_lists_empty_row(self):
        with pytest.raises(ValueError, match=msg("mask: row 2 has no valid class", "at least one")):
            ClassMask.from_lists([[0], [1], []], 4)

    def test_2d_array_without_columns(self):
        with pytest.raises(ValueError, match=msg("mask: row 0 has no valid class")):
            ClassMask.from_lists(np.zeros((3, 0), dtype=int), 4)

    def test_dense_empty_row(self):
        dense = np.ones((3, 4), dtype=bool)
        dense[1] = False
        with pytest.raises(ValueError, match=msg("mask: row 1 has no valid class")):
            ClassMask.from_dense(dense)

    @pytest.mark.parametrize("dtype", [np.int64, np.float64])
    def test_dense_01_empty_row(self, dtype):
        dense = np.array([[1, 0], [0, 0]], dtype=dtype)
        with pytest.raises(ValueError, match=msg("mask: row 1 has no valid class")):
            ClassMask.from_dense(dense)

    def test_csr_empty_row(self):
        csr = sparse.csr_array(np.array([[1, 0], [0, 0], [0, 1]]))
        with pytest.raises(ValueError, match=msg("mask: row 1 has no valid class")):
            ClassMask.from_csr(csr)

    def test_csr_row_of_explicit_zeros(self):
        csr = sparse.csr_matrix(
            (np.array([1.0, 0.0, 0.0]), np.array([0, 0, 1]), np.array([0, 1, 3])), shape=(2, 2)
        )
        with pytest.raises(ValueError, match=msg("mask: row 1 has no valid class")):
            ClassMask.from_csr(csr)

    def test_margin_row_all_invalid(self):
        raw = np.zeros((3, 4))
        raw[2] = INVALID
        with pytest.raises(ValueError, match=msg("row 2 has no valid class")):
            ClassMask.from_margin(raw)

    @pytest.mark.parametrize("bad", [np.nan, np.inf])
    def test_margin_non_finite(self, bad):
        raw = np.zeros((3, 4))
        raw[1, 2] = bad
        with pytest.raises(
            ValueError, match=msg("raw_prediction: row 1 has a NaN or +inf margin", "<= -1e+29")
        ):
            ClassMask.from_margin(raw)

    def test_margin_minus_inf_is_an_invalid_class(self):
        raw = np.zeros((3, 4))
        raw[1, 2] = -np.inf
        assert ClassMask.from_margin(raw).to_dense().tolist() == (raw > -1e29).tolist()

    def test_margin_1d(self):
        with pytest.raises(ValueError, match=msg("raw_prediction: expected 2-D", "got shape (4,)")):
            ClassMask.from_margin(np.zeros(4))

    def test_margin_strings(self):
        with pytest.raises(TypeError, match=msg("raw_prediction", "<U1")):
            ClassMask.from_margin(np.array([["a", "b"]]))

    @pytest.mark.parametrize("row", [[0.0, 1.0], [0.5]])
    def test_lists_float_indices(self, row):
        with pytest.raises(TypeError, match=msg("mask: class indices must be integers", "float64")):
            ClassMask.from_lists([[0], row], 4)

    def test_lists_string_indices(self):
        with pytest.raises(TypeError, match=msg("class indices must be integers", "dtype <U")):
            ClassMask.from_lists([["a", "b"]], 4)

    def test_lists_bool_indices(self):
        with pytest.raises(TypeError, match=msg("class indices must be integers", "dtype bool")):
            ClassMask.from_lists([[True, False]], 4)

    def test_2d_float_array(self):
        with pytest.raises(TypeError, match=msg("class indices must be integers", "float64")):
            ClassMask.from_lists(np.array([[0.0, 1.0]]), 4)

    def test_row_not_a_sequence(self):
        with pytest.raises(
            TypeError, match=msg("mask: row 1 must be a flat sequence of class indices", "int")
        ):
            ClassMask.from_lists([[0], 1], 4)

    def test_lists_not_a_sequence(self):
        with pytest.raises(TypeError, match=msg("expected a sequence of per-row class-index lists", "str")):
            ClassMask.from_lists("0,1", 4)

    @pytest.mark.parametrize(
        ("lists", "expected"),
        [
            ([[[0, 1]], [[1, 2]]], msg("mask: row 0 must be a flat sequence")),
            ([[[0, 1]], [[1]]], msg("mask: row 0 must be a flat sequence")),
            (np.zeros((2, 2, 2), dtype=int), msg("mask: expected per-row lists", "shape (2, 2, 2)")),
        ],
        ids=["nested-same", "nested-ragged", "3d-array"],
    )
    def test_lists_nested_too_deep(self, lists, expected):
        with pytest.raises(TypeError, match=expected):
            ClassMask.from_lists(lists, 4)

    def test_dense_not_01(self):
        with pytest.raises(ValueError, match=msg("dense mask must be boolean or 0/1", "2", "row 1, class 0")):
            ClassMask.from_dense(np.array([[1, 0], [2, 1]]))

    def test_dense_nan(self):
        with pytest.raises(ValueError, match=msg("boolean or 0/1", "nan", "row 0, class 1")):
            ClassMask.from_dense(np.array([[1.0, np.nan]]))

    def test_dense_strings(self):
        with pytest.raises(TypeError, match=msg("dense mask must be boolean or 0/1", "dtype <U")):
            ClassMask.from_dense(np.array([["1", "0"]]))

    def test_dense_1d(self):
        with pytest.raises(ValueError, match=msg("dense mask must be 2-D", "got shape (3,)")):
            ClassMask.from_dense(np.array([1, 0, 1]))

    def test_csr_not_sparse(self):
        with pytest.raises(TypeError, match=msg("expected a scipy sparse matrix, got list")):
            ClassMask.from_csr([[1, 0]])

    def test_csr_nan_data(self):
        csr = sparse.csr_array(np.array([[np.nan, 0.0], [0.0, 1.0]]))
        with pytest.raises(ValueError, match=msg("True/positive values", "got nan at row 0")):
            ClassMask.from_csr(csr)

    @pytest.mark.parametrize("k", [0, -3])
    def test_n_classes_not_positive(self, k):
        with pytest.raises(ValueError, match=msg("mask: n_classes must be >= 1", f"got {k}")):
            ClassMask.from_lists([[0]], k)

    @pytest.mark.parametrize("k, found", [(3.0, "float"), (True, "bool"), ("3", "str"), (None, "NoneType")])
    def test_n_classes_not_integer(self, k, found):
        with pytest.raises(TypeError, match=msg("mask: n_classes must be an integer", found)):
            ClassMask.from_lists([[0]], k)

    def test_full_negative_rows(self):
        with pytest.raises(ValueError, match=msg("n_rows must be a non-negative integer", "-2")):
            ClassMask.full(-2, 3)

    def test_full_bool_rows(self):
        with pytest.raises((TypeError, ValueError), match="n_rows"):
            ClassMask.full(True, 3)

    # -- the validating plain constructor
    def test_ctor_float_indices(self):
        with pytest.raises(TypeError, match=msg("mask: indices must hold integers", "float64")):
            ClassMask([0, 1, 2], [0.0, 1.0], 3)

    def test_ctor_string_indices(self):
        with pytest.raises(TypeError, match=msg("mask: indices must hold integers", "<U")):
            ClassMask([0, 1], ["a"], 3)

    def test_ctor_float_indptr(self):
        with pytest.raises(TypeError, match=msg("mask: indptr must hold integers", "float64")):
            ClassMask([0.0, 1.0], [0], 3)

    def test_ctor_indptr_not_starting_at_zero(self):
        with pytest.raises(ValueError, match=msg("indptr must be 1-D, start at 0", "starting at [1]")):
            ClassMask([1, 2], [0], 3)

    def test_ctor_indptr_empty(self):
        with pytest.raises(ValueError, match=msg("indptr must be 1-D", "got shape (0,)")):
            ClassMask([], [], 3)

    def test_ctor_indptr_2d(self):
        with pytest.raises(ValueError, match=msg("indptr must be 1-D", "got shape (1, 2)")):
            ClassMask([[0, 1]], [0], 3)

    def test_ctor_indptr_end_mismatch(self):
        with pytest.raises(ValueError, match=msg("indptr[-1] must equal len(indices)", "got 3 and 2")):
            ClassMask([0, 1, 3], [0, 1], 3)

    def test_ctor_indices_2d(self):
        with pytest.raises(ValueError, match=msg("indices", "1-D", "(1, 2)")):
            ClassMask([0, 2], [[0, 1]], 3)

    def test_ctor_indptr_decreasing(self):
        with pytest.raises(ValueError, match=msg("indptr must be non-decreasing", "row 1")):
            ClassMask([0, 2, 1, 3], [0, 1, 2], 3)

    def test_ctor_empty_row(self):
        with pytest.raises(ValueError, match=msg("mask: row 1 has no valid class")):
            ClassMask([0, 1, 1, 2], [0, 1], 3)

    def test_ctor_index_out_of_range(self):
        with pytest.raises(ValueError, match=msg("class index 3 in row 1", "n_classes=3")):
            ClassMask([0, 1, 2], [0, 3], 3)

    def test_ctor_negative_index(self):
        with pytest.raises(ValueError, match=msg("class index -1 in row 0", "out of range")):
            ClassMask([0, 1], [-1], 3)

    def test_ctor_unsorted(self):
        with pytest.raises(ValueError, match=msg("strictly increasing", "row 0 has [2, 1]", "from_lists")):
            ClassMask([0, 2], [2, 1], 3)

    def test_ctor_duplicate(self):
        with pytest.raises(ValueError, match=msg("strictly increasing", "row 1 has [0, 0]")):
            ClassMask([0, 1, 3], [2, 0, 0], 3)

    # -- coerce
    def test_coerce_lists_without_n_classes(self):
        with pytest.raises(
            ValueError, match=msg("per-row lists of class indices need n_classes", "ClassMask.from_lists")
        ):
            ClassMask.coerce([[0], [1]])

    def test_coerce_n_classes_mismatch(self):
        with pytest.raises(ValueError, match=msg("mask: expected 5 classes, got a mask of 4")):
            ClassMask.coerce(ClassMask.full(2, 4), 5)

    @pytest.mark.parametrize("bad, found", [(None, "NoneType"), (3, "int"), ("abc", "str")])
    def test_coerce_not_a_mask(self, bad, found):
        with pytest.raises(TypeError, match=msg("mask: expected a ClassMask", found)):
            ClassMask.coerce(bad, 3)


# ====================================================================== ClassMask methods
class TestMaskMethods:
    def test_check_rows(self, mask):
        with pytest.raises(ValueError, match=msg(f"mask: has {N} rows but X has {N + 1}; they must match")):
            mask.check_rows(N + 1, "X")

    @pytest.mark.parametrize("rows", [[N], [-N - 1]])
    def test_take_out_of_range(self, mask, rows):
        with pytest.raises(IndexError, match=msg("rows: index out of range", f"{N} rows")):
            mask.take(rows)

    def test_take_bool_wrong_length(self, mask):
        with pytest.raises(ValueError, match=msg("boolean selector must have shape", f"({N},)", "got (3,)")):
            mask.take(np.ones(3, dtype=bool))

    def test_take_strings(self, mask):
        with pytest.raises(TypeError, match=msg("rows: expected integer indices", "<U")):
            mask.take(["a"])

    def test_contains_wrong_shape(self, mask):
        with pytest.raises(ValueError, match=msg(f"y: expected shape ({N},)", "got (2,)")):
            mask.contains([0, 1])

    @pytest.mark.parametrize("bad, found", [(1.5, "1.5"), (np.nan, "nan")])
    def test_contains_non_integer_labels(self, mask, bad, found):
        y = Y.astype(float)
        y[7] = bad
        with pytest.raises(ValueError, match=msg("y:", "row 7", found)):
            mask.contains(y)

    @pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
    @pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
    @pytest.mark.parametrize("dtype", [np.float16, np.int64])
    def test_margin_offset_dtype(self, mask, dtype):
        with pytest.raises((TypeError, ValueError), match="dtype"):
            mask.margin_offset(dtype=dtype)


# ====================================================================== losses: the mask
class TestLossMask:
    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    def test_mask_rows_differ(self, call, raw, mask):
        short = mask.take(np.arange(N - 1))
        with pytest.raises(
            ValueError, match=msg(f"mask: has {N - 1} rows but raw_prediction has {N}", "must match")
        ):
            call(Y, raw, short)

    def test_predict_proba_mask_rows_differ(self, raw, mask):
        with pytest.raises(ValueError, match=msg(f"mask: has {N} rows but raw_prediction has {N - 2}")):
            SoftmaxLoss().predict_proba(raw[:-2], mask=mask)

    def test_init_raw_prediction_mask_rows_differ(self, mask):
        with pytest.raises(ValueError, match=msg(f"mask: has {N - 10} rows but y_true has {N}")):
            SoftmaxLoss().init_raw_prediction(Y, mask=mask.take(slice(10, None)))

    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    def test_mask_has_more_classes_than_margins(self, call, raw, mask):
        # labels < 3 so that only the mask disagrees with the 3 margin columns
        y = np.array([[0, 1, 0][i % 3] for i in range(N)])
        with pytest.raises(
            ValueError, match=msg(f"mask: has {K} classes but raw_prediction has 3 columns", "num_class")
        ):
            call(y, raw[:, :3], mask)

    def test_dense_mask_has_other_classes(self, raw):
        dense = np.ones((N, K + 1), dtype=bool)
        with pytest.raises(ValueError, match=msg(f"expected {K} classes, got a mask of {K + 1}")):
            SoftmaxLoss().loss(Y, raw, mask=dense)

    @pytest.mark.parametrize("bad, pattern", [(7, "class index 7 in row 1"), (-2, "class index -2 in row 1")])
    def test_list_mask_index_out_of_range(self, raw, bad, pattern):
        rows = [list(r) for r in ROWS]
        rows[1] = [bad, 2]
        with pytest.raises(ValueError, match=msg(pattern, "out of range", f"n_classes={K}")):
            SoftmaxLoss().gradient_hessian(Y, raw, mask=rows)

    def test_float_list_mask(self, raw):
        rows = [[float(c) for c in r] for r in ROWS]
        with pytest.raises(ValueError, match=msg("floats make", "never name classes", "use integers")):
            SoftmaxLoss().loss(Y, raw, mask=rows)

    def test_string_dense_mask(self, raw):
        with pytest.raises(TypeError, match=msg("expected booleans", "integer class indices", "<U1")):
            SoftmaxLoss().loss(Y, raw, mask=np.full((N, K), "1"))

    def test_2d_index_array_as_mask(self):
        # integers are class indices (the mask grammar): a 2-D integer array lists each row's classes
        raw = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 1.0]])
        by_rows = SoftmaxLoss().loss([0, 1], raw, mask=np.array([[0, 1], [1, 2]]))
        np.testing.assert_array_equal(by_rows, SoftmaxLoss().loss([0, 1], raw, mask=[[0, 1], [1, 2]]))
        with pytest.raises(ValueError, match=msg("read two ways", "from_lists")):
            SoftmaxLoss().loss([0, 1], np.zeros((2, 3)), mask=np.array([[0, 1, 1], [1, 1, 0]]))

    # -- rows without a valid class, in each format
    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    @pytest.mark.parametrize("form", ["lists", "dense", "csr"])
    def test_empty_row_in_mask(self, call, raw, form):
        rows = [list(r) for r in ROWS]
        rows[6] = []
        dense = np.array([[j in r for j in range(K)] for r in rows])
        mask_in = {"lists": rows, "dense": dense, "csr": sparse.csr_array(dense)}[form]
        with pytest.raises(ValueError, match=msg("mask: row 6 has no valid class")):
            call(Y, raw, mask_in)

    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    def test_empty_row_in_margins(self, call, raw, mask):
        raw = raw + mask.margin_offset(dtype=np.float64)
        raw[9] = INVALID
        with pytest.raises(ValueError, match=msg("raw_prediction: row 9 has no valid class", "-1e+29")):
            call(Y, raw, None)

    def test_empty_row_in_margins_predict_proba(self, raw):
        raw[0] = INVALID
        with pytest.raises(ValueError, match=msg("raw_prediction: row 0 has no valid class")):
            SoftmaxLoss().predict_proba(raw)


# ====================================================================== losses: labels
class TestLossLabels:
    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    def test_label_invalid_in_its_row_classmask(self, call, raw, mask):
        with pytest.raises(
            ValueError,
            match=msg(
                f"y_true: the label {BAD_LABEL} of row {BAD_ROW}",
                f"not one of its valid classes {valid_str(BAD_ROW)}",
            ),
        ):
            call(Y_BAD, raw, mask)

    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    def test_label_invalid_in_its_row_margins(self, call, raw, mask):
        raw = raw + mask.margin_offset(dtype=np.float64)
        with pytest.raises(
            ValueError, match=msg(f"the label {BAD_LABEL} of row {BAD_ROW}", valid_str(BAD_ROW))
        ):
            call(Y_BAD, raw, None)

    def test_init_raw_prediction_label_invalid(self, mask):
        with pytest.raises(ValueError, match=msg(f"the label {BAD_LABEL} of row {BAD_ROW}")):
            SoftmaxLoss().init_raw_prediction(Y_BAD, mask=mask)

    def test_masked_error_rate_label_invalid(self, raw, mask):
        with pytest.raises(ValueError, match=msg(f"the label {BAD_LABEL} of row {BAD_ROW}")):
            bo.masked_error_rate(Y_BAD, raw, mask=mask)

    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    @pytest.mark.parametrize("bad, found", [(1.5, "1.5"), (np.nan, "nan"), (np.inf, "inf")])
    def test_non_integer_label(self, call, raw, bad, found):
        y = Y.astype(float)
        y[3] = bad
        with pytest.raises(
            ValueError, match=msg(f"y_true: expected integer class indices 0..{K - 1}", "row 3", found)
        ):
            call(y, raw, None)

    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    @pytest.mark.parametrize("bad", [-1, K, K + 10])
    def test_label_out_of_range(self, call, raw, bad):
        y = Y.copy()
        y[3] = bad
        with pytest.raises(
            ValueError, match=msg(f"y_true: label {bad} in row 3 is out of range", f"0..{K - 1}")
        ):
            call(y, raw, None)

    @pytest.mark.parametrize("bad", [-1, 2, 0.5, np.nan])
    def test_binary_label(self, bad):
        y = np.array([0.0, 1.0, bad])
        with pytest.raises(ValueError, match=msg("y_true:", "row 2", "0..1")):
            BinaryLogLoss().loss(y, np.zeros(3))

    def test_label_wrong_length(self, raw):
        with pytest.raises(ValueError, match=msg(f"y_true: expected shape ({N},)", f"got ({N - 1},)")):
            SoftmaxLoss().loss(Y[:-1], raw)

    def test_labels_missing(self, raw):
        with pytest.raises(ValueError, match=msg("y_true: labels are required")):
            SoftmaxLoss().gradient_hessian(None, raw)

    def test_string_labels(self, raw):
        with pytest.raises(TypeError, match=msg("y_true: expected integer class indices", "dtype <U")):
            SoftmaxLoss().loss(np.array(["a"] * N), raw)

    def test_init_raw_prediction_float_labels_without_k(self):
        with pytest.raises(ValueError, match=msg("n_classes: required when mask is None")):
            SoftmaxLoss().init_raw_prediction(Y.astype(float))

    def test_init_raw_prediction_label_out_of_range(self):
        with pytest.raises(ValueError, match=msg("y_true: label 3 in row 1 is out of range", "0..2")):
            SoftmaxLoss().init_raw_prediction([0, 3], n_classes=3)

    def test_binary_init_scalar_label(self):
        with pytest.raises(ValueError, match=msg("y_true")):
            BinaryLogLoss().init_raw_prediction(1)


# ====================================================================== losses: margins
class TestLossMargins:
    METHODS = ["gradient_hessian", "loss", "predict_proba", "masked_log_loss"]

    @staticmethod
    def _call(method, raw, mask):
        loss = SoftmaxLoss()
        if method == "gradient_hessian":
            return loss.gradient_hessian(Y, raw, mask=mask)
        if method == "loss":
            return loss.loss(Y, raw, mask=mask)
        if method == "predict_proba":
            return loss.predict_proba(raw, mask=mask)
        return bo.masked_log_loss(Y, raw, mask=mask)

    # float32 (XGBoost's margins) only through gradient_hessian: each extra dtype of each
    # kernel costs a numba compilation on a cold cache.
    @pytest.mark.parametrize(
        "method, dtype",
        [(m, np.float64) for m in METHODS] + [("gradient_hessian", np.float32)],
        ids=[f"{m}-float64" for m in METHODS] + ["gradient_hessian-float32"],
    )
    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "+inf", "-inf"])
    def test_non_finite_with_classmask(self, method, bad, dtype, mask):
        raw = np.zeros((N, K), dtype=dtype)
        row = 8  # pattern 2: [0, 3]; put the bad value on a valid class
        raw[row, 3] = bad
        before = raw.copy()
        with pytest.raises(
            ValueError, match=msg(f"raw_prediction: row {row} has a NaN or infinite margin", "must be finite")
        ):
            self._call(method, raw, mask)
        np.testing.assert_array_equal(raw, before)

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize(
        ("bad", "col"), [(np.nan, 2), (np.inf, 0)], ids=["nan-invalid-class", "+inf-valid"]
    )
    def test_non_finite_margins_carry_mask(self, method, bad, col, mask):
        raw = mask.margin_offset(dtype=np.float64)
        row = 11  # pattern 2: [0, 3]
        raw[row, col] = bad  # NaN is caught even on an invalid class: with no ClassMask every entry is read
        with pytest.raises(
            ValueError, match=msg(f"raw_prediction: row {row} has a NaN or infinite margin", "NaN never does")
        ):
            self._call(method, raw, None)

    @pytest.mark.parametrize("method", METHODS)
    def test_minus_inf_margin_marks_an_invalid_class(self, method, mask):
        offset = mask.margin_offset(dtype=np.float64)
        with_inf = offset.copy()
        with_inf[offset < -1e29] = -np.inf
        np.testing.assert_array_equal(self._call(method, with_inf, None), self._call(method, offset, None))

    def test_non_finite_on_invalid_class_with_classmask_is_ignored(self, mask):
        """With an explicit ClassMask an invalid class's margin is never read: the
        result must equal the one with a harmless value there (no NaN leaks out)."""
        raw = np.zeros((N, K))
        raw[8, 1] = np.nan  # row 8: valid [0, 3]
        clean = np.zeros((N, K))
        grad, hess = SoftmaxLoss().gradient_hessian(Y, raw, mask=mask)
        grad0, hess0 = SoftmaxLoss().gradient_hessian(Y, clean, mask=mask)
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
        np.testing.assert_array_equal(grad, grad0)
        np.testing.assert_array_equal(hess, hess0)
        assert grad[8, 1] == 0.0

    @pytest.mark.parametrize(
        "row_values", [[np.nan] * K, [np.nan, INVALID, INVALID, INVALID]], ids=["all-nan", "nan-and-offsets"]
    )
    def test_all_nan_row_reported_as_nan(self, row_values):
        raw = np.zeros((N, K))
        raw[5] = row_values
        with pytest.raises(ValueError, match=msg("row 5 has a NaN or infinite margin")):
            SoftmaxLoss().gradient_hessian(Y, raw)

    def test_binary_non_finite(self):
        raw = np.zeros(5)
        raw[3] = np.nan
        with pytest.raises(ValueError, match=msg("raw_prediction: row 3 has a NaN or infinite margin")):
            BinaryLogLoss().gradient_hessian([0, 1, 0, 1, 0], raw)

    def test_flat_margins_to_softmax(self, raw):
        with pytest.raises(
            ValueError,
            match=msg(
                "raw_prediction: expected a 2-D array (n_samples, n_classes)",
                f"got shape ({N * K},)",
                "reshape",
            ),
        ):
            SoftmaxLoss().loss(Y, raw.ravel())

    def test_3d_margins(self):
        with pytest.raises(ValueError, match=msg("raw_prediction: expected a 2-D array", "(2, 2, 2)")):
            SoftmaxLoss().loss([0, 1], np.zeros((2, 2, 2)))

    def test_single_column_margins(self):
        with pytest.raises(ValueError, match=msg("needs at least 2 classes", "(3, 1)")):
            SoftmaxLoss().loss([0, 0, 0], np.zeros((3, 1)))

    @pytest.mark.parametrize(
        "bad, found", [(np.full((2, 2), "a"), "dtype <U1"), (np.zeros((2, 2), complex), "complex128")]
    )
    def test_margins_not_real(self, bad, found):
        with pytest.raises(TypeError, match=msg("raw_prediction: expected real numbers", found)):
            SoftmaxLoss().loss([0, 1], bad)

    def test_margins_not_an_array(self):
        with pytest.raises(TypeError, match=msg("raw_prediction: expected an array of margins, got object")):
            SoftmaxLoss().predict_proba(object())

    def test_binary_2d_margins(self):
        with pytest.raises(ValueError, match=msg("raw_prediction: expected a 1-D array", "(4, 2)")):
            BinaryLogLoss().loss([0, 1, 0, 1], np.zeros((4, 2)))

    def test_binary_with_mask(self):
        with pytest.raises(
            ValueError, match=msg("mask: a binary loss has one margin per row", "SoftmaxLoss")
        ):
            BinaryLogLoss().loss([0, 1], np.zeros(2), mask=[[0], [1]])


# ====================================================================== losses: weights
class TestSampleWeight:
    @pytest.mark.parametrize("call", LOSS_CALLS, ids=LOSS_IDS)
    @pytest.mark.parametrize(
        "bad, found", [(-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")]
    )
    def test_bad_weight(self, call, raw, mask, bad, found):
        w = np.ones(N)
        w[7] = bad
        with pytest.raises(
            ValueError, match=msg("sample_weight: weights must be finite and >= 0", "row 7 has", found)
        ):
            call(Y, raw, mask, w)

    @pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
    def test_bad_weight_binary(self, bad):
        with pytest.raises(ValueError, match=msg("sample_weight: weights must be finite and >= 0", "row 1")):
            BinaryLogLoss().gradient_hessian([0, 1], np.zeros(2), sample_weight=[1.0, bad])

    @pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
    def test_bad_weight_init_raw_prediction(self, mask, bad):
        w = np.ones(N)
        w[2] = bad
        with pytest.raises(ValueError, match=msg("sample_weight: weights must be finite and >= 0", "row 2")):
            SoftmaxLoss().init_raw_prediction(Y, sample_weight=w, mask=mask)

    def test_weight_wrong_length(self, raw):
        with pytest.raises(ValueError, match=msg(f"sample_weight: expected shape ({N},)", f"got ({N + 1},)")):
            SoftmaxLoss().loss(Y, raw, sample_weight=np.ones(N + 1))

    def test_weight_strings(self, raw):
        with pytest.raises(TypeError, match=msg("sample_weight: expected real numbers", "<U")):
            SoftmaxLoss().loss(Y, raw, sample_weight=np.full(N, "a"))

    def test_zero_total_weight_metric(self, raw):
        with pytest.raises(ValueError, match=msg("sample_weight: the weights sum to zero")):
            bo.masked_log_loss(Y, raw, sample_weight=np.zeros(N))

    def test_zero_total_weight_intercept(self, mask):
        with pytest.raises(ValueError, match=msg("sample_weight: the weights sum to zero")):
            SoftmaxLoss().init_raw_prediction(Y, sample_weight=np.zeros(N), mask=mask)


# ====================================================================== loss parameters
class TestLossParameters:
    def test_hessian_unknown(self):
        with pytest.raises(ValueError, match=msg("hessian: expected one of", "'exact'", "got 'foo'")):
            SoftmaxLoss(hessian="foo")

    @pytest.mark.parametrize("cls", [SoftmaxLoss, BinaryLogLoss])
    def test_hessian_floor_negative(self, cls):
        with pytest.raises(ValueError, match=msg("hessian_floor: expected a number >= 0", "got -0.1")):
            cls(hessian_floor=-0.1)

    def test_hessian_floor_not_a_number(self):
        with pytest.raises(TypeError, match=msg("hessian_floor: expected a real number", "got 'a'")):
            SoftmaxLoss(hessian_floor="a")

    @pytest.mark.parametrize(
        "make",
        [
            lambda: SoftmaxLoss(hessian_floor=np.nan),
            lambda: BinaryLogLoss(hessian_floor=np.inf),
            lambda: BinaryLogLoss(pos_weight=np.nan),
        ],
        ids=["floor-nan", "floor-inf", "pos-nan"],
    )
    def test_non_finite_parameter_is_a_value_error(self, make):
        with pytest.raises(ValueError, match="finite"):
            make()

    def test_class_weight_unknown_string(self):
        with pytest.raises(
            ValueError,
            match=msg("class_weight: expected None, 'balanced', a dict or an array", "got 'bogus'"),
        ):
            SoftmaxLoss(class_weight="bogus")

    @pytest.mark.parametrize("spec", [[1.0, -2.0, 1.0, 1.0], {0: -1.0}, [1.0, np.nan, 1.0, 1.0], [[1.0]]])
    def test_class_weight_bad_values(self, spec):
        with pytest.raises(
            ValueError, match=msg("class_weight: weights must be a 1-D set of finite numbers >= 0")
        ):
            SoftmaxLoss(class_weight=spec)

    def test_class_weight_not_numbers(self):
        with pytest.raises(TypeError, match=msg("class_weight: expected numbers", "['a']")):
            SoftmaxLoss(class_weight=["a"])

    @pytest.mark.parametrize("method", ["gradient_hessian", "loss", "init_raw_prediction"])
    def test_class_weight_wrong_length(self, raw, method):
        loss = SoftmaxLoss(class_weight=[1.0, 2.0])
        with pytest.raises(ValueError, match=msg(f"class_weight: expected shape ({K},)", "got (2,)")):
            if method == "init_raw_prediction":
                loss.init_raw_prediction(Y, n_classes=K)
            else:
                getattr(loss, method)(Y, raw)

    def test_class_weight_wrong_length_binary(self):
        with pytest.raises(ValueError, match=msg("class_weight: expected shape (2,)", "got (3,)")):
            BinaryLogLoss(class_weight=[1.0, 1.0, 1.0]).loss([0, 1], np.zeros(2))

    @pytest.mark.parametrize("key", [K, -1, "a", 1.0])
    def test_class_weight_bad_key(self, raw, key):
        with pytest.raises(
            ValueError, match=msg(f"class_weight: keys must be class indices 0..{K - 1}", f"got {key!r}")
        ):
            SoftmaxLoss(class_weight={key: 2.0}).loss(Y, raw)

    @pytest.mark.parametrize("value", [0, 0.0, -1.0])
    def test_pos_weight_not_positive(self, value):
        with pytest.raises(ValueError, match=msg("pos_weight: expected a number > 0", f"got {value!r}")):
            BinaryLogLoss(pos_weight=value)

    def test_pos_weight_string(self):
        with pytest.raises(TypeError, match=msg("pos_weight: expected a real number", "'2'")):
            BinaryLogLoss(pos_weight="2")

    def test_set_params_validates_and_keeps_old_value(self):
        loss = SoftmaxLoss(hessian="exact")
        with pytest.raises(ValueError, match=msg("hessian: expected one of", "got 'foo'")):
            loss.set_params(hessian="foo")
        assert loss.hessian == "exact"

    def test_set_params_unknown(self):
        with pytest.raises(ValueError, match=msg("SoftmaxLoss: unknown parameter(s) ['foo']")):
            SoftmaxLoss().set_params(foo=1)


# ====================================================================== output buffers
class TestOutputArrays:
    @pytest.mark.parametrize("name", ["gradient_out", "hessian_out"])
    def test_wrong_shape(self, raw, name):
        out = np.full((N, K - 1), 7.0)
        with pytest.raises(
            ValueError, match=msg(f"{name}: expected shape ({N}, {K})", f"got ({N}, {K - 1})")
        ):
            SoftmaxLoss().gradient_hessian(Y, raw, **{name: out})
        assert (out == 7.0).all()

    @pytest.mark.parametrize("name", ["gradient_out", "hessian_out"])
    @pytest.mark.parametrize("dtype", [np.int64, np.float16, bool])
    def test_wrong_dtype(self, raw, name, dtype):
        out = np.zeros((N, K), dtype=dtype)
        with pytest.raises(TypeError, match=msg(f"{name}: expected float32 or float64", "got")):
            SoftmaxLoss().gradient_hessian(Y, raw, **{name: out})

    def test_not_an_array(self, raw):
        with pytest.raises(TypeError, match=msg("gradient_out: expected a numpy array, got list")):
            SoftmaxLoss().gradient_hessian(Y, raw, gradient_out=np.zeros((N, K)).tolist())

    def test_non_contiguous(self, raw):
        out = np.full((N, 2 * K), 7.0)
        with pytest.raises(
            ValueError, match=msg("gradient_out: must be a writeable C- or F-contiguous array")
        ):
            SoftmaxLoss().gradient_hessian(Y, raw, gradient_out=out[:, ::2])
        assert (out == 7.0).all()

    def test_read_only(self, raw):
        out = np.zeros((N, K))
        out.flags.writeable = False
        with pytest.raises(ValueError, match=msg("hessian_out: must be a writeable")):
            SoftmaxLoss().gradient_hessian(Y, raw, hessian_out=out)

    def test_binary_wrong_shape(self):
        with pytest.raises(ValueError, match=msg("gradient_out: expected shape (3,)", "got (3, 1)")):
            BinaryLogLoss().gradient_hessian([0, 1, 0], np.zeros(3), gradient_out=np.zeros((3, 1)))

    @pytest.mark.parametrize("kind", ["label", "weight", "mask"])
    def test_buffers_untouched_when_validation_fails(self, raw, mask, kind):
        grad = np.full((N, K), 7.0)
        hess = np.full((N, K), 7.0)
        y, w, m = Y, None, mask
        if kind == "label":
            y = Y.copy()
            y[0] = K
        elif kind == "weight":
            w = -np.ones(N)
        else:
            m = mask.take(slice(1, None))
        result = None
        with pytest.raises(ValueError):
            result = SoftmaxLoss().gradient_hessian(
                y, raw, sample_weight=w, mask=m, gradient_out=grad, hessian_out=hess
            )
        assert result is None
        assert (grad == 7.0).all() and (hess == 7.0).all()

    def test_same_buffer_for_both(self, raw):
        out = np.empty((N, K))
        with pytest.raises(ValueError, match=msg("gradient_out", "hessian_out")):
            SoftmaxLoss().gradient_hessian(Y, raw, gradient_out=out, hessian_out=out)


# ====================================================================== data sets
DATASET_BUILDERS = [bo.xgboost_dmatrix, bo.lightgbm_dataset]
DATASET_IDS = ["xgboost_dmatrix", "lightgbm_dataset"]


@pytest.mark.parametrize("build", DATASET_BUILDERS, ids=DATASET_IDS)
class TestDatasets:
    def test_mask_rows_differ(self, build, X, mask):
        with pytest.raises(ValueError, match=msg(f"mask: has {N - 10} rows but X has {N}", "must match")):
            build(X, Y, mask=mask.take(slice(10, None)))

    def test_label_invalid_in_its_row(self, build, X, mask):
        result = None
        with pytest.raises(
            ValueError,
            match=msg(
                f"y: the label {BAD_LABEL} of row {BAD_ROW}",
                f"not one of its valid classes {valid_str(BAD_ROW)}",
            ),
        ):
            result = build(X, Y_BAD, mask=mask)
        assert result is None

    def test_mask_index_out_of_range(self, build, X):
        rows = [list(r) for r in ROWS]
        rows[3] = [0, K]
        with pytest.raises(ValueError, match=msg(f"class index {K} in row 3", "out of range")):
            build(X, Y, mask=ClassMask.from_lists(rows, K))

    def test_mask_lists_need_n_classes(self, build, X):
        with pytest.raises(ValueError, match=msg("per-row lists of class indices need n_classes")):
            build(X, Y, mask=ROWS)

    def test_dense_mask_empty_row(self, build, X, mask):
        dense = mask.to_dense()
        dense[12] = False
        with pytest.raises(ValueError, match=msg("mask: row 12 has no valid class")):
            build(X, Y, mask=dense)

    def test_mask_string(self, build, X):
        with pytest.raises(TypeError, match=msg("mask: expected a ClassMask", "str")):
            build(X, Y, mask="abc")

    @pytest.mark.parametrize("bad, found", [(1.5, "1.5"), (np.nan, "nan")])
    def test_label_not_integer(self, build, X, mask, bad, found):
        y = Y.astype(float)
        y[2] = bad
        with pytest.raises(ValueError, match=msg("y: expected", "integer class indices", "row 2", found)):
            build(X, y, mask=mask)

    def test_label_negative(self, build, X):
        y = Y.copy()
        y[5] = -1
        with pytest.raises(
            ValueError,
            match=msg("y: label -1 in row 5 is out of range", "non-negative integer class indices"),
        ):
            build(X, y)

    def test_label_not_below_k(self, build, X, mask):
        y = Y.copy()
        y[5] = K
        with pytest.raises(ValueError, match=msg(f"y: label {K} in row 5 is out of range", f"0..{K - 1}")):
            build(X, y, mask=mask)

    def test_label_wrong_length(self, build, X):
        with pytest.raises(ValueError, match=msg(f"y: expected shape ({N},)", f"got ({N - 1},)")):
            build(X, Y[:-1])

    @pytest.mark.parametrize("bad, found", [(-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf")])
    def test_weight(self, build, X, mask, bad, found):
        w = np.ones(N)
        w[1] = bad
        with pytest.raises(
            ValueError, match=msg("weight: weights must be finite and >= 0", "row 1 has", found)
        ):
            build(X, Y, mask=mask, weight=w)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_init_score_non_finite(self, build, X, mask, bad):
        with pytest.raises(ValueError, match=msg("init_score: expected finite values", "class 1 has")):
            build(X, Y, mask=mask, init_score=[0.0, bad, 0.0, 0.0])

    def test_init_score_non_finite_names_position(self, build, X, mask):
        with pytest.raises(ValueError, match=msg("init_score", "class 1", "nan")):
            build(X, Y, mask=mask, init_score=[0.0, np.nan, 0.0, 0.0])

    @pytest.mark.parametrize(
        "init",
        [np.zeros(K - 1), np.zeros(K + 1), np.zeros((N, K)), 0.0],
        ids=["short", "long", "2d", "scalar"],
    )
    def test_init_score_wrong_length(self, build, X, mask, init):
        with pytest.raises(ValueError, match=msg("init_score")):
            build(X, Y, mask=mask, init_score=init)

    def test_init_score_wrong_length_without_mask_blames_labels(self, build, X):
        # with no mask, K comes from init_score; labels above it are out of range
        with pytest.raises(ValueError, match=msg("y: label 3 in row 2 is out of range", "0..2")):
            build(X, Y, init_score=np.zeros(3))


def test_xgboost_dmatrix_refuses_base_margin(X, mask):
    with pytest.raises(TypeError, match=msg("base_margin: set by xgboost_dmatrix from mask and init_score")):
        bo.xgboost_dmatrix(X, Y, mask=mask, base_margin=np.zeros((N, K)))


# ====================================================================== objectives and metrics
class TestAdapterConstruction:
    @pytest.mark.parametrize("factory", [bo.xgboost_objective, bo.lightgbm_objective])
    def test_loss_not_a_loss(self, factory):
        with pytest.raises(TypeError, match=msg("loss: expected a boostobj Loss", "got str")):
            factory("softmax")

    @pytest.mark.parametrize(
        "factory", [bo.xgboost_objective, bo.lightgbm_objective, bo.xgboost_metric, bo.lightgbm_metric]
    )
    def test_mask_as_lists(self, factory):
        # a bound mask has no K of its own: class indices need one (booleans carry it)
        with pytest.raises(
            ValueError, match=msg("mask: per-row lists of class indices need n_classes", "from_lists")
        ):
            factory(mask=[[0], [1, 2]])
        with pytest.raises(
            ValueError, match=msg("mask: integer rows of 0s and 1s read two ways", "astype(bool)")
        ):
            factory(mask=[[0, 1], [1, 0]])
        assert factory(mask=[[True, False], [False, True]])._mask == bo.ClassMask.from_lists([[0], [1]], 2)

    @pytest.mark.parametrize("factory", [bo.xgboost_objective, bo.lightgbm_objective])
    def test_mask_dense_not_01(self, factory):
        with pytest.raises(ValueError, match=msg("boolean or 0/1", "row 0, class 0")):
            factory(mask=np.array([[0.5, 1.0]]))

    @pytest.mark.parametrize("factory", [bo.xgboost_metric, bo.lightgbm_metric])
    def test_metric_unknown(self, factory):
        with pytest.raises(ValueError, match=msg("metric: expected one of", "'mlogloss'", "got 'auc'")):
            factory("auc")

    @pytest.mark.parametrize("factory", [bo.xgboost_metric, bo.lightgbm_metric])
    def test_metric_not_a_loss(self, factory):
        with pytest.raises(TypeError, match=msg("loss: expected a boostobj Loss", "got int")):
            factory(3)


class TestObjectiveCalls:
    def test_xgb_flat_predt(self, X, mask):
        dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
        result = None
        with pytest.raises(
            ValueError,
            match=msg(
                "predt: a multiclass loss (SoftmaxLoss)",
                f"got shape ({N * K},)",
                "Set num_class=K in the xgboost parameters",
            ),
        ):
            result = bo.xgboost_objective()(np.zeros(N * K, np.float32), dtrain)
        assert result is None

    def test_xgb_3d_predt(self, X, mask):
        dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
        with pytest.raises(ValueError, match=msg("predt:", f"got shape ({N}, {K}, 1)")):
            bo.xgboost_objective()(np.zeros((N, K, 1), np.float32), dtrain)

    def test_xgb_predt_wrong_rows(self, X, mask):
        dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
        with pytest.raises(
            ValueError, match=msg(f"expected shape ({N + 1},) to match the margins", f"({N},)")
        ):
            bo.xgboost_objective()(np.zeros((N + 1, K), np.float32), dtrain)

    def test_xgb_bound_mask_wrong_rows(self, X, mask):
        dtrain = xgb.DMatrix(X, label=Y)
        with pytest.raises(ValueError, match=msg(f"mask: has {N} rows but the training data has {N + 1}")):
            bo.xgboost_objective(mask=mask)(np.zeros((N + 1, K), np.float32), dtrain)

    def test_xgb_bound_mask_other_k(self, X, mask):
        dtrain = xgb.DMatrix(X, label=Y)
        with pytest.raises(
            ValueError,
            match=msg(f"mask: has {K} classes but raw_prediction has {K + 1} columns", "num_class"),
        ):
            bo.xgboost_objective(mask=mask)(np.zeros((N, K + 1), np.float32), dtrain)

    def test_xgb_sklearn_signature_nan(self, mask):
        raw = np.zeros((N, K), np.float32)
        raw[3, 0] = np.nan
        with pytest.raises(ValueError, match=msg("row 3 has a NaN or infinite margin")):
            bo.xgboost_objective()(Y, raw)

    def test_lgb_flat_preds(self, X, mask):
        ds = bo.lightgbm_dataset(X, Y, mask=mask).construct()
        with pytest.raises(
            ValueError,
            match=msg(
                "predt: a multiclass loss",
                f"got shape ({N * K},)",
                "Set num_class=K in the lightgbm parameters",
            ),
        ):
            bo.lightgbm_objective()(np.zeros(N * K), ds)

    def test_binary_objective_with_2d_predt(self):
        with pytest.raises(
            ValueError,
            match=msg(
                "predt: a binary loss (BinaryLogLoss) needs one margin per row", "(4, 3)", "Remove num_class"
            ),
        ):
            bo.xgboost_objective(BinaryLogLoss())(np.array([0, 1, 0, 1]), np.zeros((4, 3), np.float32))

    def test_metric_flat_predt(self, X, mask):
        dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
        with pytest.raises(ValueError, match=msg("predt: a multiclass loss", f"({N * K},)", "num_class")):
            bo.xgboost_metric()(np.zeros(N * K, np.float32), dtrain)

    def test_metric_nan_margin(self, X, mask):
        dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
        predt = mask.margin_offset()
        predt[10, 0] = np.nan  # row 10: pattern 1 ([1, 2, 3]), class 0 invalid
        with pytest.raises(ValueError, match=msg("raw_prediction: row 10 has a NaN or infinite margin")):
            bo.xgboost_metric()(predt, dtrain)

    def test_lgb_metric_bound_mask_wrong_rows(self, mask):
        with pytest.raises(ValueError, match=msg(f"mask: has {N} rows but the evaluated data has 2")):
            bo.lightgbm_metric(mask=mask)(np.array([0, 1]), np.zeros((2, K)))

    def test_metric_label_invalid(self, X, mask):
        dtrain = xgb.DMatrix(X, label=Y_BAD, base_margin=mask.margin_offset())
        with pytest.raises(ValueError, match=msg(f"the label {BAD_LABEL} of row {BAD_ROW}")):
            bo.xgboost_metric()(mask.margin_offset(), dtrain)


# ====================================================================== inside real trainings
class TestXGBoostTraining:
    def test_bound_mask_label_invalid(self, X, mask):
        booster = None
        with pytest.raises(
            ValueError, match=msg(f"y_true: the label {BAD_LABEL} of row {BAD_ROW}", valid_str(BAD_ROW))
        ):
            booster = xgb.train(
                XGB_PARAMS, xgb.DMatrix(X, label=Y_BAD), 1, obj=bo.xgboost_objective(mask=mask)
            )
        assert booster is None

    def test_margin_mask_label_invalid(self, X, mask):
        dtrain = xgb.DMatrix(X, label=Y_BAD, base_margin=mask.margin_offset())
        with pytest.raises(ValueError, match=msg(f"the label {BAD_LABEL} of row {BAD_ROW}")):
            xgb.train(XGB_PARAMS, dtrain, 1, obj=bo.xgboost_objective())

    def test_bound_mask_num_class_mismatch(self, X, mask):
        with pytest.raises(
            ValueError,
            match=msg(
                f"mask: has {K} classes but raw_prediction has {K + 1} columns", "(num_class)", "must match"
            ),
        ):
            xgb.train(
                {**XGB_PARAMS, "num_class": K + 1},
                xgb.DMatrix(X, label=Y),
                1,
                obj=bo.xgboost_objective(mask=mask),
            )

    def test_bound_mask_wrong_rows(self, X, mask):
        with pytest.raises(ValueError, match=msg(f"mask: has {N - 1} rows but the training data has {N}")):
            xgb.train(
                XGB_PARAMS,
                xgb.DMatrix(X, label=Y),
                1,
                obj=bo.xgboost_objective(mask=mask.take(slice(1, None))),
            )

    def test_masked_dmatrix_num_class_mismatch(self, X, mask):
        """XGBoost itself refuses a base_margin of K columns with num_class != K, before
        the objective runs; its message is terse but names base_margin and both sizes."""
        dtrain = bo.xgboost_dmatrix(X, Y, mask=mask)
        with pytest.raises(xgb.core.XGBoostError, match=msg("base_margin", f"({K} vs. {K + 1})")):
            xgb.train({**XGB_PARAMS, "num_class": K + 1}, dtrain, 1, obj=bo.xgboost_objective())

    def test_no_num_class(self, X):
        params = {k: v for k, v in XGB_PARAMS.items() if k != "num_class"}
        with pytest.raises(
            ValueError,
            match=msg(
                "predt: a multiclass loss", f"got shape ({N},)", "Set num_class=K in the xgboost parameters"
            ),
        ):
            xgb.train(params, xgb.DMatrix(X, label=Y), 1, obj=bo.xgboost_objective())

    def test_non_integer_label_in_plain_dmatrix(self, X):
        # (XGBoost itself refuses a NaN label when the DMatrix is built; 1.5 it accepts)
        y = Y.astype(float)
        y[0] = 1.5
        with pytest.raises(ValueError, match=msg("y_true: expected integer class indices", "row 0", "1.5")):
            xgb.train(XGB_PARAMS, xgb.DMatrix(X, label=y), 1, obj=bo.xgboost_objective())

    @pytest.mark.parametrize("field", ["label", "weight"])
    def test_backend_refuses_nan_label_and_negative_weight_itself(self, X, field):
        """Pinned so that the tests above stay meaningful: XGBoost's DMatrix already
        refuses these (boostobj's checks are for plain arrays and LightGBM)."""
        kwargs = {"label": Y.astype(float)}
        if field == "label":
            kwargs["label"][0] = np.nan
        else:
            kwargs["weight"] = -np.ones(N)
        with pytest.raises(
            xgb.core.XGBoostError, match="Label contains NaN" if field == "label" else "Weights"
        ):
            xgb.DMatrix(X, **kwargs)


class TestLightGBMTraining:
    def test_bound_mask_label_invalid(self, X, mask):
        params = {**LGB_PARAMS, "objective": bo.lightgbm_objective(mask=mask)}
        booster = None
        with pytest.raises(
            ValueError, match=msg(f"y_true: the label {BAD_LABEL} of row {BAD_ROW}", valid_str(BAD_ROW))
        ):
            booster = lgb.train(params, lgb.Dataset(X, Y_BAD), 1)
        assert booster is None

    def test_margin_mask_label_invalid(self, X, mask):
        ds = lgb.Dataset(X, Y_BAD, init_score=mask.margin_offset(np.float64, "F"))
        with pytest.raises(ValueError, match=msg(f"the label {BAD_LABEL} of row {BAD_ROW}")):
            lgb.train({**LGB_PARAMS, "objective": bo.lightgbm_objective()}, ds, 1)

    def test_bound_mask_num_class_mismatch(self, X, mask):
        params = {**LGB_PARAMS, "num_class": K + 1, "objective": bo.lightgbm_objective(mask=mask)}
        with pytest.raises(
            ValueError,
            match=msg(f"mask: has {K} classes but raw_prediction has {K + 1} columns", "(num_class)"),
        ):
            lgb.train(params, lgb.Dataset(X, Y), 1)

    def test_masked_dataset_num_class_mismatch(self, X, mask):
        """LightGBM refuses an init_score of K columns with num_class != K before the
        objective runs; its message names neither size (see the report)."""
        params = {**LGB_PARAMS, "num_class": K + 1, "objective": bo.lightgbm_objective()}
        with pytest.raises(lgb.basic.LightGBMError, match="initial score"):
            lgb.train(params, bo.lightgbm_dataset(X, Y, mask=mask), 1)

    def test_negative_weight_in_plain_dataset(self, X):
        w = np.ones(N)
        w[3] = -1.0
        params = {**LGB_PARAMS, "objective": bo.lightgbm_objective()}
        with pytest.raises(
            ValueError, match=msg("sample_weight: weights must be finite and >= 0", "row 3", "-1.0")
        ):
            lgb.train(params, lgb.Dataset(X, Y, weight=w), 1)

    def test_non_integer_label_in_plain_dataset(self, X):
        y = Y.astype(float)
        y[2] = 2.5
        params = {**LGB_PARAMS, "objective": bo.lightgbm_objective()}
        with pytest.raises(ValueError, match=msg("y_true: expected integer class indices", "row 2", "2.5")):
            lgb.train(params, lgb.Dataset(X, y), 1)

    def test_no_num_class(self, X):
        params = {k: v for k, v in LGB_PARAMS.items() if k != "num_class"}
        params["objective"] = bo.lightgbm_objective()
        with pytest.raises(
            ValueError,
            match=msg(
                "predt: a multiclass loss", f"got shape ({N},)", "Set num_class=K in the lightgbm parameters"
            ),
        ):
            lgb.train(params, lgb.Dataset(X, Y), 1)


# ====================================================================== predict_proba
class TestPredictProba:
    @pytest.mark.parametrize("booster, found", [("model", "str"), (None, "NoneType"), (object(), "object")])
    def test_not_a_booster(self, X, booster, found):
        with pytest.raises(
            TypeError, match=msg("booster: expected an xgboost.Booster or a lightgbm.Booster", f"got {found}")
        ):
            bo.predict_proba(booster, X)

    def test_sklearn_wrapper_is_not_a_booster(self, X):
        with pytest.raises(TypeError, match=msg("got XGBClassifier", "get_booster()")):
            bo.predict_proba(xgb.XGBClassifier(), X)

    @pytest.mark.parametrize("backend", ["xgb", "lgb"])
    def test_mask_rows_differ(self, request, X, mask, backend):
        booster = request.getfixturevalue(f"{backend}_booster")
        with pytest.raises(ValueError, match=msg(f"mask: has {N - 5} rows but X has {N}")):
            bo.predict_proba(booster, X, mask=mask.take(slice(5, None)))

    @pytest.mark.parametrize("backend", ["xgb", "lgb"])
    def test_init_score_nan(self, request, X, mask, backend):
        booster = request.getfixturevalue(f"{backend}_booster")
        with pytest.raises(ValueError, match=msg("init_score: expected finite values", "class 0 has nan")):
            bo.predict_proba(booster, X, mask=mask, init_score=[np.nan, 0.0, 0.0, 0.0])

    def test_dmatrix_with_init_score(self, xgb_booster, X, mask):
        with pytest.raises(ValueError, match=msg("init_score: a DMatrix carries its own base_margin")):
            bo.predict_proba(xgb_booster, bo.xgboost_dmatrix(X, mask=mask), init_score=np.zeros(K))

    def test_lightgbm_dataset_as_data(self, lgb_booster, X):
        with pytest.raises(
            TypeError, match=msg("data: LightGBM predicts from features", "not from a Dataset")
        ):
            bo.predict_proba(lgb_booster, lgb.Dataset(X))

    @pytest.mark.parametrize("backend", ["xgb", "lgb"])
    def test_mask_classes_differ_from_booster(self, request, X, backend):
        booster = request.getfixturevalue(f"{backend}_booster")
        with pytest.raises(ValueError, match=msg("mask", f"{K + 1}", f"{K}")):
            bo.predict_proba(booster, X, mask=ClassMask.full(N, K + 1))


class TestTransitionMaskAndMetricOptions:
    def test_column_of_a_bad_type(self):
        with pytest.raises(TypeError, match=r"column: expected a column position or name; got 1.5"):
            bo.TransitionMask(1.5, np.ones((2, 2), bool))

    def test_column_name_without_a_dataframe(self):
        with pytest.raises(
            TypeError, match=r"column: a column name \('state'\) needs a DataFrame X; got ndarray"
        ):
            bo.TransitionMask("state", np.ones((2, 2), bool))(np.zeros((3, 2)))

    def test_non_integer_state(self):
        with pytest.raises(ValueError, match=r"X: row 1 has state 0.5 in column 0; expected an integer"):
            bo.TransitionMask(0, np.ones((2, 2), bool))(np.array([[0.0], [0.5]]))

    def test_allowed_row_without_a_valid_class(self):
        with pytest.raises(ValueError, match=r"^allowed: row 1 has no valid class"):
            bo.TransitionMask(0, np.array([[True, False], [False, False]]))

    @pytest.mark.parametrize("make", [bo.xgboost_metric, bo.lightgbm_metric])
    def test_output_margin_must_be_a_bool(self, make):
        with pytest.raises(TypeError, match=r"output_margin: expected True or False; got 'no'"):
            make("mlogloss", output_margin="no")


def test_balanced_class_weight_with_tiny_sample_weights_does_not_overflow():
    # class 0 holds weight 1e-308, so its balanced class weight (~2e308) overflows float64;
    # the row's weight (sample weight times class weight, ~2) does not
    y, raw = np.array([0, 1]), np.zeros((2, 2))
    sw = np.array([1e-308, 4.0])
    loss = SoftmaxLoss(class_weight="balanced", hessian="exact")
    grad, _ = loss.gradient_hessian(y, raw, sample_weight=sw)
    total = sw.sum() / 2  # total weight / number of classes present
    np.testing.assert_allclose(grad[:, 0], [-0.5 * total, 0.5 * total], rtol=1e-12)
    np.testing.assert_allclose(loss.loss(y, raw, sample_weight=sw), np.log(2) * total, rtol=1e-12)
    with pytest.raises(ValueError, match="class_weight: sample weight times class weight overflows in row 1"):
        SoftmaxLoss(class_weight=[1.0, 1e300]).gradient_hessian(y, raw, sample_weight=[1.0, 1e10])


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [">f4", ">f8", "<f8"])
def test_big_endian_margins_give_the_native_results(dtype, order):
    """Margins in either byte order (e.g. read from a big-endian file): the kernels need
    native floats; every entry point converts them, none fails inside numba."""
    from boostobj.grouped import GroupedSoftmaxLoss

    rng = np.random.default_rng(0)
    raw = np.asarray(rng.normal(size=(N, K)), order=order)
    odd = raw.astype(dtype)
    native = odd.astype(np.dtype(dtype).newbyteorder("="))
    labels = (raw > 0).astype(float)
    chosen = np.zeros(N)
    chosen[[0, N // 2]] = 1.0  # one chosen row in each of the two groups
    calls = {
        "softmax": lambda r: SoftmaxLoss().gradient_hessian(Y, r, mask=ROWS),
        "softmax-margins": lambda r: SoftmaxLoss().gradient_hessian(Y, r),
        "softmax-loss": lambda r: SoftmaxLoss().loss(Y, r, mask=ROWS),
        "softmax-proba": lambda r: SoftmaxLoss().predict_proba(r, mask=ROWS),
        "focal": lambda r: bo.FocalLoss().gradient_hessian(Y, r),
        "smoothing": lambda r: bo.LabelSmoothingLoss(0.1).gradient_hessian(Y, r),
        "grouped": lambda r: GroupedSoftmaxLoss([2, 2]).gradient_hessian(np.zeros((N, 2), int), r),
        "multilabel": lambda r: bo.MultiLabelLoss().gradient_hessian(labels, r),
        "binary": lambda r: BinaryLogLoss().gradient_hessian(labels[:, 0], r[:, 0]),
        "choice": lambda r: bo.ChoiceLoss().gradient_hessian(chosen, r[:, 0], group=[N // 2] * 2),
    }
    for name, call in calls.items():
        got, want = call(odd), call(native)
        got, want = (x if isinstance(x, tuple) else (x,) for x in (got, want))
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
def test_big_endian_outputs_are_refused_by_name(out):
    """The kernels write native floats: a big-endian output array (or writing in place over
    big-endian margins, which the loss reads through a native copy) is refused by name."""
    raw = np.zeros((N, K), ">f8")
    message = f"^{out}: expected float32 or float64 in this machine's byte order; got >f8"
    with pytest.raises(TypeError, match=message):
        SoftmaxLoss().gradient_hessian(Y, raw, mask=ROWS, **{out: raw})
    with pytest.raises(TypeError, match=message):
        bo.MultiLabelLoss().gradient_hessian(np.zeros((N, K)), raw.astype("<f8"), **{out: raw})
