"""The mask at the boundaries (issue "the mask is never silently lost or misread"): one
regression test per way a mask used to be misread or dropped, each asserting the exact
model, the exact probabilities or the exact error.

References are independent of the path under test: a straight training run for
continuation, the same model fed a boolean ``ndarray`` mask for the other containers.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import sklearn
import xgboost as xgb
from sklearn.model_selection import KFold, cross_val_predict, cross_validate

import boostobj as bo
from boostobj import MaskedLGBMClassifier, MaskedXGBClassifier
from boostobj.datasets import make_transition_data

K = 6
ESTIMATORS = [MaskedXGBClassifier, MaskedLGBMClassifier]
LGB = {"num_class": K, "verbose": -1, "num_threads": 1, "learning_rate": 0.3, "num_leaves": 7}
XGB = {"num_class": K, "nthread": 1, "disable_default_eval_metric": 1, "max_depth": 3}


@pytest.fixture(scope="module")
def data():
    X, y, mask = make_transition_data(900, K, 2, n_features=4, random_state=3)
    return X, y, mask, bo.SoftmaxLoss().init_raw_prediction(y, mask=mask)


def small(cls, **kwargs):
    extra = {"num_leaves": 7, "min_child_samples": 5} if cls is MaskedLGBMClassifier else {"max_depth": 3}
    return cls(**{"n_estimators": 6, "n_jobs": 1, **extra, **kwargs})


# ---------------------------------------------------------------------- 1, 2: containers
def _containers(mask):
    dense = mask.to_dense()
    objects = np.empty(len(dense), dtype=object)
    objects[:] = list(dense)
    return {
        "tolist": dense.tolist(),
        "list of arrays": list(dense),
        "object array": objects,
        "DataFrame, reordered columns": pd.DataFrame(dense)[list(range(K))[::-1]],
        "Series of label lists": pd.Series([list(np.flatnonzero(r)) for r in dense]),
    }


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dense_masks_in_any_container_give_the_same_model(cls, data):
    X, y, mask, _ = data
    reference = small(cls).fit(X, y, valid_mask=mask.to_dense())
    expected = reference.predict_proba(X, valid_mask=mask.to_dense())
    for name, form in _containers(mask).items():
        np.testing.assert_array_equal(reference.predict_proba(X, valid_mask=form), expected, err_msg=name)
        refit = small(cls).fit(X, y, valid_mask=form)
        np.testing.assert_array_equal(refit.predict_proba(X, valid_mask=form), expected, err_msg=name)


def test_mask_from_returning_lists_is_read_as_dense(data):
    X, y, mask, _ = data
    clf = small(MaskedXGBClassifier, mask_from=lambda X_: mask.to_dense().tolist()).fit(X, y)
    expected = small(MaskedXGBClassifier).fit(X, y, valid_mask=mask).predict_proba(X, valid_mask=mask)
    np.testing.assert_array_equal(clf.predict_proba(X), expected)


def test_square_dataframe_with_class_named_columns(data):
    """n == K and class-named columns: used to give every row only 'its own' class."""
    X, y, mask, _ = data
    labels = np.array(["a", "b", "c", "d", "e", "f"])
    X6, y6 = X[:K], labels[y[:K]]
    dense = mask.to_dense()[:K]
    frame = pd.DataFrame(dense, columns=labels)[["f", "a", "e", "b", "d", "c"]]
    clf = small(MaskedXGBClassifier, classes=labels, n_estimators=2).fit(X6, y6, valid_mask=frame)
    proba = clf.predict_proba(X6, valid_mask=frame)
    np.testing.assert_array_equal(proba > 0, dense)
    np.testing.assert_array_equal(proba, clf.predict_proba(X6, valid_mask=dense))


def test_misaligned_pandas_index_is_an_error(data):
    X, y, mask, _ = data
    frame_X = pd.DataFrame(X)
    frame_mask = pd.DataFrame(mask.to_dense()).sample(frac=1.0, random_state=0)
    with pytest.raises(ValueError, match="valid_mask: its index differs from X's"):
        small(MaskedXGBClassifier).fit(frame_X, y, valid_mask=frame_mask)
    clf = small(MaskedXGBClassifier).fit(frame_X, y, valid_mask=frame_mask.sort_index())
    assert clf.masked_fit_


# ---------------------------------------------------------------------- 3: continuation
def _lgb_dataset(X, y, mask, b, **kwargs):
    return bo.lightgbm_dataset(X, y, mask=mask, init_score=b, free_raw_data=False, **kwargs)


def test_lightgbm_continuation_equals_one_straight_run(data):
    X, y, mask, b = data
    params = {**LGB, "objective": bo.lightgbm_objective()}
    straight_eval: dict = {}
    d0 = _lgb_dataset(X, y, mask, b)
    v0 = _lgb_dataset(X, y, mask, b, reference=d0)
    straight = lgb.train(
        params,
        d0,
        8,
        valid_sets=[v0],
        feval=bo.lightgbm_metric(),
        callbacks=[lgb.record_evaluation(straight_eval)],
    )
    d = _lgb_dataset(X, y, mask, b)
    v = _lgb_dataset(X, y, mask, b, reference=d)
    first_eval: dict = {}
    second_eval: dict = {}
    first = lgb.train(
        params,
        d,
        4,
        valid_sets=[v],
        feval=bo.lightgbm_metric(),
        callbacks=[lgb.record_evaluation(first_eval)],
    )
    second = lgb.train(
        params,
        d,
        4,
        init_model=first,
        valid_sets=[v],
        feval=bo.lightgbm_metric(),
        callbacks=[lgb.record_evaluation(second_eval)],
    )
    expected = bo.predict_proba(straight, X, mask=mask, init_score=b)
    np.testing.assert_allclose(
        bo.predict_proba(second, X, mask=mask, init_score=b), expected, rtol=0, atol=1e-12
    )
    curve = first_eval["valid_0"]["masked-mlogloss"] + second_eval["valid_0"]["masked-mlogloss"]
    np.testing.assert_allclose(curve, straight_eval["valid_0"]["masked-mlogloss"], rtol=1e-12)
    # and LightGBM's reset of init_score to 0 when the same Dataset is trained again
    again = lgb.train(params, d, 8)
    np.testing.assert_allclose(
        bo.predict_proba(again, X, mask=mask, init_score=b), expected, rtol=0, atol=1e-12
    )


def test_lightgbm_cv_folds_carry_the_record(data):
    X, y, mask, b = data
    params = {**LGB, "objective": bo.lightgbm_objective(), "metric": "None"}
    result = lgb.cv(
        params, _lgb_dataset(X, y, mask, b), 3, nfold=3, feval=bo.lightgbm_metric(), stratified=False
    )
    assert np.isfinite(result["valid masked-mlogloss-mean"]).all()


def test_lightgbm_continuation_under_a_builtin_objective_is_an_error(data):
    X, y, mask, b = data
    params = {**LGB, "objective": "multiclass", "metric": "None"}
    d = _lgb_dataset(X, y, mask, b)
    first = lgb.train(params, d, 2)
    v = _lgb_dataset(X, y, mask, b, reference=d)
    with pytest.raises(ValueError, match="init_score: LightGBM replaced the data set's init_score"):
        lgb.train(
            params, d, 2, init_model=first, valid_sets=[v], feval=bo.lightgbm_metric(output_margin=False)
        )


def test_xgboost_continuation_equals_one_straight_run(data):
    X, y, mask, b = data
    obj = bo.xgboost_objective()
    straight = xgb.train(XGB, bo.xgboost_dmatrix(X, y, mask=mask, init_score=b), 8, obj=obj)
    d = bo.xgboost_dmatrix(X, y, mask=mask, init_score=b)
    second = xgb.train(XGB, d, 4, obj=obj, xgb_model=xgb.train(XGB, d, 4, obj=obj))
    np.testing.assert_array_equal(
        bo.predict_proba(second, X, mask=mask, init_score=b),
        bo.predict_proba(straight, X, mask=mask, init_score=b),
    )


# ---------------------------------------------------------------------- 4: start margins
@pytest.mark.parametrize("value", [1e30, 9.5e29, -2e29, 3e38, 1e6, 1000.5, np.nan])
@pytest.mark.parametrize("build", [bo.xgboost_dmatrix, bo.lightgbm_dataset])
def test_intercepts_that_could_flip_validity_are_errors(build, value, data):
    X, y, mask, b = data
    with pytest.raises(ValueError, match=r"^init_score: expected finite values with \|value\| <= 1000 "):
        build(X, y, mask=mask, init_score=np.full(K, value))


def test_replaced_base_margin_is_an_error(data):
    X, y, mask, b = data
    d = bo.xgboost_dmatrix(X, y, mask=mask, init_score=b)
    xgb.train(XGB, d, 1, obj=bo.xgboost_objective())  # intact: trains
    d.set_base_margin(np.zeros((len(y), K)))
    with pytest.raises(ValueError, match=r"^base_margin: the data set no longer carries the mask"):
        xgb.train(XGB, d, 1, obj=bo.xgboost_objective())
    d.set_info(base_margin=mask.margin_offset() + np.float32(3e38) * mask.to_dense())
    with pytest.raises(ValueError, match=r"^base_margin: the start margin of row 0, class \d is 3e\+38"):
        xgb.train(XGB, d, 1, obj=bo.xgboost_objective())
    d.set_base_margin(mask.margin_offset() + 0.5)  # the offset kept, another intercept: the user's choice
    xgb.train(XGB, d, 1, obj=bo.xgboost_objective())


def test_replaced_init_score_is_an_error(data):
    X, y, mask, b = data
    d = _lgb_dataset(X, y, mask, b).construct()
    d.set_init_score(np.ones(len(y) * K))
    with pytest.raises(ValueError, match=r"^init_score: the data set no longer carries the mask"):
        lgb.train({**LGB, "objective": bo.lightgbm_objective()}, d, 1)


def test_replaced_base_margin_is_seen_by_the_metric(data):
    X, y, mask, b = data
    d = bo.xgboost_dmatrix(X, y, mask=mask, init_score=b)
    d.set_base_margin(np.zeros((len(y), K)))
    booster = xgb.train(XGB, bo.xgboost_dmatrix(X, y, mask=mask, init_score=b), 1, obj=bo.xgboost_objective())
    with pytest.raises(ValueError, match=r"^base_margin: the data set no longer carries the mask"):
        bo.xgboost_metric()(booster.predict(d, output_margin=True), d)


# ---------------------------------------------------------------------- 5: predicting without the mask
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict_proba", "predict", "score"])
def test_masked_fit_needs_a_mask_to_predict(cls, method, data):
    X, y, mask, _ = data
    clf = small(cls).fit(X, y, valid_mask=mask)
    call = getattr(clf, method)
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(
        ValueError, match=rf"^valid_mask: this model was fitted with per-row masks, so {method}"
    ):
        call(*args)
    call(*args, valid_mask="all")  # every class, explicitly
    unmasked = small(cls).fit(X, y)
    assert not unmasked.masked_fit_
    call_unmasked = getattr(unmasked, method)
    call_unmasked(*args)


def test_cross_val_predict_refuses_routed_masks_and_takes_mask_from(data):
    """scikit-learn's cross_val_predict routes metadata to fit only: with routed masks the
    predictions would be unmasked, so they are an error; mask_from needs no routing."""
    X, y, mask, _ = data
    folds = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = (
            small(MaskedXGBClassifier)
            .set_fit_request(valid_mask=True)
            .set_predict_proba_request(valid_mask=True)
        )
        with pytest.raises(ValueError, match="scorers and cross_val_predict route no metadata to prediction"):
            cross_val_predict(est, X, y, cv=folds, params={"valid_mask": mask}, method="predict_proba")
    _, _, _, allowed = make_transition_data(900, K, 2, n_features=4, random_state=3, return_allowed=True)
    rule = bo.TransitionMask(0, allowed)
    assert rule(X) == mask
    proba = cross_val_predict(
        small(MaskedXGBClassifier, mask_from=rule), X, y, cv=folds, method="predict_proba"
    )
    for train, test in folds.split(X):
        fold = small(MaskedXGBClassifier).fit(X[train], y[train], valid_mask=mask[train])
        np.testing.assert_array_equal(proba[test], fold.predict_proba(X[test], valid_mask=mask[test]))


# ---------------------------------------------------------------------- weak spots
def test_weights_that_overflow_float32(data):
    X, y, mask, b = data
    weight = np.ones(len(y))
    weight[5] = 1e39
    with pytest.raises(
        ValueError, match=r"^weight: row 5 has 1e\+39; in float32 .* overflow for weights above 2.1"
    ):
        bo.xgboost_dmatrix(X, y, mask=mask, weight=weight)
    weight[5] = 3e38  # finite in float32, but times a class weight of 10 it is not
    raw = np.zeros((len(y), K), dtype=np.float32)
    loss = bo.SoftmaxLoss(class_weight=np.full(K, 10.0))
    with pytest.raises(ValueError, match=r"^sample_weight: the weight of row 5 .* overflow"):
        loss.gradient_hessian(y, raw, sample_weight=weight, mask=mask)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_labels_with_missing_values(cls, missing, data):
    X, *_ = data
    y = np.array(["a", "b", "c"] * 300, dtype=object)
    y[7] = missing
    with pytest.raises(ValueError, match=r"^y: row 7 has a missing label"):
        small(cls).fit(X, y)
    with pytest.raises(ValueError, match=r"^y: row 7 has a missing label"):
        small(cls).fit(X, pd.Series(y, dtype="string" if missing is pd.NA else object))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_empty_sample_weight(cls, data):
    X, y, *_ = data
    with pytest.raises(ValueError, match=r"^sample_weight: expected shape \(900,\); got \(0,\)"):
        small(cls).fit(X, y, sample_weight=[])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_mask_from_returning_1d(cls, data):
    X, y, *_ = data
    with pytest.raises(ValueError, match=r"^mask_from\(X\): expected one row per sample"):
        small(cls, mask_from=lambda X_: np.ones(len(X_), dtype=bool)).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"num_iterations": 50}, "'num_iterations' is lightgbm's number of rounds"),
        ({"n_iter": 50}, "'n_iter' is lightgbm's number of rounds"),
        ({"num_boost_round": 50}, "set n_estimators"),
        ({"boosting": "rf"}, "'boosting' is lightgbm's boosting type"),
        ({"boosting_type": "rf"}, "random forest"),
        (
            {"reg_lambda": 5.0},
            "'reg_lambda' is lightgbm's L2 penalty, which the estimator sets itself; set reg_lambda",
        ),
        ({"shrinkage_rate": 0.5}, "set learning_rate"),
        ({"max_leaves": 8}, "set num_leaves"),
        ({"objective": "multiclassova"}, "choose it with loss="),
        ({"nthread": 100000}, "set n_jobs"),
        ({"early_stopping": 3}, "set early_stopping_rounds"),
    ],
)
def test_lightgbm_booster_params_that_would_override_the_estimator(params, message, data):
    X, y, *_ = data
    with pytest.raises(ValueError, match=r"^booster_params: ") as info:
        small(MaskedLGBMClassifier, booster_params=params).fit(X, y)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"num_class": 3}, "'num_class' is xgboost's num_class"),
        (
            {"eta": 0.9},
            "'eta' is xgboost's learning rate, which the estimator sets itself; set learning_rate",
        ),
        ({"lambda": 3.0}, "set reg_lambda"),
        ({"max_depth": 9}, "set max_depth"),
    ],
)
def test_xgboost_booster_params_that_would_override_the_estimator(params, message, data):
    X, y, *_ = data
    with pytest.raises(ValueError, match=r"^booster_params: ") as info:
        small(MaskedXGBClassifier, booster_params=params).fit(X, y)
    assert message in str(info.value)


def test_every_lightgbm_alias_of_an_owned_parameter_is_refused():
    """Pins LightGBM's aliases (lightgbm.basic._ConfigAliases): a new alias of a parameter the
    estimator sets would otherwise be ignored silently by LightGBM or override it."""
    from lightgbm.basic import _ConfigAliases

    from boostobj._backends import LightGBMBackend

    reserved = {alias for aliases, _ in LightGBMBackend.reserved.values() for alias in aliases}
    owned = [
        "objective", "boosting", "num_iterations", "num_class", "metric", "early_stopping_round",
        "num_threads", "seed", "learning_rate", "num_leaves", "max_depth", "min_data_in_leaf",
        "bagging_fraction", "bagging_freq", "feature_fraction", "lambda_l1", "lambda_l2",
    ]  # fmt: skip
    for name in owned:
        assert _ConfigAliases.get(name) <= reserved, (name, _ConfigAliases.get(name) - reserved)


def test_scorers_never_score_unmasked_probabilities(data):
    """scikit-learn's scorers route nothing to predict_proba: the masked model refuses."""
    X, y, mask, _ = data
    with sklearn.config_context(enable_metadata_routing=True):
        est = (
            small(MaskedXGBClassifier)
            .set_fit_request(valid_mask=True)
            .set_predict_proba_request(valid_mask=True)
        )
        with pytest.raises(ValueError, match="scorers and cross_val_predict route no metadata"):
            cross_validate(
                est, X, y, cv=3, params={"valid_mask": mask}, scoring="neg_log_loss", error_score="raise"
            )


