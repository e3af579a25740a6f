"""A pandas mask indexed unlike pandas features is an error at every function that takes
both, never read by position in silence (the estimators' ``valid_mask`` check, extended to
the booster-level functions: ``predict_proba``, ``predict_margin``, ``xgboost_dmatrix``,
``lightgbm_dataset``).

Masks are matched to rows by position, so a shuffled or re-sliced mask would give each
row another row's classes. Inputs with no index to compare (NumPy arrays, lists, a
``ClassMask``) and a mask whose index equals X's keep working, with the probabilities
of the same mask as a boolean array.
"""

from __future__ import annotations

import re

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import boostobj as bo
from boostobj._maskgrammar import check_aligned
from boostobj.datasets import make_transition_data

K, N, N_TRAIN = 4, 160, 120
MESSAGE = (
    "mask: its index differs from X's; masks are matched to rows by position, so align them first "
    "(e.g. mask.loc[X.index]) or pass plain arrays"
)
BACKENDS = ["xgboost", "lightgbm"]


@pytest.fixture(scope="module")
def data():
    X, y, mask = make_transition_data(N, K, 2, n_features=4, random_state=0)
    return X, y, mask.to_dense()


@pytest.fixture(scope="module")
def boosters(data):
    X, y, valid = data
    train = slice(0, N_TRAIN)
    xgb_params = {"num_class": K, "nthread": 1, "disable_default_eval_metric": 1, "max_depth": 3}
    xgb_booster = xgb.train(
        xgb_params, bo.xgboost_dmatrix(X[train], y[train], mask=valid[train]), 3, obj=bo.xgboost_objective()
    )
    lgb_params = {
        "num_class": K,
        "objective": bo.lightgbm_objective(),
        "verbose": -1,
        "num_threads": 1,
        "num_leaves": 7,
        "min_data_in_leaf": 5,
    }
    lgb_booster = lgb.train(lgb_params, bo.lightgbm_dataset(X[train], y[train], mask=valid[train]), 3)
    return {"xgboost": xgb_booster, "lightgbm": lgb_booster}


def _test_frames(data):
    """X's test rows as a DataFrame (index 120..159) and their mask as one, same index."""
    X, _, valid = data
    return pd.DataFrame(X).iloc[N_TRAIN:], pd.DataFrame(valid).iloc[N_TRAIN:]


MISALIGNED = [
    "shuffled rows",
    "index from 0",
    "Series of lists, shuffled",
    "Series of lists, index from 0",
]


def _misaligned(data):
    """Masks of X's test rows whose index is not X's, by kind (``MISALIGNED``)."""
    _, _, valid = data
    X_test, mask = _test_frames(data)
    lists = pd.Series([list(np.flatnonzero(row)) for row in valid[N_TRAIN:]], index=X_test.index)
    return {
        "shuffled rows": mask.sample(frac=1.0, random_state=0),
        "index from 0": mask.reset_index(drop=True),
        "Series of lists, shuffled": lists.sample(frac=1.0, random_state=0),
        "Series of lists, index from 0": lists.reset_index(drop=True),
    }


# ---------------------------------------------------------------------- refused
@pytest.mark.parametrize("kind", MISALIGNED)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("function", ["predict_proba", "predict_margin"])
def test_prediction_refuses_a_mask_indexed_unlike_data(data, boosters, backend, function, kind):
    X_test, _ = _test_frames(data)
    with pytest.raises(ValueError, match=f"^{re.escape(MESSAGE)}$"):
        getattr(bo, function)(boosters[backend], X_test, mask=_misaligned(data)[kind])


@pytest.mark.parametrize("kind", MISALIGNED)
@pytest.mark.parametrize("builder", ["xgboost_dmatrix", "lightgbm_dataset"])
def test_dataset_builders_refuse_a_mask_indexed_unlike_X(data, builder, kind):
    _, y, _ = data
    X_test, _ = _test_frames(data)
    with pytest.raises(ValueError, match=f"^{re.escape(MESSAGE)}$"):
        getattr(bo, builder)(X_test, y[N_TRAIN:], mask=_misaligned(data)[kind])


def test_saved_model_refuses_a_mask_indexed_unlike_data(data, boosters, tmp_path):
    bo.save_model(boosters["xgboost"], tmp_path / "model.json")
    saved = bo.load_model(tmp_path / "model.json")
    X_test, mask = _test_frames(data)
    with pytest.raises(ValueError, match=f"^{re.escape(MESSAGE)}$"):
        saved.predict_proba(X_test, mask=mask.sample(frac=1.0, random_state=0))


