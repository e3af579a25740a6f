"""The choice-set estimators (boostobj.choice_models): scikit-learn's checks where they
apply, the probabilities against ChoiceLoss on the booster's margins and against a booster
trained by hand, the ranker conventions (qid/group, eval sets), a synthetic mode choice
recovered better than chance, hooks and errors."""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import boostobj as bo
from boostobj import ChoiceLGBMClassifier, ChoiceLoss, ChoiceXGBClassifier

ESTIMATORS = [ChoiceXGBClassifier, ChoiceLGBMClassifier]
MODES = np.array(["car", "bus", "bike"])

# Every check below fits or predicts without the choice situations, on y of class labels
# (0, 1, 2, ...) rather than choices: neither applies to a conditional logit, which, like
# XGBRanker and LGBMRanker, needs qid= or group= in every fit and prediction. The checks
# that need no fit (parameters, cloning, repr, tags, unfitted errors, y=None) pass. What the
# skipped ones guard is tested below on choice data instead (pickle, clone, n_features_in_,
# sparse X, weights per situation, row subsets).
_NEEDS_SITUATIONS = (
    "calls fit(X, y) without qid/group, on y of class labels (not choices): every fit of a "
    "choice model needs the situations, as XGBRanker/LGBMRanker need qid/group"
)
_SKIPPED = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_sample_weights_pandas_series",
    "check_sample_weights_not_an_array",
    "check_sample_weights_list",
    "check_all_zero_sample_weights_error",
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
]
EXPECTED_FAILED_CHECKS = dict.fromkeys(_SKIPPED, _NEEDS_SITUATIONS)


def small(cls, **kwargs):
    extra = {"num_leaves": 7, "min_child_samples": 5} if cls is ChoiceLGBMClassifier else {"max_depth": 3}
    return cls(**{"n_estimators": 8, "n_jobs": 1, **extra, **kwargs})


def make_mode_choice(n_situations, seed):
    """Mode choice with availability: each situation offers 2 or 3 of car/bus/bike (an
    unavailable mode is an absent row), with price and time per alternative; choices drawn
    from the true conditional logit (utility = ASC - price - 0.5 time)."""
    rng = np.random.default_rng(seed)
    asc = {"car": 0.5, "bus": 0.0, "bike": -0.5}
    rows = []
    for s in range(n_situations):
        offered = MODES[rng.permutation(3)[: rng.integers(2, 4)]]
        for mode in offered:
            rows.append((s, mode, rng.uniform(0, 3), rng.uniform(0, 3)))
    frame = pd.DataFrame(rows, columns=["situation", "mode", "price", "time"])
    utility = frame["mode"].map(asc).to_numpy() - frame.price.to_numpy() - 0.5 * frame.time.to_numpy()
    qid = frame.situation.to_numpy()
    noisy = utility + rng.gumbel(size=len(frame))
    y = np.zeros(len(frame))
    ptr = np.r_[0, np.flatnonzero(np.diff(qid)) + 1, len(frame)]
    for a, b in zip(ptr[:-1], ptr[1:], strict=True):
        y[a + np.argmax(noisy[a:b])] = 1.0
    truth = ChoiceLoss().predict_proba(utility, qid=qid)
    return frame[["mode", "price", "time"]], y, qid, truth


@pytest.fixture(scope="module")
def choice():
    X, y, qid, truth = make_mode_choice(150, seed=0)
    return {"frame": X, "X": X[["price", "time"]].to_numpy(), "y": y, "qid": qid, "truth": truth}