# ---------------------------------------------------------------------- 6: thread counts
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_jobs", [100000, -2])
def test_thread_counts_the_backends_cannot_take(cls, n_jobs, data):
    X, y, *_ = data
    with pytest.raises(
        ValueError, match=r"^n_jobs: expected None, -1 or 0 \(the backend's default\) or an integer"
    ):
        small(cls, n_jobs=n_jobs).fit(X, y)


# ---------------------------------------------------------------------- found by a hostile review
def test_lightgbm_subset_of_a_subset_continues_with_the_mask(data):
    X, y, mask, b = data
    params = {**LGB, "objective": bo.lightgbm_objective(), "metric": "None"}
    d = _lgb_dataset(X, y, mask, b).construct()
    first = lgb.train(params, d, 2)
    rows = np.arange(100, 300)
    nested = d.subset(list(range(400))).subset(list(range(100, 300)))
    direct = d.subset(list(rows))
    got = lgb.train(params, nested, 3, init_model=first)
    expected = lgb.train(params, direct, 3, init_model=first)
    np.testing.assert_array_equal(
        bo.predict_proba(got, X, mask=mask, init_score=b),
        bo.predict_proba(expected, X, mask=mask, init_score=b),
    )


def test_init_score_set_below_the_python_state(data):
    """Dataset.set_field writes LightGBM's copy only: the sampled check still sees it."""
    X, y, mask, b = data
    params = {**LGB, "objective": bo.lightgbm_objective()}
    d = _lgb_dataset(X, y, mask, b).construct()
    lgb.train(params, d, 1)
    d.set_field("init_score", np.ones(len(y) * K))
    with pytest.raises(ValueError, match=r"^init_score: the data set no longer carries the mask"):
        lgb.train(params, d, 1)


