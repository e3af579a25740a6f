"""boostobj's LightGBM adapters: parity with ``multiclass``, eval sets, early stopping,
lightgbm.cv, the scikit-learn API, weights, intercepts, predict_proba, pickling, binary.

The oracle of the parity tests is LightGBM's own ``multiclass`` objective on the same
Dataset: with the -1e30 ``init_score`` offset it fits exactly the conditional softmax
model, and both compute in float64 and hand float32 gradients to the trees, so the
models agree to 1e-8.
"""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

import boostobj
from boostobj import BinaryLogLoss, ClassMask, SoftmaxLoss

from .conftest import N_TEST, N_TRAIN, K, np_softmax

ROUNDS = 20
PARAMS = {
    "num_class": K,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
    "num_leaves": 15,
    "learning_rate": 0.3,
}
PARITY = 1e-8  # max |dp| between two LightGBM models that should be the same


def train(dataset, objective="multiclass", params=None, rounds=ROUNDS, **kwargs):
    """``objective``: a boostobj callable or a built-in objective's name."""
    return lgb.train({**PARAMS, "objective": objective, **(params or {})}, dataset, rounds, **kwargs)


def max_dp(booster_a, booster_b, X, mask, **kwargs):
    pa = boostobj.predict_proba(booster_a, X, mask=mask, **kwargs)
    pb = boostobj.predict_proba(booster_b, X, mask=mask, **kwargs)
    return np.abs(pa - pb).max()


def dataset(data, mask="train", **kwargs):
    return boostobj.lightgbm_dataset(
        data["X"], data["y"], mask=data["mask"] if mask == "train" else mask, **kwargs
    )


# ----------------------------------------------------------------------------- parity
def test_parity_full_mask_reproduces_multiclass(data):
    full = ClassMask.full(N_TRAIN, K)
    ours = train(dataset(data, full), boostobj.lightgbm_objective(SoftmaxLoss()))
    builtin = train(dataset(data, full), "multiclass")
    assert max_dp(ours, builtin, data["X_test"], ClassMask.full(N_TEST, K)) <= PARITY


def test_parity_ragged_mask_reproduces_multiclass_with_offset(data):
    assert not data["mask"].is_full
    ours = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss()))
    builtin = train(dataset(data), "multiclass")
    assert max_dp(ours, builtin, data["X_test"], data["mask_test"]) <= PARITY


def test_exact_hessian_gives_a_different_model(data):
    default = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss()))
    named = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss(hessian="lightgbm")))
    exact = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss(hessian="exact")))
    assert max_dp(default, named, data["X_test"], data["mask_test"]) == 0  # "auto" is "lightgbm" here
    assert max_dp(default, exact, data["X_test"], data["mask_test"]) > 1e-2


# ------------------------------------------------------------------- eval sets, metrics
def train_with_valid(data, metric, params=None, rounds=6, callbacks=()):
    dtrain = dataset(data)
    dvalid = boostobj.lightgbm_dataset(
        data["X_test"], data["y_test"], mask=data["mask_test"], reference=dtrain
    )
    history = {}
    booster = train(
        dtrain,
        boostobj.lightgbm_objective(),
        params=params,
        rounds=rounds,
        valid_sets=[dtrain, dvalid],
        valid_names=["train", "valid"],
        feval=boostobj.lightgbm_metric(metric),
        callbacks=[lgb.record_evaluation(history), *callbacks],
    )
    return booster, history


@pytest.mark.parametrize(
    ("metric", "recompute"),
    [("mlogloss", boostobj.masked_log_loss), ("merror", boostobj.masked_error_rate)],
)
def test_eval_sets_are_scored_with_their_own_masks(data, metric, recompute):
    booster, history = train_with_valid(data, metric)
    assert set(history["valid"]) == {f"masked-{metric}"}  # no default (unmasked) metric
    for name, X, y, mask in [
        ("train", data["X"], data["y"], data["mask"]),
        ("valid", data["X_test"], data["y_test"], data["mask_test"]),
    ]:
        recorded = history[name][f"masked-{metric}"]
        assert len(recorded) == 6
        for i, value in enumerate(recorded):
            margins = boostobj.predict_margin(booster, X, mask=mask, num_iteration=i + 1)
            assert value == pytest.approx(recompute(y, margins, mask=mask), rel=0, abs=1e-10)


