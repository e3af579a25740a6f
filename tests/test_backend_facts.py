"""Pins of the XGBoost and LightGBM behaviours that boostobj's adapters rely on.

Each test states one fact about a backend (see ARCHITECTURE.md, "Facts about the
backends") and fails if a future version changes it. They use plain NumPy objectives,
never boostobj's, so that a failure here points at the backend, not at the library.
"""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

from boostobj.datasets import make_transition_data

from .conftest import np_softmax

K = 5
N = 1500
OFFSET = -1e30  # the invalid-class margin offset

XGB_PARAMS = {"num_class": K, "nthread": 2, "max_depth": 4, "eta": 0.3, "disable_default_eval_metric": 1}
LGB_PARAMS = {
    "num_class": K,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
    "num_leaves": 15,
    "learning_rate": 0.3,
}


@pytest.fixture(scope="module")
def data():
    X, y, mask = make_transition_data(N, K, 3, 6, random_state=0)
    rng = np.random.default_rng(1)
    weight = rng.uniform(0.2, 3.0, N)
    start = 0.5 * rng.standard_normal((N, K))  # a non-trivial start margin
    start[~mask.to_dense()] = OFFSET
    return X, y, mask.to_dense(), weight, start


class Recorder:
    """Collects the margins a backend hands to an objective, and their layout."""

    def __init__(self):
        self.inputs = []
        self.flags = []  # (dtype, shape, C-contiguous, F-contiguous)

    def __call__(self, raw):
        self.flags.append((raw.dtype, raw.shape, raw.flags.c_contiguous, raw.flags.f_contiguous))
        self.inputs.append(np.array(raw, copy=True))


def np_softmax_objective(scale, floor, recorder=None):
    """A NumPy softmax cross-entropy objective ``(raw, data) -> (grad, hess)`` of shape (n, K),
    with ``hess = max(scale * p * (1 - p) * w, floor)``."""

    def objective(raw, data):
        if recorder is not None:
            recorder(raw)
        y = data.get_label().astype(int)
        w = data.get_weight()
        w = np.ones(y.size) if w is None or w.size == 0 else w
        p = np_softmax(raw)
        grad = (p - np.eye(raw.shape[1])[y]) * w[:, None]
        hess = np.maximum(scale * p * (1.0 - p) * w[:, None], floor)
        return grad, hess

    return objective


# ---------------------------------------------------------------------------- XGBoost
def test_xgb_objective_gets_float32_c_order_margins_starting_at_base_margin(data):
    X, y, _, _, start = data
    seen = Recorder()
    dtrain = xgb.DMatrix(X, label=y, base_margin=start.astype(np.float32))
    params = {**XGB_PARAMS, "base_score": 0.7}  # must be ignored: base_margin is set
    booster = xgb.train(params, dtrain, 2, obj=np_softmax_objective(2.0, 1e-16, seen))
    dtype, shape, c_order, _ = seen.flags[0]
    assert dtype == np.float32
    assert shape == (N, K)
    assert c_order
    np.testing.assert_array_equal(seen.inputs[0], start.astype(np.float32))
    # later rounds: the model's margins, base_margin still included
    np.testing.assert_array_equal(
        seen.inputs[1], booster.predict(dtrain, output_margin=True, iteration_range=(0, 1))
    )
    assert (seen.inputs[1][start == OFFSET] < -1e29).all()


def test_xgb_callable_objective_without_base_margin_starts_at_one_constant(data):
    X, y, _, _, _ = data
    seen = Recorder()
    xgb.train(XGB_PARAMS, xgb.DMatrix(X, label=y), 1, obj=np_softmax_objective(2.0, 1e-16, seen))
    # no per-class intercept is estimated for a callable objective (the class prior is far from flat)
    assert np.unique(seen.inputs[0]).size == 1
    assert np.unique(np.bincount(y)).size == K


def test_xgb_callable_objective_with_num_class_configures_multi_softmax(data):
    X, y, _, _, _ = data
    dtrain = xgb.DMatrix(X, label=y)
    booster = xgb.train(XGB_PARAMS, dtrain, 2, obj=np_softmax_objective(2.0, 1e-16))
    assert json.loads(booster.save_config())["learner"]["objective"]["name"] == "multi:softmax"
    labels = booster.predict(dtrain)  # class ids, not probabilities: use output_margin=True
    assert labels.shape == (N,)
    np.testing.assert_array_equal(labels, np.round(labels))
    assert booster.predict(dtrain, output_margin=True).shape == (N, K)


