"""boostobj's XGBoost adapters: parity with multi:softprob, eval sets, early stopping,
xgboost.cv, the scikit-learn API, weights, intercepts, predict_proba, pickling, binary.

The oracle of the parity tests is XGBoost's own ``multi:softprob`` on the same DMatrix:
with the -1e30 ``base_margin`` offset it fits exactly the conditional softmax model
(ARCHITECTURE.md), so boostobj's objective must reproduce it to float32 precision.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import xgboost as xgb
from sklearn.utils.class_weight import compute_class_weight

import boostobj
from boostobj import BinaryLogLoss, ClassMask, SoftmaxLoss

from .conftest import N_TEST, N_TRAIN, K, np_softmax

ROUNDS = 20
PARAMS = {
    "num_class": K,
    "nthread": 2,
    "max_depth": 4,
    "eta": 0.3,
    "base_score": 0.5,
    "disable_default_eval_metric": 1,
}
PARITY = 1e-5  # max |dp| between two XGBoost models that should be the same


def train(dtrain, objective=None, params=None, rounds=ROUNDS, **kwargs):
    """``objective``: a boostobj callable, or None for the built-in multi:softprob."""
    params = {**PARAMS, **(params or {})}
    if objective is None:
        params.setdefault("objective", "multi:softprob")
    return xgb.train(params, dtrain, rounds, obj=objective, verbose_eval=False, **kwargs)


def max_dp(booster_a, booster_b, X, mask, **kwargs):
    pa = boostobj.predict_proba(booster_a, X, mask=mask, **kwargs)
    pb = boostobj.predict_proba(booster_b, X, mask=mask, **kwargs)
    return np.abs(pa - pb).max()


# ----------------------------------------------------------------------------- parity
def test_parity_full_mask_reproduces_multi_softprob(data):
    full, full_test = ClassMask.full(N_TRAIN, K), ClassMask.full(N_TEST, K)
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=full)
    ours = train(dtrain, boostobj.xgboost_objective(SoftmaxLoss()))
    builtin = train(dtrain)
    assert max_dp(ours, builtin, data["X_test"], full_test) <= PARITY


def test_parity_ragged_mask_reproduces_multi_softprob_with_offset(data):
    assert not data["mask"].is_full and np.unique(data["mask"].n_valid).tolist() == [3]
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    ours = train(dtrain, boostobj.xgboost_objective(SoftmaxLoss()))
    builtin = train(dtrain)
    assert max_dp(ours, builtin, data["X_test"], data["mask_test"]) <= PARITY


def test_exact_hessian_gives_a_different_model(data):
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    default = train(dtrain, boostobj.xgboost_objective(SoftmaxLoss()))
    named = train(dtrain, boostobj.xgboost_objective(SoftmaxLoss(hessian="xgboost")))
    exact = train(dtrain, boostobj.xgboost_objective(SoftmaxLoss(hessian="exact")))
    assert max_dp(default, named, data["X_test"], data["mask_test"]) == 0  # "auto" is "xgboost" here
    assert max_dp(default, exact, data["X_test"], data["mask_test"]) > 1e-2


# ------------------------------------------------------------------- eval sets, metrics
@pytest.mark.parametrize(
    ("metric", "recompute"),
    [("mlogloss", boostobj.masked_log_loss), ("merror", boostobj.masked_error_rate)],
)
def test_eval_sets_are_scored_with_their_own_masks(data, metric, recompute):
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    dvalid = boostobj.xgboost_dmatrix(data["X_test"], data["y_test"], mask=data["mask_test"])
    history = {}
    booster = train(
        dtrain,
        boostobj.xgboost_objective(),
        rounds=6,
        evals=[(dtrain, "train"), (dvalid, "valid")],
        custom_metric=boostobj.xgboost_metric(metric),
        evals_result=history,
    )
    assert set(history["valid"]) == {f"masked-{metric}"}  # no default (unmasked) metric
    for name, X, y, mask in [
        ("train", data["X"], data["y"], data["mask"]),
        ("valid", data["X_test"], data["y_test"], data["mask_test"]),
    ]:
        recorded = history[name][f"masked-{metric}"]
        assert len(recorded) == 6
        for i, value in enumerate(recorded):
            margins = boostobj.predict_margin(booster, X, mask=mask, iteration_range=(0, i + 1))
            # XGBoost prints custom metric values with "%f": 6 decimals
            assert value == pytest.approx(recompute(y, margins, mask=mask), abs=1e-6)


def test_early_stopping_follows_the_masked_metric(data):
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    dvalid = boostobj.xgboost_dmatrix(data["X_test"], data["y_test"], mask=data["mask_test"])
    history = {}
    booster = train(
        dtrain,
        boostobj.xgboost_objective(),
        params={"eta": 1.0, "max_depth": 6},  # overfits within a few rounds
        rounds=200,
        evals=[(dtrain, "train"), (dvalid, "valid")],
        custom_metric=boostobj.xgboost_metric(),
        evals_result=history,
        early_stopping_rounds=5,
    )
    curve = np.array(history["valid"]["masked-mlogloss"])
    assert booster.num_boosted_rounds() < 200
    assert booster.best_iteration == int(np.argmin(curve))
    assert booster.num_boosted_rounds() == booster.best_iteration + 1 + 5 == curve.size
    assert booster.best_score == pytest.approx(curve.min())
    best = boostobj.predict_margin(
        booster, data["X_test"], mask=data["mask_test"], iteration_range=(0, booster.best_iteration + 1)
    )
    assert boostobj.masked_log_loss(data["y_test"], best, mask=data["mask_test"]) == pytest.approx(
        curve.min(), abs=1e-6
    )


def test_cv_folds_keep_their_mask(data):
    dall = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    n_valid = data["mask"].n_valid
    folds_seen = []

    def check_fold(dtrain, dtest, params):
        for d in (dtrain, dtest):
            valid = d.get_base_margin().reshape(d.num_row(), K) > -1e29
            assert valid.sum(axis=1).tolist() == [int(n_valid[0])] * d.num_row()
        folds_seen.append((dtrain.num_row(), dtest.num_row()))
        return dtrain, dtest, params

    rounds = 5
    masked = xgb.cv(
        PARAMS,
        dall,
        rounds,
        nfold=3,
        obj=boostobj.xgboost_objective(),
        custom_metric=boostobj.xgboost_metric(),
        fpreproc=check_fold,
        seed=0,
    )
    baseline = xgb.cv(
        {
            **PARAMS,
            "objective": "multi:softprob",
            "disable_default_eval_metric": 0,
            "eval_metric": "mlogloss",
        },
        xgb.DMatrix(data["X"], label=data["y"]),
        rounds,
        nfold=3,
        seed=0,
    )
    assert len(folds_seen) == 3 and all(a + b == N_TRAIN for a, b in folds_seen)
    ours = np.asarray(masked["test-masked-mlogloss-mean"])
    theirs = np.asarray(baseline["test-mlogloss-mean"])
    assert ours.shape == (rounds,) and np.isfinite(ours).all()
    assert (ours < theirs).all()


def test_metric_expecting_margins_refuses_builtin_probabilities(data):
    # With a built-in objective XGBoost hands custom_metric probabilities (output_margin=callable(obj)):
    # the data's -1e30 base_margin reveals it, so the metric refuses instead of computing a wrong value.
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    with pytest.raises(ValueError, match="expected margins.*output_margin=False"):
        train(dtrain, rounds=2, evals=[(dtrain, "train")], custom_metric=boostobj.xgboost_metric())


@pytest.mark.parametrize("metric", ["mlogloss", "merror"])
def test_metric_on_builtin_probabilities(data, metric):
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    history = {}
    booster = train(
        dtrain,
        rounds=3,
        evals=[(dtrain, "train")],
        custom_metric=boostobj.xgboost_metric(metric, output_margin=False),
        evals_result=history,
    )
    margins = boostobj.predict_margin(booster, data["X"], mask=data["mask"])
    score = boostobj.masked_log_loss if metric == "mlogloss" else boostobj.masked_error_rate
    expected = score(data["y"], margins, mask=data["mask"])
    assert history["train"][f"masked-{metric}"][-1] == pytest.approx(expected, abs=1e-6)  # printed "%f"


# ------------------------------------------------------------------ scikit-learn API
def sklearn_model(loss=None, **kwargs):
    return xgb.XGBClassifier(
        objective=boostobj.xgboost_objective(loss),
        n_estimators=ROUNDS,
        max_depth=PARAMS["max_depth"],
        learning_rate=PARAMS["eta"],
        base_score=PARAMS["base_score"],
        n_jobs=2,
        **kwargs,
    )


def test_xgbclassifier_matches_the_train_api(data):
    mask = data["mask"]
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=mask)
    reference = train(dtrain, boostobj.xgboost_objective())
    model = sklearn_model().fit(data["X"], data["y"], base_margin=mask.margin_offset())
    assert max_dp(model.get_booster(), reference, data["X_test"], data["mask_test"]) <= PARITY


def test_xgbclassifier_eval_set_with_its_own_mask(data):
    model = sklearn_model(eval_metric=boostobj.xgboost_metric(), disable_default_eval_metric=1)
    model.fit(
        data["X"],
        data["y"],
        base_margin=data["mask"].margin_offset(),
        eval_set=[(data["X_test"], data["y_test"])],
        base_margin_eval_set=[data["mask_test"].margin_offset()],
        verbose=False,
    )
    recorded = model.evals_result()["validation_0"]["masked-mlogloss"]
    assert len(recorded) == ROUNDS
    margins = boostobj.predict_margin(model.get_booster(), data["X_test"], mask=data["mask_test"])
    expected = boostobj.masked_log_loss(data["y_test"], margins, mask=data["mask_test"])
    assert recorded[-1] == pytest.approx(expected, abs=1e-6)  # printed with "%f"


def test_xgbclassifier_passes_no_adapter_parameters_to_the_booster(data):
    model = sklearn_model(SoftmaxLoss(hessian="xgboost"), eval_metric=boostobj.xgboost_metric("merror"))
    assert not [key for key in model.get_xgb_params() if "__" in key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data["X"], data["y"], base_margin=data["mask"].margin_offset())
    assert not [w for w in caught if "not used" in str(w.message)]


# ------------------------------------------------------------------------ bound mask
def test_bound_mask_trains_the_same_model_as_the_margin_mask(data):
    carried = train(
        boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"]), boostobj.xgboost_objective()
    )
    bound = train(
        xgb.DMatrix(data["X"], label=data["y"]), boostobj.xgboost_objective(SoftmaxLoss(), mask=data["mask"])
    )
    assert max_dp(carried, bound, data["X_test"], data["mask_test"]) <= PARITY


# ------------------------------------------------------------------------- weights
def test_sample_weight_parity(data):
    weight = np.random.default_rng(3).uniform(0.1, 4.0, N_TRAIN)
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"], weight=weight)
    ours = train(dtrain, boostobj.xgboost_objective())
    builtin = train(dtrain)
    unweighted = train(boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"]))
    assert max_dp(ours, builtin, data["X_test"], data["mask_test"]) <= PARITY
    assert max_dp(ours, unweighted, data["X_test"], data["mask_test"]) > 1e-2


@pytest.mark.parametrize("class_weight", [{0: 3.0, 2: 0.5, 4: 2.0}, "balanced"])
def test_class_weight_parity(data, class_weight):
    """``SoftmaxLoss(class_weight=...)`` equals the built-in objective with ``weight = cw[y]``.

    Under ``tree_method="exact"``: with "hist" the weights of a DMatrix also weight its
    quantile sketch, so a weighted and an unweighted DMatrix get different bins and the
    two models differ for that reason alone (max |dp| ~ 0.3 here).
    """
    y = data["y"]
    if class_weight == "balanced":  # scikit-learn's definition, as an independent oracle
        per_class = compute_class_weight("balanced", classes=np.arange(K), y=y)
    else:
        per_class = np.array([class_weight.get(k, 1.0) for k in range(K)])
    exact = {"tree_method": "exact"}
    ours = train(
        boostobj.xgboost_dmatrix(data["X"], y, mask=data["mask"]),
        boostobj.xgboost_objective(SoftmaxLoss(class_weight=class_weight)),
        params=exact,
    )
    builtin = train(
        boostobj.xgboost_dmatrix(data["X"], y, mask=data["mask"], weight=per_class[y]), params=exact
    )
    assert max_dp(ours, builtin, data["X_test"], data["mask_test"]) <= PARITY


# ------------------------------------------------------------------------ intercept
def test_init_raw_prediction_lowers_the_loss_of_the_first_rounds(data):
    X, y, mask = data["X"], data["y"], data["mask"]
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=mask)
    with_intercept = train(
        boostobj.xgboost_dmatrix(X, y, mask=mask, init_score=intercept), boostobj.xgboost_objective()
    )
    without = train(boostobj.xgboost_dmatrix(X, y, mask=mask), boostobj.xgboost_objective())
    for rounds in (1, 2, 3):
        better = boostobj.predict_margin(
            with_intercept, X, mask=mask, init_score=intercept, iteration_range=(0, rounds)
        )
        worse = boostobj.predict_margin(without, X, mask=mask, iteration_range=(0, rounds))
        assert boostobj.masked_log_loss(y, better, mask=mask) < boostobj.masked_log_loss(y, worse, mask=mask)


def test_init_raw_prediction_with_a_full_mask_is_the_centred_log_prior(data):
    y = data["y"]
    log_prior = np.log(np.bincount(y, minlength=K) / y.size)
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=ClassMask.full(y.size, K))
    np.testing.assert_allclose(intercept, log_prior - log_prior.mean(), rtol=0, atol=1e-10)


def test_init_raw_prediction_maximises_the_masked_likelihood(data):
    y, mask = data["y"], data["mask"]
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=mask)
    p = np_softmax(intercept + mask.margin_offset(np.float64))
    score = (p - np.eye(K)[y]).sum(axis=0)  # gradient of the log-likelihood in the intercepts
    assert np.abs(score).max() / y.size <= 1e-8


# --------------------------------------------------------------------- predict_proba
def test_predict_proba_from_a_dmatrix_and_from_raw_features(data):
    X, y, mask = data["X"], data["y"], data["mask"]
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=mask)
    dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask, init_score=intercept)
    seen = []

    def spy(predt, dmatrix):
        seen.append(np.array(predt, copy=True))
        return "zero", 0.0

    booster = train(dtrain, boostobj.xgboost_objective(), evals=[(dtrain, "train")], custom_metric=spy)
    from_raw = boostobj.predict_proba(booster, X, mask=mask, init_score=intercept)
    from_dmatrix = boostobj.predict_proba(booster, dtrain)  # mask read from base_margin
    np.testing.assert_array_equal(from_raw, from_dmatrix)
    # the probabilities of the margins XGBoost trained on
    np.testing.assert_allclose(from_raw, np_softmax(seen[-1]), rtol=0, atol=1e-6)
    dense = mask.to_dense()
    assert (from_raw[~dense] == 0).all()
    assert (from_raw[dense] > 0).all()
    np.testing.assert_allclose(from_raw.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    dtest = boostobj.xgboost_dmatrix(data["X_test"], mask=data["mask_test"], init_score=intercept)
    np.testing.assert_array_equal(
        boostobj.predict_proba(booster, dtest),
        boostobj.predict_proba(booster, data["X_test"], mask=data["mask_test"], init_score=intercept),
    )


# -------------------------------------------------------------------------- pickling
def test_objective_and_metric_pickle(data):
    objective = boostobj.xgboost_objective(SoftmaxLoss(hessian="exact", class_weight={1: 2.0}))
    metric = boostobj.xgboost_metric("merror")
    objective2, metric2 = pickle.loads(pickle.dumps((objective, metric)))
    assert objective2 == objective and metric2 == metric
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    a = train(dtrain, objective, rounds=5)
    b = train(dtrain, objective2, rounds=5)
    pa = boostobj.predict_proba(a, data["X_test"], mask=data["mask_test"])
    pb = boostobj.predict_proba(b, data["X_test"], mask=data["mask_test"])
    np.testing.assert_array_equal(pa, pb)
    margins = a.predict(dtrain, output_margin=True)
    assert metric2(margins, dtrain) == metric(margins, dtrain)


@pytest.mark.parametrize("suffix", ["json", "ubj"])
def test_saved_booster_gives_identical_masked_probabilities(data, tmp_path, suffix):
    dtrain = boostobj.xgboost_dmatrix(data["X"], data["y"], mask=data["mask"])
    booster = train(dtrain, boostobj.xgboost_objective())
    path = tmp_path / f"model.{suffix}"
    booster.save_model(path)
    reloaded = xgb.Booster(model_file=path)
    np.testing.assert_array_equal(
        boostobj.predict_proba(reloaded, data["X_test"], mask=data["mask_test"]),
        boostobj.predict_proba(booster, data["X_test"], mask=data["mask_test"]),
    )


# ---------------------------------------------------------------------------- binary
BINARY_PARAMS = {
    "nthread": 2,
    "max_depth": 4,
    "eta": 0.3,
    "base_score": 0.5,
    "disable_default_eval_metric": 1,
}


@pytest.fixture(scope="module")
def binary(data):
    return (data["y"] % 2).astype(np.int64), (data["y_test"] % 2).astype(np.int64)


def train_binary(dtrain, objective=None, **params):
    params = {**BINARY_PARAMS, **params}
    if objective is None:
        params["objective"] = "binary:logistic"
    return xgb.train(params, dtrain, ROUNDS, obj=objective)


def test_binary_logloss_reproduces_binary_logistic(data, binary):
    y, _ = binary
    dtrain = boostobj.xgboost_dmatrix(data["X"], y, init_score=0.0)  # both start from margin 0
    ours = train_binary(dtrain, boostobj.xgboost_objective(BinaryLogLoss()))
    builtin = train_binary(dtrain)
    p = boostobj.predict_proba(ours, data["X_test"], init_score=0.0)
    assert p.shape == (N_TEST, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert max_dp(ours, builtin, data["X_test"], None, init_score=0.0) <= PARITY


def test_pos_weight_matches_scale_pos_weight(data, binary):
    y, _ = binary
    dtrain = boostobj.xgboost_dmatrix(data["X"], y, init_score=0.0)
    ours = train_binary(dtrain, boostobj.xgboost_objective(BinaryLogLoss(pos_weight=3.0)))
    builtin = train_binary(dtrain, scale_pos_weight=3.0)
    plain = train_binary(dtrain)
    assert max_dp(ours, builtin, data["X_test"], None, init_score=0.0) <= PARITY
    assert max_dp(ours, plain, data["X_test"], None, init_score=0.0) > 1e-2


def test_binary_intercept_from_init_raw_prediction(data, binary):
    """``BinaryLogLoss().init_raw_prediction(y)``, shape (1,), goes to ``xgboost_dmatrix`` as is."""
    y, _ = binary
    intercept = BinaryLogLoss().init_raw_prediction(y)
    assert intercept.shape == (1,)
    dtrain = boostobj.xgboost_dmatrix(data["X"], y, init_score=intercept)
    ours = train_binary(dtrain, boostobj.xgboost_objective(BinaryLogLoss()))
    builtin = train_binary(dtrain)
    assert max_dp(ours, builtin, data["X_test"], None, init_score=intercept) <= PARITY