def test_early_stopping_follows_the_masked_metric(data):
    booster, history = train_with_valid(
        data,
        "mlogloss",
        params={"learning_rate": 1.0, "num_leaves": 63, "min_data_in_leaf": 2},  # overfits quickly
        rounds=200,
        callbacks=[lgb.early_stopping(5, verbose=False)],
    )
    curve = np.array(history["valid"]["masked-mlogloss"])
    assert curve.size < 200
    assert booster.best_iteration == int(np.argmin(curve)) + 1  # 1-based in LightGBM
    assert curve.size == booster.best_iteration + 5
    assert booster.best_score["valid"]["masked-mlogloss"] == pytest.approx(curve.min(), rel=0, abs=1e-12)
    best = boostobj.predict_margin(booster, data["X_test"], mask=data["mask_test"])  # best_iteration
    assert boostobj.masked_log_loss(data["y_test"], best, mask=data["mask_test"]) == pytest.approx(
        curve.min(), rel=0, abs=1e-10
    )


def test_cv_folds_keep_their_mask(data):
    X, y, mask = data["X"], data["y"], data["mask"]
    folds = [(np.setdiff1d(np.arange(N_TRAIN), test), test) for test in np.array_split(np.arange(N_TRAIN), 3)]
    rounds = 5
    result = lgb.cv(
        {**PARAMS, "objective": boostobj.lightgbm_objective()},
        dataset(data),
        rounds,
        folds=folds,
        feval=boostobj.lightgbm_metric(),
        return_cvbooster=True,
    )
    per_fold = [
        boostobj.masked_log_loss(
            y[test], boostobj.predict_margin(b, X[test], mask=mask.take(test)), mask=mask.take(test)
        )
        for b, (_, test) in zip(result["cvbooster"].boosters, folds, strict=True)
    ]
    curve = np.asarray(result["valid masked-mlogloss-mean"])
    assert curve.shape == (rounds,) and np.isfinite(curve).all()
    assert curve[-1] == pytest.approx(np.mean(per_fold), rel=0, abs=1e-10)
    baseline = lgb.cv({**PARAMS, "objective": "multiclass"}, lgb.Dataset(X, y), rounds, folds=folds)
    assert (curve < np.asarray(baseline["valid multi_logloss-mean"])).all()


def test_metric_expecting_raw_scores_refuses_builtin_probabilities(data):
    # With the built-in objective LightGBM hands feval probabilities: the data's -1e30 init_score
    # reveals it, so the metric refuses instead of computing a wrong value.
    dtrain = dataset(data)
    with pytest.raises(ValueError, match="expected margins.*output_margin=False"):
        train(
            dtrain,
            "multiclass",
            params={"metric": "None"},
            rounds=2,
            valid_sets=[dtrain],
            valid_names=["train"],
            feval=boostobj.lightgbm_metric(),
        )


@pytest.mark.parametrize("metric", ["mlogloss", "merror"])
def test_metric_on_builtin_probabilities(data, metric):
    dtrain = dataset(data)
    history = {}
    booster = train(
        dtrain,
        "multiclass",
        params={"metric": "None"},
        rounds=3,
        valid_sets=[dtrain],
        valid_names=["train"],
        feval=boostobj.lightgbm_metric(metric, output_margin=False),
        callbacks=[lgb.record_evaluation(history)],
    )
    margins = boostobj.predict_margin(booster, data["X"], mask=data["mask"])
    score = boostobj.masked_log_loss if metric == "mlogloss" else boostobj.masked_error_rate
    expected = score(data["y"], margins, mask=data["mask"])
    assert history["train"][f"masked-{metric}"][-1] == pytest.approx(expected, rel=0, abs=1e-10)


# ------------------------------------------------------------------ scikit-learn API
def sklearn_model(loss=None, **kwargs):
    return lgb.LGBMClassifier(
        objective=boostobj.lightgbm_objective(loss),
        n_estimators=ROUNDS,
        num_leaves=PARAMS["num_leaves"],
        learning_rate=PARAMS["learning_rate"],
        n_jobs=2,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
        **kwargs,
    )