def test_xgboost_meta_set_around_the_wrappers(data):
    """A base_margin set through XGBoost's internals, around the counted setters."""
    from xgboost.data import dispatch_meta_backend

    X, y, mask, b = data
    d = bo.xgboost_dmatrix(X, y, mask=mask, init_score=b)
    xgb.train(XGB, d, 1, obj=bo.xgboost_objective())
    dispatch_meta_backend(d, np.zeros((len(y), K), dtype=np.float32), "base_margin", "float")
    with pytest.raises(ValueError, match=r"^base_margin: the data set no longer carries the mask"):
        xgb.train(XGB, d, 1, obj=bo.xgboost_objective())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_an_eval_set_without_a_mask_under_masked_training(cls, data):
    X, y, mask, _ = data
    with pytest.raises(ValueError, match=r"^eval_valid_mask: .* eval set 0 has None"):
        small(cls).fit(X, y, valid_mask=mask, eval_set=[(X, y)], eval_valid_mask=[None])
    clf = small(cls).fit(X, y, valid_mask=mask, eval_set=[(X, y)], eval_valid_mask=["all"])
    assert clf.evals_result_


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_an_integer_dense_mask_one_class_short_is_not_read_as_labels(cls, data):
    """y never takes class 2: classes_ has 2 labels, and a 3-wide 0/1 integer mask must not
    be read as per-row label lists (which would make every class valid)."""
    X, y, mask, _ = data
    y2 = y % 2
    dense = np.ones((len(y2), 3), dtype=int)
    with pytest.raises(ValueError, match="read two ways"):
        small(cls).fit(X, y2, valid_mask=dense)