# ---------------------------------------------------------------------- still accepted
def _aligned_or_unindexed(data):
    """Masks of the test rows that must be read as they are: ``(X, mask)`` pairs."""
    X, _, valid = data
    X_test, mask = _test_frames(data)
    lists = [list(np.flatnonzero(row)) for row in valid[N_TRAIN:]]
    return {
        "DataFrame mask, X's index": (X_test, mask),
        "Series of lists, X's index": (X_test, pd.Series(lists, index=X_test.index)),
        "list of lists, DataFrame X": (X_test, lists),
        "tuple of tuples, DataFrame X": (X_test, tuple(tuple(row) for row in lists)),
        "ClassMask, DataFrame X": (X_test, bo.ClassMask.from_lists(lists, K)),
        "DataFrame mask, NumPy X": (X[N_TRAIN:], mask),
        "DataFrame mask indexed from 0, NumPy X": (X[N_TRAIN:], mask.reset_index(drop=True)),
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_prediction_reads_aligned_and_unindexed_masks(data, boosters, backend):
    X, _, valid = data
    booster = boosters[backend]
    expected = bo.predict_proba(booster, X[N_TRAIN:], mask=valid[N_TRAIN:])
    expected_raw = bo.predict_margin(booster, X[N_TRAIN:], mask=valid[N_TRAIN:])
    for name, (features, mask) in _aligned_or_unindexed(data).items():
        np.testing.assert_array_equal(bo.predict_proba(booster, features, mask=mask), expected, err_msg=name)
        raw = bo.predict_margin(booster, features, mask=mask)
        np.testing.assert_array_equal(raw, expected_raw, err_msg=name)


def test_dataset_builders_read_aligned_and_unindexed_masks(data):
    _, y, valid = data
    offset = bo.ClassMask.from_dense(valid[N_TRAIN:]).margin_offset  # XGBoost float32, LightGBM float64
    labels = pd.Series(y[N_TRAIN:], index=_test_frames(data)[0].index)
    zero = np.zeros(K)  # an intercept, for K: per-row lists alone do not give it
    for name, (features, mask) in _aligned_or_unindexed(data).items():
        dtrain = bo.xgboost_dmatrix(features, labels, mask=mask, init_score=zero)
        margins = dtrain.get_base_margin().reshape(-1, K)
        np.testing.assert_array_equal(margins, offset(dtype=np.float32), err_msg=name)
        dataset = bo.lightgbm_dataset(features, labels, mask=mask, init_score=zero, free_raw_data=False)
        dataset.construct()
        start = np.asarray(dataset.get_init_score()).reshape(-1, K, order="F")
        np.testing.assert_array_equal(start, offset(dtype=np.float64), err_msg=name)


# ---------------------------------------------------------------------- the shared check
def test_check_aligned_names_the_argument_and_compares_only_indexes():
    X = pd.DataFrame(np.zeros((3, 2)), index=[10, 11, 12])
    with pytest.raises(ValueError, match=r"^valid_mask\[1\]: its index differs from X's; "):
        check_aligned(X, pd.Series([[0], [1], [0]]), "valid_mask[1]")
    check_aligned(X, pd.DataFrame(np.ones((3, 2), bool), index=pd.Index([10, 11, 12], name="row")), "mask")
    for no_index in ([[0], [1], [0]], ((0,), (1,), (0,)), np.ones((3, 2), bool), None):
        check_aligned(X, no_index, "mask")  # nothing to compare (list.index is a method)
    check_aligned(np.zeros((3, 2)), pd.DataFrame(np.ones((3, 2), bool), index=[5, 6, 7]), "mask")


@pytest.mark.parametrize("cls", [bo.MaskedXGBClassifier, bo.MaskedLGBMClassifier])
def test_estimators_read_per_row_lists_with_a_dataframe_x(data, cls):
    """A list of per-row lists has no index (``list.index`` is a method): the estimators used
    to refuse it with a DataFrame X as misaligned."""
    X, y, valid = data
    frame = pd.DataFrame(X, index=np.arange(N) + 1000)
    lists = [list(np.flatnonzero(row)) for row in valid]
    clf = cls(n_estimators=2, n_jobs=1).fit(frame, y, valid_mask=lists)
    expected = clf.predict_proba(X, valid_mask=valid)
    np.testing.assert_array_equal(clf.predict_proba(frame, valid_mask=lists), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_explain_refuses_a_mask_indexed_unlike_x(data, boosters, backend):
    X_test, mask = _test_frames(data)
    with pytest.raises(ValueError, match=f"^{re.escape(MESSAGE)}$"):
        bo.explain(boosters[backend], X_test, mask=mask.sample(frac=1.0, random_state=0))
    aligned = bo.explain(boosters[backend], X_test, mask=mask)
    np.testing.assert_array_equal(aligned.valid, mask.to_numpy())


def test_the_same_labels_in_another_index_dtype_are_aligned(data, boosters):
    """RangeIndex against a nullable Int64 index of the same labels: ``Index.equals`` says
    they differ, but they list the same rows (the Dask partition check compares values too)."""
    X, _, valid = data
    X_test = pd.DataFrame(X[N_TRAIN:])
    same = pd.DataFrame(valid[N_TRAIN:], index=pd.Index(range(N - N_TRAIN), dtype="Int64"))
    expected = bo.predict_proba(boosters["xgboost"], X[N_TRAIN:], mask=valid[N_TRAIN:])
    np.testing.assert_array_equal(bo.predict_proba(boosters["xgboost"], X_test, mask=same), expected)
    with pytest.raises(ValueError, match=f"^{re.escape(MESSAGE)}$"):
        bo.predict_proba(boosters["xgboost"], X_test, mask=same.iloc[::-1])