def test_lgbmclassifier_matches_the_train_api(data):
    reference = train(dataset(data), boostobj.lightgbm_objective())
    model = sklearn_model().fit(data["X"], data["y"], init_score=data["mask"].margin_offset(np.float64))
    assert max_dp(model.booster_, reference, data["X_test"], data["mask_test"]) <= PARITY


@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")  # eval_X/eval_y: 4.7+ only
def test_lgbmclassifier_eval_set_with_its_own_mask(data):
    model = sklearn_model(metric="None")  # else LGBMClassifier adds an unmasked multi_logloss
    model.fit(
        data["X"],
        data["y"],
        init_score=data["mask"].margin_offset(np.float64),
        eval_set=[(data["X_test"], data["y_test"])],
        eval_init_score=[data["mask_test"].margin_offset(np.float64)],
        eval_metric=boostobj.lightgbm_metric(),
    )
    recorded = model.evals_result_["valid_0"]
    assert list(recorded) == ["masked-mlogloss"]
    margins = boostobj.predict_margin(model.booster_, data["X_test"], mask=data["mask_test"])
    expected = boostobj.masked_log_loss(data["y_test"], margins, mask=data["mask_test"])
    assert recorded["masked-mlogloss"][-1] == pytest.approx(expected, rel=0, abs=1e-10)


def test_lgbmclassifier_with_an_explicit_loss(data):
    reference = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss(hessian="lightgbm")))
    model = sklearn_model(SoftmaxLoss(hessian="lightgbm"))
    model.fit(data["X"], data["y"], init_score=data["mask"].margin_offset(np.float64))
    assert max_dp(model.booster_, reference, data["X_test"], data["mask_test"]) <= PARITY


# ------------------------------------------------------------------------ bound mask
def test_bound_mask_trains_the_same_model_as_the_margin_mask(data):
    carried = train(dataset(data), boostobj.lightgbm_objective())
    bound = train(
        lgb.Dataset(data["X"], data["y"]), boostobj.lightgbm_objective(SoftmaxLoss(), mask=data["mask"])
    )
    assert max_dp(carried, bound, data["X_test"], data["mask_test"]) <= PARITY


# ------------------------------------------------------------------------- weights
def test_sample_weight_parity(data):
    weight = np.random.default_rng(3).uniform(0.1, 4.0, N_TRAIN)
    ours = train(dataset(data, weight=weight), boostobj.lightgbm_objective())
    builtin = train(dataset(data, weight=weight), "multiclass")
    unweighted = train(dataset(data), "multiclass")
    assert max_dp(ours, builtin, data["X_test"], data["mask_test"]) <= PARITY
    assert max_dp(ours, unweighted, data["X_test"], data["mask_test"]) > 1e-2


BALANCED = "balanced, rounded to float32"


@pytest.mark.parametrize("class_weight", [{0: 3.0, 2: 0.5, 4: 2.0}, BALANCED])
def test_class_weight_parity(data, class_weight):
    """``SoftmaxLoss(class_weight=cw)`` equals the built-in objective with ``weight = cw[y]``.

    LightGBM stores Dataset weights as float32 (``Dataset.set_weight``), so the built-in
    only ever sees float32 weights; the loss gets the same float32 values. (With the
    float64 "balanced" weights the two models differ by ~1.5e-8, from that rounding.)
    """
    y = data["y"]
    if class_weight == BALANCED:
        class_weight = compute_class_weight("balanced", classes=np.arange(K), y=y).astype(np.float32)
        per_class = class_weight.astype(np.float64)
    else:
        per_class = np.array([class_weight.get(k, 1.0) for k in range(K)])
    ours = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss(class_weight=class_weight)))
    builtin = train(dataset(data, weight=per_class[y]), "multiclass")
    assert max_dp(ours, builtin, data["X_test"], data["mask_test"]) <= PARITY


def test_balanced_class_weight_is_scikit_learns(data):
    balanced = compute_class_weight("balanced", classes=np.arange(K), y=data["y"])  # independent oracle
    ours = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss(class_weight="balanced")))
    explicit = train(dataset(data), boostobj.lightgbm_objective(SoftmaxLoss(class_weight=balanced)))
    assert max_dp(ours, explicit, data["X_test"], data["mask_test"]) <= PARITY