def test_the_scikit_learn_apis_with_a_builtin_objective_and_a_margin_metric(data):
    """XGBClassifier/LGBMClassifier hand eval metrics probabilities with a built-in objective
    and no data set to tell: a metric expecting margins refuses rows of probabilities."""
    X, y, mask, _ = data
    offset = mask.margin_offset()
    with pytest.raises(
        ValueError, match=r"^predt: expected margins, but every row lies in \[0, 1\] and sums to 1"
    ):
        xgb.XGBClassifier(n_estimators=2, eval_metric=bo.xgboost_metric()).fit(
            X, y, base_margin=offset, eval_set=[(X, y)], base_margin_eval_set=[offset], verbose=False
        )
    with pytest.raises(
        ValueError, match=r"^predt: expected margins, but every row lies in \[0, 1\] and sums to 1"
    ):
        lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(
            X, y, init_score=offset.astype(float), eval_set=[(X, y)], eval_init_score=[offset.astype(float)],
            eval_metric=bo.lightgbm_metric(),
        )  # fmt: skip


def test_dask_dataframe_mask_partitioned_unlike_X_is_matched_by_label(data):
    pytest.importorskip("distributed")
    import dask.array as da
    import dask.dataframe as dd

    import boostobj.dask as bdask

    X, y, mask, _ = data
    frame = dd.from_pandas(pd.DataFrame(mask.to_dense())[list(range(K))[::-1]], npartitions=4)
    start = bdask.start_margins(da.from_array(X, chunks=(200, 4)), frame).compute()
    np.testing.assert_array_equal(start, mask.margin_offset(np.float64))