def test_xgb_custom_metric_receives_margins_with_a_callable_objective(data):
    X, y, _, _, start = data
    dtrain = xgb.DMatrix(X, label=y, base_margin=start.astype(np.float32))
    seen = []

    def metric(predt, dmatrix):
        seen.append(np.array(predt, copy=True))
        return "zero", 0.0

    booster = xgb.train(
        XGB_PARAMS,
        dtrain,
        3,
        obj=np_softmax_objective(2.0, 1e-16),
        evals=[(dtrain, "train")],
        custom_metric=metric,
        verbose_eval=False,
    )
    assert len(seen) == 3
    margins = booster.predict(dtrain, output_margin=True)
    np.testing.assert_array_equal(seen[-1], margins)
    assert seen[-1].shape == (N, K)
    assert (seen[-1] < -1e29).any()  # raw margins, offset included: no probabilities


def test_xgb_estimates_per_class_base_score_even_with_base_margin(data):
    X, y, _, _, _ = data
    zeros = np.zeros((N, K), dtype=np.float32)
    dtrain = xgb.DMatrix(X, label=y, base_margin=zeros)
    params = {**XGB_PARAMS, "objective": "multi:softprob"}  # base_score not pinned
    booster = xgb.train(params, dtrain, 3)
    base_score = json.loads(booster.save_config())["learner"]["learner_model_param"]["base_score"]
    base_score = np.array(json.loads(base_score), dtype=np.float64)
    assert base_score.shape == (K,)
    assert np.unique(base_score).size == K  # estimated per class, not the 0.5 default
    with_margin = booster.predict(xgb.DMatrix(X, base_margin=zeros), output_margin=True)
    without = booster.predict(xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(without - with_margin, np.broadcast_to(base_score, (N, K)), atol=1e-5)
    assert np.abs(without - with_margin).max() > 0.1


@pytest.mark.filterwarnings("error::FutureWarning")  # an (n, K) gradient is the expected layout
def test_xgb_softprob_hessian_is_twice_p_one_minus_p_times_w(data):
    X, y, _, weight, start = data
    dtrain = xgb.DMatrix(X, label=y, weight=weight, base_margin=start.astype(np.float32))
    dtest = xgb.DMatrix(X, base_margin=start.astype(np.float32))
    builtin = xgb.train({**XGB_PARAMS, "objective": "multi:softprob", "base_score": 0.5}, dtrain, 1)
    explicit = xgb.train({**XGB_PARAMS, "base_score": 0.5}, dtrain, 1, obj=np_softmax_objective(2.0, 1e-16))
    exact = xgb.train({**XGB_PARAMS, "base_score": 0.5}, dtrain, 1, obj=np_softmax_objective(1.0, 1e-16))
    p_builtin = np_softmax(builtin.predict(dtest, output_margin=True))
    p_explicit = np_softmax(explicit.predict(dtest, output_margin=True))
    p_exact = np_softmax(exact.predict(dtest, output_margin=True))
    assert np.abs(p_builtin - p_explicit).max() <= 1e-6
    assert np.abs(p_builtin - p_exact).max() > 1e-3  # the check can tell Hessians apart


# --------------------------------------------------------------------------- LightGBM
def lgb_train(params, dataset, rounds, **kwargs):
    return lgb.train({**LGB_PARAMS, **params}, dataset, rounds, **kwargs)


def test_lgb_objective_gets_float64_f_order_preds_starting_at_init_score(data):
    X, y, _, _, start = data
    seen = Recorder()
    booster = lgb_train(
        {"objective": np_softmax_objective(K / (K - 1), 0.0, seen)}, lgb.Dataset(X, y, init_score=start), 2
    )
    dtype, shape, c_order, f_order = seen.flags[0]
    assert dtype == np.float64
    assert shape == (N, K)
    assert f_order and not c_order
    np.testing.assert_array_equal(seen.inputs[0], start)
    # later rounds: init_score still included
    np.testing.assert_allclose(
        seen.inputs[1], booster.predict(X, raw_score=True, num_iteration=1) + start, rtol=0, atol=1e-12
    )


def test_lgb_callable_objective_starts_from_zero_despite_boost_from_average(data):
    X, y, _, _, _ = data
    seen = Recorder()
    params = {"objective": np_softmax_objective(K / (K - 1), 0.0, seen), "boost_from_average": True}
    lgb_train(params, lgb.Dataset(X, y), 1)
    np.testing.assert_array_equal(seen.inputs[0], np.zeros((N, K)))


def test_lgb_reads_a_2d_gradient_in_f_order_as_float32(data):
    X, y, _, weight, start = data
    base = np_softmax_objective(K / (K - 1), 0.0)

    def variant(layout):
        def objective(preds, dataset):
            grad, hess = base(preds, dataset)
            if layout == "C":
                return np.ascontiguousarray(grad), np.ascontiguousarray(hess)
            if layout == "F":
                return np.asfortranarray(grad), np.asfortranarray(hess)
            if layout == "float32":
                return np.asfortranarray(grad, np.float32), np.asfortranarray(hess, np.float32)
            if layout == "flat-by-class":
                return grad.ravel(order="F"), hess.ravel(order="F")
            return grad.ravel(order="C"), hess.ravel(order="C")  # flat row by row

        return objective

    def margins(layout):
        booster = lgb_train(
            {"objective": variant(layout)}, lgb.Dataset(X, y, weight=weight, init_score=start), 3
        )
        return booster.predict(X, raw_score=True)

    reference = margins("F")
    np.testing.assert_array_equal(margins("C"), reference)  # logical (n, K) indexing, any memory order
    np.testing.assert_array_equal(margins("float32"), reference)  # read as float32 anyway
    np.testing.assert_array_equal(margins("flat-by-class"), reference)  # a flat array: class by class
    assert np.abs(margins("flat-by-row") - reference).max() > 1e-3


def test_lgb_predict_raw_score_does_not_add_init_score(data):
    X, y, _, _, start = data
    seen = []

    def metric(preds, dataset):
        seen.append(np.array(preds, copy=True))
        return "zero", 0.0, False

    train = lgb.Dataset(X, y, init_score=start)
    booster = lgb_train(
        {"objective": np_softmax_objective(K / (K - 1), 0.0)}, train, 4, valid_sets=[train], feval=metric
    )
    raw = booster.predict(X, raw_score=True)
    # the custom metric sees raw scores with init_score included ...
    np.testing.assert_allclose(seen[-1], raw + start, rtol=0, atol=1e-10)
    # ... but predict(raw_score=True) leaves init_score out
    assert (raw > -1e29).all()
    assert np.abs(raw - seen[-1]).max() > 1e29


def test_lgb_multiclass_hessian_is_k_over_k_minus_1_p_one_minus_p_times_w(data):
    X, y, _, weight, start = data

    def one_round(objective):
        dataset = lgb.Dataset(X, y, weight=weight, init_score=start)  # init_score: no boost_from_average
        return np_softmax(lgb_train({"objective": objective}, dataset, 1).predict(X, raw_score=True) + start)

    builtin = one_round("multiclass")
    explicit = one_round(np_softmax_objective(K / (K - 1), 0.0))
    twice = one_round(np_softmax_objective(2.0, 0.0))
    assert np.abs(builtin - explicit).max() <= 1e-10
    assert np.abs(builtin - twice).max() > 1e-3  # the check can tell Hessians apart


def test_lgb_builtin_multiclass_starts_from_log_class_prior(data):
    X, y, _, _, _ = data
    # a learning rate of ~0 leaves only the start margins (boost_from_average)
    booster = lgb_train({"objective": "multiclass", "learning_rate": 1e-12}, lgb.Dataset(X, y), 1)
    log_prior = np.log(np.bincount(y, minlength=K) / N)
    np.testing.assert_allclose(
        booster.predict(X, raw_score=True), np.broadcast_to(log_prior, (N, K)), atol=1e-10
    )


@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")  # eval_X/eval_y: 4.7+ only
def test_lgbmclassifier_adds_multi_logloss_even_with_a_callable_objective(data):
    X, y, _, _, _ = data

    def sklearn_objective(y_true, y_pred):  # LightGBM's scikit-learn signature
        p = np_softmax(y_pred)
        return p - np.eye(K)[y_true.astype(int)], K / (K - 1) * p * (1.0 - p)

    def metrics(**kwargs):
        model = lgb.LGBMClassifier(
            objective=sklearn_objective, n_estimators=2, n_jobs=2, verbose=-1, **kwargs
        )
        model.fit(X[:300], y[:300], eval_set=[(X[300:], y[300:])])
        return set(model.evals_result_.get("valid_0", {}))

    # unlike lightgbm.train, the estimator registers its default metric: an unmasked log-loss
    assert metrics() == {"multi_logloss"}
    assert metrics(metric="None") == set()


def test_no_rows_predict_flat_and_boostobj_reshapes_them():
    """Both backends return shape (0,) for no rows, whatever K (an empty Dask partition);
    boostobj's predict_margin/predict_proba return (0, K)."""
    import boostobj

    X, y, mask = make_transition_data(300, 4, 2, 5, random_state=0)
    bst = xgb.train(
        {"num_class": 4, "verbosity": 0},
        boostobj.xgboost_dmatrix(X, y, mask=mask),
        2,
        obj=boostobj.xgboost_objective(),
    )
    model = lgb.train(
        {"num_class": 4, "objective": boostobj.lightgbm_objective(), "verbose": -1},
        boostobj.lightgbm_dataset(X, y, mask=mask),
        2,
    )
    assert bst.predict(xgb.DMatrix(X[:0]), output_margin=True).shape == (0,)
    assert model.predict(X[:0], raw_score=True).shape == (0,)
    for booster in (bst, model):
        assert boostobj.predict_margin(booster, X[:0]).shape == (0, 4)
        assert boostobj.predict_proba(booster, X[:0], mask=mask.take(np.arange(0))).shape == (0, 4)