# ------------------------------------------------------------------------ intercept
def test_init_raw_prediction_lowers_the_loss_of_the_first_rounds(data):
    X, y, mask = data["X"], data["y"], data["mask"]
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=mask)
    with_intercept = train(dataset(data, init_score=intercept), boostobj.lightgbm_objective())
    without = train(dataset(data), boostobj.lightgbm_objective())
    for rounds in (1, 2, 3):
        better = boostobj.predict_margin(
            with_intercept, X, mask=mask, init_score=intercept, num_iteration=rounds
        )
        worse = boostobj.predict_margin(without, X, mask=mask, num_iteration=rounds)
        assert boostobj.masked_log_loss(y, better, mask=mask) < boostobj.masked_log_loss(y, worse, mask=mask)


def test_init_raw_prediction_with_a_full_mask_is_lightgbms_start_centred(data):
    X, y = data["X"], data["y"]
    log_prior = np.log(np.bincount(y, minlength=K) / y.size)
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=ClassMask.full(y.size, K))
    np.testing.assert_allclose(intercept, log_prior - log_prior.mean(), rtol=0, atol=1e-10)
    # LightGBM's own start (boost_from_average, left alone by a learning rate of ~0)
    start = train(lgb.Dataset(X, y), "multiclass", params={"learning_rate": 1e-12}, rounds=1)
    start = start.predict(X[:1], raw_score=True)[0]
    np.testing.assert_allclose(intercept, start - start.mean(), rtol=0, atol=1e-10)


# --------------------------------------------------------------------- predict_proba
def test_predict_proba_adds_the_offset_and_init_score_back(data):
    X, y, mask = data["X"], data["y"], data["mask"]
    intercept = SoftmaxLoss().init_raw_prediction(y, mask=mask)
    dtrain = dataset(data, init_score=intercept)
    seen = []

    def spy(preds, eval_data):
        seen.append(np.array(preds, copy=True))
        return "zero", 0.0, False

    booster = train(dtrain, boostobj.lightgbm_objective(), valid_sets=[dtrain], feval=spy)
    margins = boostobj.predict_margin(booster, X, mask=mask, init_score=intercept)
    raw = booster.predict(X, raw_score=True)
    np.testing.assert_allclose(margins, raw + mask.margin_offset(np.float64) + intercept, rtol=0, atol=1e-12)
    # the margins LightGBM trained on (init_score included)
    np.testing.assert_allclose(margins, seen[-1], rtol=0, atol=1e-10)
    proba = boostobj.predict_proba(booster, X, mask=mask, init_score=intercept)
    np.testing.assert_allclose(proba, np_softmax(seen[-1]), rtol=0, atol=1e-10)
    dense = mask.to_dense()
    assert (proba[~dense] == 0).all()
    assert (proba[dense] > 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# -------------------------------------------------------------------------- pickling
def test_objective_and_metric_pickle(data):
    objective = boostobj.lightgbm_objective(SoftmaxLoss(hessian="exact", class_weight={1: 2.0}))
    metric = boostobj.lightgbm_metric("merror")
    objective2, metric2 = pickle.loads(pickle.dumps((objective, metric)))
    assert objective2 == objective and metric2 == metric
    a = train(dataset(data), objective, rounds=5)
    b = train(dataset(data), objective2, rounds=5)
    np.testing.assert_array_equal(
        boostobj.predict_proba(a, data["X_test"], mask=data["mask_test"]),
        boostobj.predict_proba(b, data["X_test"], mask=data["mask_test"]),
    )
    margins = boostobj.predict_margin(a, data["X_test"], mask=data["mask_test"])
    assert metric2(data["y_test"], margins, None, None) == metric(data["y_test"], margins, None, None)


def test_saved_booster_and_pickled_estimator_give_identical_masked_probabilities(data, tmp_path):
    booster = train(dataset(data), boostobj.lightgbm_objective())
    expected = boostobj.predict_proba(booster, data["X_test"], mask=data["mask_test"])
    path = tmp_path / "model.txt"
    booster.save_model(path)
    for reloaded in (lgb.Booster(model_file=path), lgb.Booster(model_str=booster.model_to_string())):
        np.testing.assert_array_equal(
            boostobj.predict_proba(reloaded, data["X_test"], mask=data["mask_test"]), expected
        )
    model = sklearn_model().fit(data["X"], data["y"], init_score=data["mask"].margin_offset(np.float64))
    model2 = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        boostobj.predict_proba(model2.booster_, data["X_test"], mask=data["mask_test"]),
        boostobj.predict_proba(model.booster_, data["X_test"], mask=data["mask_test"]),
    )