def test_transition_mask_on_other_feature_containers(data):
    X, y, mask, _ = data
    from scipy import sparse

    _, _, _, allowed = make_transition_data(900, K, 2, n_features=4, random_state=3, return_allowed=True)
    rule = bo.TransitionMask(0, allowed)
    assert rule(X.tolist()) == mask and rule(sparse.csr_matrix(X)) == mask
    with pytest.raises(ValueError, match=r"^column: 7 is out of range for X with 4 columns"):
        bo.TransitionMask(7, allowed)(X)
    labels = np.array([f"s{i}" for i in range(K)])
    named = bo.TransitionMask("state", allowed, states=labels)
    frame = pd.DataFrame({"state": labels[X[:, 0].astype(int)], "x": X[:, 1]})
    assert named(frame) == mask
    assert named(frame.astype({"state": "category"})) == mask
    with pytest.raises(
        ValueError, match=r"^X: row 0 has state 'nope' in column 'state', which is not one of states"
    ):
        named(frame.assign(state=["nope"] + frame.state.tolist()[1:]))
    with pytest.raises(TypeError, match=r"give states=\[...\] to name them"):
        bo.TransitionMask("state", allowed)(frame)


def test_a_pandas_table_must_say_its_rows_are_the_states():
    """``allowed`` as a DataFrame: its rows are read by position (the states 0..S-1, or
    ``states`` in order). An index naming them otherwise used to be ignored, so a table
    with its rows reordered gave each state another state's classes."""
    table = pd.DataFrame([[True, True, False], [False, True, True], [True, False, True]])
    X = np.array([[0.0], [1.0], [2.0]])
    reordered = table.loc[[2, 0, 1]]
    with pytest.raises(ValueError, match=r"^allowed: its index \(\[2, 0, 1\]\) is not the states 0..2"):
        bo.TransitionMask(0, reordered)
    rule = bo.TransitionMask(0, reordered, states=list(reordered.index))
    np.testing.assert_array_equal(rule(X).to_dense(), table.to_numpy())
    with pytest.raises(ValueError, match=r"^allowed: its index \(\[2, 0, 1\]\) differs from states"):
        bo.TransitionMask(0, reordered, states=[0, 1, 2])
    named = table.set_axis(["idle", "busy", "away"])
    rule = bo.TransitionMask("state", named, states=["idle", "busy", "away"])
    np.testing.assert_array_equal(rule(pd.DataFrame({"state": ["away"]})).to_dense(), table.to_numpy()[[2]])
    with pytest.raises(ValueError, match=r"^allowed: its index \(\[0, 1, 2\]\) differs from states"):
        bo.TransitionMask(0, table.set_axis([0, 1, 2]), states=[2, 0, 1])  # labels, not positions
    rule = bo.TransitionMask(0, table, states=[2, 0, 1])  # a default RangeIndex: rows by position
    np.testing.assert_array_equal(rule(np.array([[2.0]])).to_dense(), table.to_numpy()[[0]])
    for same in (table, pd.Series([[0, 1], [1, 2], [0, 2]])):  # the default index: as before
        np.testing.assert_array_equal(bo.TransitionMask(0, same, n_classes=3)(X).to_dense(), table.to_numpy())