# ---------------------------------------------------------------------- scikit-learn checks
@parametrize_with_checks(
    [ChoiceXGBClassifier(n_estimators=5, n_jobs=1), ChoiceLGBMClassifier(n_estimators=5, n_jobs=1)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------- against references
def _by_hand(cls, X, y, qid, weight=None):
    loss = ChoiceLoss()
    if cls is ChoiceXGBClassifier:
        params = {"max_depth": 3, "nthread": 1, "seed": 0, "eta": 0.3, "verbosity": 0,
                  "disable_default_eval_metric": 1}  # fmt: skip
        dtrain = bo.xgboost_dmatrix(X, y, qid=qid, loss=loss, weight=weight, init_score=[0.0])
        return xgb.train(params, dtrain, 8, obj=bo.xgboost_objective(loss))
    params = {"num_leaves": 7, "min_child_samples": 5, "num_threads": 1, "verbose": -1, "seed": 0,
              "objective": bo.lightgbm_objective(loss)}  # fmt: skip
    sizes = np.diff(np.r_[0, np.flatnonzero(np.diff(qid)) + 1, len(qid)])
    return lgb.train(
        params, bo.lightgbm_dataset(X, y, group=sizes, loss=loss, weight=weight, init_score=[0.0]), 8
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_probabilities_equal_the_loss_on_the_booster_and_a_booster_trained_by_hand(cls, choice):
    X, y, qid = choice["X"], choice["y"], choice["qid"]
    weight = 1.0 + (np.unique(qid, return_inverse=True)[1] % 3)  # per row, constant within situations
    model = small(cls).fit(X, y, qid=qid, sample_weight=weight)
    proba = model.predict_proba(X, qid=qid)
    margins = bo.predict_margin(model.booster_, X, init_score=[0.0])
    np.testing.assert_array_equal(model.decision_function(X), margins)
    # in float64 (XGBoost's margins are float32: probabilities from them would sum to 1 +- 1e-7)
    np.testing.assert_array_equal(proba, ChoiceLoss().predict_proba(margins.astype(np.float64), qid=qid))
    hand = _by_hand(cls, X, y, qid, weight)
    tol = 1e-6 if cls is ChoiceXGBClassifier else 1e-12
    np.testing.assert_allclose(
        proba,
        ChoiceLoss().predict_proba(bo.predict_margin(hand, X, init_score=[0.0]), qid=qid),
        rtol=0,
        atol=tol,
    )
    # each situation's probabilities sum to 1; predict marks its most probable row
    sums = np.bincount(np.unique(qid, return_inverse=True)[1], weights=proba)
    np.testing.assert_allclose(sums, 1.0)
    chosen = model.predict(X, qid=qid)
    assert (
        chosen.dtype == np.int64
        and np.bincount(np.unique(qid, return_inverse=True)[1], weights=chosen).tolist() == [1.0] * 150
    )
    assert (
        proba[chosen == 1] == pd.Series(proba).groupby(qid).transform("max").to_numpy()[chosen == 1]
    ).all()
    # group= (sizes) is the same as qid=; weights per situation the same as per row
    sizes = np.bincount(np.unique(qid, return_inverse=True)[1])
    np.testing.assert_array_equal(model.predict_proba(X, group=sizes), proba)
    per_situation = small(cls).fit(X, y, group=sizes, sample_weight=weight[np.r_[0, np.cumsum(sizes)[:-1]]])
    np.testing.assert_array_equal(per_situation.predict_proba(X, qid=qid), proba)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_recovers_the_choices_better_than_chance(cls):
    """Train on 400 synthetic situations, test on 200 others: the held-out log-likelihood
    beats the uniform guess and the most probable row is the chosen one far more often
    than chance; the probabilities are close to the true ones."""
    X, y, qid, _ = make_mode_choice(400, seed=1)
    X_test, y_test, qid_test, truth = make_mode_choice(200, seed=2)
    model = small(cls, n_estimators=30, learning_rate=0.1).fit(X, y, qid=qid)
    sizes = np.bincount(np.unique(qid_test, return_inverse=True)[1])
    uniform = -np.log(sizes).mean()
    best = np.log(truth[y_test == 1]).mean()  # the true model's log-likelihood
    assert model.score(X_test, y_test, qid=qid_test) > uniform + (best - uniform) / 2
    hits = model.predict(X_test, qid=qid_test)[y_test == 1].mean()
    assert hits > (1 / sizes).mean() + 0.1
    proba = model.predict_proba(X_test, qid=qid_test)
    assert np.abs(proba - truth).mean() < np.abs(np.repeat(1 / sizes, sizes) - truth).mean() / 2
    assert model.feature_categories_ == {"mode": ["bike", "bus", "car"]}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_score_is_the_mean_log_likelihood_per_situation(cls, choice):
    X, y, qid = choice["X"], choice["y"], choice["qid"]
    model = small(cls).fit(X, y, qid=qid)
    proba = model.predict_proba(X, qid=qid)
    assert model.score(X, y, qid=qid) == pytest.approx(np.log(proba[y == 1]).mean(), rel=1e-12)
    w = np.arange(1.0, 151.0)
    assert model.score(X, y, qid=qid, sample_weight=w) == pytest.approx(
        np.average(np.log(proba[y == 1]), weights=w), rel=1e-12
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_eval_sets_and_early_stopping(cls, choice):
    X, y, qid = choice["X"], choice["y"], choice["qid"]
    half = np.searchsorted(qid, 75)
    model = small(cls).fit(
        X[:half], y[:half], qid=qid[:half], eval_set=[(X[half:], y[half:])], eval_qid=[qid[half:]]
    )
    curve = model.evals_result_["validation_0"]["choice"]
    assert len(curve) == 8 and model.best_iteration_ is None
    assert curve[-1] == pytest.approx(-model.score(X[half:], y[half:], qid=qid[half:]), rel=1e-5)
    sizes = np.bincount(np.unique(qid[half:], return_inverse=True)[1])
    rng = np.random.default_rng(0)
    noise = np.zeros(len(y) - half)
    noise[np.r_[0, np.cumsum(sizes)[:-1]] + rng.integers(0, 2, len(sizes))] = 1.0  # choices unrelated to X
    stopped = small(cls, n_estimators=40, learning_rate=0.5, early_stopping_rounds=2).fit(
        X[:half], y[:half], group=np.bincount(np.unique(qid[:half], return_inverse=True)[1]),
        eval_set=[(X[half:], y[half:]), (X[half:], noise)], eval_group=[sizes, sizes],
    )  # fmt: skip
    last = stopped.evals_result_["validation_1"]["choice"]
    assert len(last) < 40 and stopped.best_iteration_ == int(np.argmin(last))
    margins = bo.predict_margin(
        stopped.booster_,
        X,
        init_score=[0.0],
        **(
            {"iteration_range": (0, stopped.best_iteration_ + 1)}
            if cls is ChoiceXGBClassifier
            else {"num_iteration": stopped.best_iteration_ + 1}
        ),
    )
    np.testing.assert_array_equal(stopped.decision_function(X), margins)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dataframe_sparse_hooks_and_pickle(cls, choice, capsys):
    from scipy import sparse

    frame, y, qid = choice["frame"], choice["y"], choice["qid"]
    seen = []
    if cls is ChoiceXGBClassifier:

        class Record(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                seen.append(epoch)
                return False

        callback = Record()
    else:
        callback = lambda env: seen.append(env.iteration)  # noqa: E731 - LightGBM takes callables
    model = small(cls, callbacks=[callback], verbose=4).fit(frame, y, qid=qid)
    assert seen == list(range(8))
    assert capsys.readouterr().out.count("[boostobj] round") == 2
    assert model.feature_categories_ == {"mode": ["bike", "bus", "car"]}
    assert model.n_features_in_ == 3 and model.feature_names_in_.tolist() == ["mode", "price", "time"]
    assert model.feature_importances_.shape == (3,)
    proba = model.predict_proba(frame, qid=qid)
    again = pickle.loads(pickle.dumps(model.set_params(callbacks=None)))  # local callbacks do not pickle
    np.testing.assert_array_equal(again.predict_proba(frame, qid=qid), proba)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "booster_")
    with (
        pytest.raises(ValueError, match=r"X has 2 features, but Choice\w+ is expecting 3 features"),
        pytest.warns(UserWarning, match="X does not have valid feature names"),
    ):
        model.predict_proba(choice["X"], qid=qid)
    with pytest.raises(TypeError, match=r"^model: save_model does not write a " + cls.__name__):
        bo.save_model(model, "model.json")
    # sparse X (zeros stored as zeros: XGBoost would read left-out entries as missing)
    X = choice["X"]
    dense = small(cls).fit(X, y, qid=qid)
    csr = sparse.csr_matrix(X)
    np.testing.assert_allclose(small(cls).fit(csr, y, qid=qid).predict_proba(csr, qid=qid),
                               dense.predict_proba(X, qid=qid), rtol=0, atol=1e-6)  # fmt: skip
    # predicting a subset of situations gives the same probabilities as on all of them
    subset = np.isin(qid, [3, 4, 5])
    np.testing.assert_allclose(
        dense.predict_proba(X[subset], qid=qid[subset]), dense.predict_proba(X, qid=qid)[subset]
    )


def test_backend_parameters_are_shared_and_checked(choice):
    X, y, qid = choice["X"], choice["y"], choice["qid"]
    params = ChoiceXGBClassifier(n_jobs=1, max_depth=2, random_state=3)._backend_params()
    assert params == bo.MaskedXGBClassifier(n_jobs=1, max_depth=2, random_state=3)._backend_params()
    assert (
        ChoiceLGBMClassifier(n_jobs=1, subsample=0.5)._backend_params()
        == bo.MaskedLGBMClassifier(n_jobs=1, subsample=0.5)._backend_params()
    )
    with pytest.raises(ValueError, match=r"^booster_params: 'objective' is xgboost's objective"):
        small(ChoiceXGBClassifier, booster_params={"objective": "rank:pairwise"}).fit(X, y, qid=qid)
    with pytest.raises(ValueError, match=r"^booster_params: 'metric' is lightgbm's metric"):
        small(ChoiceLGBMClassifier, booster_params={"metric": "ndcg"}).fit(X, y, qid=qid)
    with pytest.raises(ValueError, match=r"^n_jobs: expected None, -1 or 0"):
        small(ChoiceLGBMClassifier, n_jobs=-2).fit(X, y, qid=qid)
    with pytest.raises(
        ValueError, match=r"^hessian: expected one of \['auto', 'exact', 'xgboost', 'lightgbm'\]"
    ):
        small(ChoiceXGBClassifier, hessian="newton").fit(X, y, qid=qid)
    model = small(ChoiceXGBClassifier, hessian="xgboost", booster_params={"gamma": 0.1}).fit(X, y, qid=qid)
    assert model.booster_.num_boosted_rounds() == 8


# ---------------------------------------------------------------------- errors
def test_bad_inputs(choice):
    X, y, qid = choice["X"][:12], choice["y"][:12], choice["qid"][:12]
    sizes = np.bincount(np.unique(qid, return_inverse=True)[1])
    two = y.copy()
    two[np.flatnonzero(qid == qid[0])] = 1.0
    shuffled = np.r_[qid[1:], qid[:1]]
    varying = np.ones(12)
    varying[1] = 2.0
    est = small(ChoiceXGBClassifier)
    cases = [
        ({}, "qid, group: expected the choice situations of the rows, as qid= (a situation id per row) or "
             "group= (rows per situation), each situation's rows contiguous; got neither"),
        ({"qid": qid, "group": sizes}, "qid, group: expected one of them; got both"),
        ({"qid": shuffled},
         f"qid: the rows of group {qid[0]} are not contiguous; sort the rows by group first"),
        ({"group": [5, 5]}, "group: expected groups of at least one row covering the 12 rows; got [5, 5]"),
        ({"qid": qid[:5]}, "qid: expected one id per row (12); got shape (5,)"),
        ({"qid": qid, "y": two}, f"y: choice situation 0 (rows 0..{sizes[0] - 1}) has choices summing to "
                                 f"{sizes[0]:g}; expected 1 on one chosen row and 0 on the others"),
        ({"qid": qid, "y": np.where(y == 1, 2.0, y)}, "y: row "),
        ({"qid": qid, "y": np.array(["a"] * 12)}, "y: expected choice flags or shares; got dtype <U1"),
        ({"qid": qid, "y": None}, "y: requires y to be passed, but the target y is None"),
        ({"qid": qid, "sample_weight": varying},
         "sample_weight: row 1 weighs 2.0, unlike the first row of its choice situation; a situation has one "
         "weight (give one per situation, or repeat it on its rows)"),
        ({"qid": qid, "sample_weight": np.ones(7)},
         f"sample_weight: expected one weight per choice situation ({sizes.size}) or per row (12); got 7"),
        ({"qid": qid, "sample_weight": np.zeros(sizes.size)},
         "sample_weight: every choice situation has weight zero; nothing to fit"),
        ({"qid": qid, "eval_set": [(X, y)]},
         "eval_qid, eval_group: expected the choice situations of each eval set (1), as eval_qid=[...] or "
         "eval_group=[...]; got neither"),
        ({"qid": qid, "eval_set": [(X, y)], "eval_qid": [qid, qid]},
         "eval_qid: expected one entry per eval set (1); got 2"),
        ({"qid": qid, "eval_qid": [qid]}, "eval_qid: given without eval_set"),
        ({"qid": qid, "eval_set": [(X, y)], "eval_qid": [shuffled]},
         f"eval_qid[0]: the rows of group {qid[0]} are not contiguous"),
        ({"qid": qid, "eval_set": [(X, two)], "eval_group": [sizes]}, "eval_set[0] y: choice situation 0"),
        ({"qid": qid, "early_stopping_rounds": 2},
         "early_stopping_rounds: needs an eval_set in fit to stop on"),
    ]  # fmt: skip
    for kwargs, message in cases:
        kwargs = dict(kwargs)
        labels = kwargs.pop("y", y)
        params = (
            {"early_stopping_rounds": kwargs.pop("early_stopping_rounds")}
            if "early_stopping_rounds" in kwargs
            else {}
        )
        with pytest.raises((TypeError, ValueError)) as info:
            clone(est).set_params(**params).fit(X, labels, **kwargs)
        assert str(info.value).startswith(message), (str(info.value), message)
    model = clone(est).fit(X, y, qid=qid)
    for method in (model.predict_proba, model.predict):
        with pytest.raises(ValueError, match=r"^qid, group: expected the choice situations of the rows"):
            method(X)
    with pytest.raises(ValueError, match=r"^group: expected groups of at least one row covering the 12 rows"):
        model.score(X, y, group=[12, 1])