# ---------------------------------------------------------------------------- binary
BINARY_PARAMS = {key: value for key, value in PARAMS.items() if key != "num_class"}


@pytest.fixture(scope="module")
def binary(data):
    return (data["y"] % 2).astype(np.int64), (data["y_test"] % 2).astype(np.int64)


def train_binary(dtrain, objective, **params):
    return lgb.train({**BINARY_PARAMS, "objective": objective, **params}, dtrain, ROUNDS)


def test_binary_logloss_reproduces_binary(data, binary):
    y, _ = binary

    def dtrain():  # init_score 0: both start from margin 0 (no boost_from_average)
        return boostobj.lightgbm_dataset(data["X"], y, init_score=0.0)

    ours = train_binary(dtrain(), boostobj.lightgbm_objective(BinaryLogLoss()))
    builtin = train_binary(dtrain(), "binary")
    p = boostobj.predict_proba(ours, data["X_test"], init_score=0.0)
    assert p.shape == (N_TEST, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert max_dp(ours, builtin, data["X_test"], None, init_score=0.0) <= PARITY


def test_binary_intercept_from_init_raw_prediction(data, binary):
    """``BinaryLogLoss().init_raw_prediction(y)``, shape (1,), goes to ``lightgbm_dataset`` as is."""
    y, _ = binary
    intercept = BinaryLogLoss().init_raw_prediction(y)
    assert intercept.shape == (1,)
    ours = train_binary(
        boostobj.lightgbm_dataset(data["X"], y, init_score=intercept),
        boostobj.lightgbm_objective(BinaryLogLoss()),
    )
    builtin = train_binary(lgb.Dataset(data["X"], y), "binary")  # starts from the log-odds itself
    p_ours = boostobj.predict_proba(ours, data["X_test"], init_score=intercept)
    p_builtin = boostobj.predict_proba(builtin, data["X_test"])  # its start is inside its trees
    assert np.abs(p_ours - p_builtin).max() <= PARITY


@pytest.mark.parametrize("kind", ["multilabel", "grouped"])
def test_code_label_losses_are_refused_through_the_scikit_learn_api(kind):
    """LGBMClassifier numbers its classes_ 0..m-1 and hands the objective and the metric those:
    losses whose labels travel as one code per row decoded them as other codes (with one tag
    per row of 4, tags 2 and 3 were never trained), silently."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    if kind == "multilabel":
        loss = boostobj.MultiLabelLoss()
        Y = np.zeros((200, 4), int)
        Y[np.arange(200), rng.integers(0, 4, 200)] = 1
    else:
        loss = boostobj.GroupedSoftmaxLoss([2, 2])
        Y = rng.integers(0, 2, (200, 2))
    codes = loss.encode_labels(Y)
    message = rf"^y_true: {type(loss).__name__}'s labels travel as one code per row"
    classifier = lgb.LGBMClassifier(objective=boostobj.lightgbm_objective(loss), n_estimators=2, verbose=-1)
    with pytest.raises(ValueError, match=message):
        classifier.fit(X, codes)
    with pytest.raises(ValueError, match=message):
        boostobj.lightgbm_metric(loss)(codes, np.zeros((200, 4)), None, None)
    # the documented way: lightgbm.train on lightgbm_dataset(X, Y, loss=loss)
    params = {"num_class": 4, "objective": boostobj.lightgbm_objective(loss), "verbose": -1, "num_threads": 1}
    lgb.train(params, boostobj.lightgbm_dataset(X, Y, loss=loss), 2)