@pytest.mark.parametrize("name", ["model.json", "model.ubj", "model.txt"])
def test_saved_and_loaded_models_still_refuse_to_predict_without_a_mask(name, data, tmp_path):
    X, y, mask, _ = data
    cls = MaskedLGBMClassifier if name.endswith(".txt") else MaskedXGBClassifier
    clf = small(cls).fit(X, y, valid_mask=mask)
    bo.save_model(clf, tmp_path / name)
    loaded = bo.load_model(tmp_path / name)
    assert loaded.masked_fit_
    with pytest.raises(ValueError, match="fitted with per-row masks"):
        loaded.predict_proba(X)
    np.testing.assert_array_equal(
        loaded.predict_proba(X, valid_mask=mask), clf.predict_proba(X, valid_mask=mask)
    )


@pytest.fixture(scope="module")
def xgb_booster(data):
    X, y, mask, _ = data
    params = {"num_class": K, "max_depth": 3, "nthread": 1, "disable_default_eval_metric": 1}
    return xgb.train(params, bo.xgboost_dmatrix(X, y, mask=mask), 3, obj=bo.xgboost_objective())


def test_a_dmatrix_and_a_mask_agree_or_it_is_an_error(data, xgb_booster):
    """predict_margin on a DMatrix with mask=: the offset where base_margin lacks it (a
    DMatrix without base_margin), an error where the two disagree (mask valid, base_margin
    invalid), and a DMatrix whose base_margin was replaced after xgboost_dmatrix is refused."""
    X, _, mask, _ = data
    dense = mask.to_dense()
    plain = bo.predict_margin(xgb_booster, xgb.DMatrix(X), mask=mask)  # XGBoost's base_score, no offset
    assert (plain[~dense] <= -1e29).all() and (plain[dense] > -1e29).all()
    expected = bo.predict_proba(xgb_booster, X, mask=mask)
    np.testing.assert_allclose(bo.predict_proba(xgb_booster, xgb.DMatrix(X), mask=mask), expected, atol=1e-6)
    built = bo.xgboost_dmatrix(X, mask=mask)
    np.testing.assert_array_equal(
        bo.predict_margin(xgb_booster, built, mask=mask), bo.predict_margin(xgb_booster, X, mask=mask)
    )
    other = dense.copy()
    other[5] = ~other[5]
    clash = r"^mask: class \d of row 5 is valid in mask but invalid in the DMatrix's base_margin"
    with pytest.raises(ValueError, match=clash):
        bo.predict_proba(xgb_booster, built, mask=other)
    built.set_base_margin(np.zeros(len(X) * K, np.float32))
    with pytest.raises(ValueError, match=r"^base_margin: the data set no longer carries the mask"):
        bo.predict_proba(xgb_booster, built)


def test_no_rows_predict_without_asking_the_backend(data, xgb_booster):
    """An empty array whose data pointer is not aligned (as an empty Dask partition can
    arrive): XGBoost's array interface refuses such a pointer."""
    X, y, mask, _ = data
    empty = np.frombuffer(bytearray(64), dtype=np.float64, count=0, offset=3).reshape(0, X.shape[1])
    assert bo.predict_proba(xgb_booster, empty, mask=mask[:0]).shape == (0, K)
    assert bo.predict_margin(xgb_booster, empty).shape == (0, K)
    with pytest.raises(ValueError, match=r"has 2 rows but data has 0"):
        bo.predict_proba(xgb_booster, empty, mask=mask[:2])
    params = {"num_class": K, "objective": bo.lightgbm_objective(), "verbose": -1, "num_threads": 1}
    lgb_booster = lgb.train(params, bo.lightgbm_dataset(X, y, mask=mask), 2)
    assert bo.predict_proba(lgb_booster, empty, mask=mask[:0]).shape == (0, K)
