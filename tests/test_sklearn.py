"""The scikit-learn estimators: estimator checks, masks in fit/predict/score, engines,
routing through Pipeline/GridSearchCV/cross_validate, mask_from, labels, pickling, errors."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import boostobj
from boostobj import ClassMask, MaskedLGBMClassifier, MaskedXGBClassifier, TransitionMask
from boostobj.datasets import make_transition_data

ESTIMATORS = [MaskedXGBClassifier, MaskedLGBMClassifier]
SMALL = {"n_estimators": 15, "n_jobs": 2}


def small(cls, **kwargs):
    extra = {"num_leaves": 7, "min_child_samples": 5} if cls is MaskedLGBMClassifier else {"max_depth": 3}
    return cls(**{**SMALL, **extra, **kwargs})


@pytest.fixture(scope="module")
def trans():
    X, y, mask, allowed = make_transition_data(1200, 5, 2, n_features=5, random_state=1, return_allowed=True)
    return {"X": X, "y": y, "mask": mask, "allowed": allowed}


# Every check passes: there are no expected failures to list.
@parametrize_with_checks([MaskedXGBClassifier(n_estimators=5), MaskedLGBMClassifier(n_estimators=5)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_masked_fit_predict_matches_the_booster(cls, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    clf = small(cls).fit(X, y, valid_mask=mask)
    proba = clf.predict_proba(X, valid_mask=mask)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba[~mask.to_dense()] == 0).all()
    assert mask.contains(clf.predict(X, valid_mask=mask)).all()  # never an invalid class
    direct = boostobj.predict_proba(clf.booster_, X, mask=mask, init_score=clf.intercept_)
    np.testing.assert_array_equal(proba, direct)
    # without a mask at predict time the model refuses (it was fitted with masks); asked for
    # every class explicitly, it puts mass on classes invalid in training
    with pytest.raises(ValueError, match="fitted with per-row masks, so predict_proba needs one too"):
        clf.predict_proba(X)
    unmasked = clf.predict_proba(X, valid_mask="all")
    assert (unmasked[~mask.to_dense()] > 0).any()
    np.testing.assert_array_equal(
        unmasked, boostobj.predict_proba(clf.booster_, X, init_score=clf.intercept_)
    )


@pytest.mark.parametrize(("cls", "tol"), [(MaskedXGBClassifier, 1e-5), (MaskedLGBMClassifier, 1e-8)])
def test_native_and_numba_engines_train_the_same_model(cls, tol, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    native = small(cls, engine="native").fit(X, y, valid_mask=mask)
    numba = small(cls, engine="numba").fit(X, y, valid_mask=mask)
    assert (native.engine_, numba.engine_) == ("native", "numba")
    assert small(cls).fit(X, y, valid_mask=mask).engine_ == "native"  # auto
    diff = np.abs(native.predict_proba(X, valid_mask=mask) - numba.predict_proba(X, valid_mask=mask)).max()
    assert diff <= tol


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_auto_engine_is_numba_when_the_builtin_would_differ(cls, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    assert small(cls, hessian="exact").fit(X, y, valid_mask=mask).engine_ == "numba"
    assert small(cls, class_weight="balanced").fit(X, y, valid_mask=mask).engine_ == "numba"
    with pytest.raises(ValueError, match="engine: 'native'.*only matches"):
        small(cls, engine="native", hessian="exact").fit(X, y, valid_mask=mask)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_masks_in_labels_equal_masks_in_indices(cls, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    names = np.array(["stay", "north", "south", "east", "west"])  # sorted: east north south stay west
    labels = names[y]
    clf = small(cls).fit(
        X,
        labels,
        valid_mask=[names[mask.indices[a:b]] for a, b in zip(mask.indptr[:-1], mask.indptr[1:], strict=True)],
    )
    order = np.argsort(names)  # class index j of the estimator is label names[order[j]]
    as_indices = ClassMask.from_dense(mask.to_dense()[:, order])
    by_labels = clf.predict_proba(
        X,
        valid_mask=[names[mask.indices[a:b]] for a, b in zip(mask.indptr[:-1], mask.indptr[1:], strict=True)],
    )
    np.testing.assert_array_equal(by_labels, clf.predict_proba(X, valid_mask=as_indices))
    assert clf.classes_.tolist() == sorted(names.tolist())
    assert set(clf.predict(X, valid_mask=as_indices)) <= set(names)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_class_universe_larger_than_y(cls, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    keep = y != 4  # class 4 never observed, but valid in some rows
    clf = small(cls, classes=[0, 1, 2, 3, 4]).fit(
        X[keep], y[keep], valid_mask=mask.take(np.flatnonzero(keep))
    )
    assert clf.classes_.tolist() == [0, 1, 2, 3, 4]
    proba = clf.predict_proba(X, valid_mask=mask)
    assert proba.shape == (len(y), 5)
    only_four = mask.n_valid == 1
    only_four &= mask.to_dense()[:, 4]
    if only_four.any():
        assert (proba[only_four, 4] == 1).all()
    with pytest.raises(ValueError, match=r"valid_mask: unknown class 7"):
        small(cls).fit(X[keep], y[keep], valid_mask=[[0, 7]] * keep.sum())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_binary_with_and_without_masks(cls):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=400) > 0, "yes", "no")
    plain = small(cls).fit(X, y)
    assert plain.booster_ is not None and not plain._multiclass  # one margin, like binary:logistic
    proba = plain.predict_proba(X)
    assert proba.shape == (400, 2) and plain.score(X, y) > 0.7
    forced = np.tile([True, True], (400, 1))
    forced[:50] = [False, True]  # the first 50 rows can only be "yes"
    masked = small(cls).fit(X, np.where(np.arange(400) < 50, "yes", y), valid_mask=forced)
    assert masked._multiclass  # two margins: the mask needs per-class margins
    p = masked.predict_proba(X, valid_mask=forced)
    assert (p[:50, 0] == 0).all() and (p[:50, 1] == 1).all()
    p_plain = plain.predict_proba(X, valid_mask=forced)  # a one-margin model can be masked at predict
    assert (p_plain[:50] == [0.0, 1.0]).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_early_stopping_on_eval_sets_with_their_own_masks(cls, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    tr, va = np.arange(800), np.arange(800, 1200)
    clf = small(cls, n_estimators=300, learning_rate=0.5, early_stopping_rounds=5)
    clf.fit(
        X[tr], y[tr], valid_mask=mask.take(tr), eval_set=[(X[va], y[va])], eval_valid_mask=[mask.take(va)]
    )
    curve = clf.evals_result_["validation_0"]["masked-mlogloss"]
    assert clf.best_iteration_ is not None and clf.best_iteration_ < len(curve) - 1 < 299
    assert np.argmin(curve) == clf.best_iteration_
    # predictions use the best iteration: the masked log-loss equals the recorded minimum
    proba = clf.predict_proba(X[va], valid_mask=mask.take(va))
    logloss = -np.mean(np.log(proba[np.arange(len(va)), y[va]]))
    assert logloss == pytest.approx(min(curve), abs=1e-5)


def test_cross_validate_and_grid_search_route_masks_row_by_row(trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    folds = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = small(MaskedXGBClassifier).set_fit_request(valid_mask=True).set_score_request(valid_mask=True)
        result = cross_validate(est, X, y, cv=folds, params={"valid_mask": mask})
        manual = []
        for tr, te in folds.split(X):
            fitted = small(MaskedXGBClassifier).fit(X[tr], y[tr], valid_mask=mask.take(tr))
            manual.append(fitted.score(X[te], y[te], valid_mask=mask.take(te)))
        np.testing.assert_allclose(result["test_score"], manual)
        search = GridSearchCV(est, {"max_depth": [1, 3]}, cv=folds).fit(X, y, valid_mask=mask)
        assert search.best_params_["max_depth"] in (1, 3)
        pipe = Pipeline([("scale", StandardScaler()), ("clf", est)]).fit(X, y, valid_mask=mask)
        assert pipe.score(X, y, valid_mask=mask) > 0.5


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_mask_from_needs_no_routing(cls, trans):
    X, y, mask, allowed = trans["X"], trans["y"], trans["mask"], trans["allowed"]
    rule = TransitionMask(0, allowed)
    assert rule(X) == mask
    est = small(cls, mask_from=rule)
    scores = cross_val_score(est, X, y, cv=3, scoring="neg_log_loss")
    assert np.isfinite(scores).all()  # neg_log_loss would be -inf if invalid classes got mass
    search = GridSearchCV(est, {"learning_rate": [0.1, 0.3]}, cv=3, scoring="neg_log_loss").fit(X, y)
    proba = search.predict_proba(X)
    assert (proba[~mask.to_dense()] == 0).all()
    # the state column must reach the estimator unchanged: keep it first, scale the rest
    prep = ColumnTransformer([("state", "passthrough", [0]), ("rest", StandardScaler(), [1, 2, 3, 4])])
    pipe = Pipeline([("prep", prep), ("clf", small(cls, mask_from=rule))]).fit(X, y)
    assert (pipe.predict_proba(X)[~mask.to_dense()] == 0).all()


def test_transition_mask_by_column_name_and_feature_names(trans):
    pd = pytest.importorskip("pandas")
    X, y, allowed = trans["X"], trans["y"], trans["allowed"]
    frame = pd.DataFrame(X, columns=["state", "a", "b", "c", "d"])
    clf = small(MaskedLGBMClassifier, mask_from=TransitionMask("state", allowed)).fit(frame, y)
    assert clf.feature_names_in_.tolist() == ["state", "a", "b", "c", "d"]
    assert clf.n_features_in_ == 5 and clf.feature_importances_.shape == (5,)
    assert clf.feature_importances_.sum() == pytest.approx(1.0)
    assert (clf.predict_proba(frame)[~trans["mask"].to_dense()] == 0).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_pickle_round_trip_in_a_fresh_process(cls, how, trans, tmp_path):
    import joblib

    X, y, mask = trans["X"], np.array(list("abcde"))[trans["y"]], trans["mask"]
    clf = small(cls, mask_from=TransitionMask(0, trans["allowed"])).fit(X, y)
    path = tmp_path / "model.bin"
    if how == "pickle":
        path.write_bytes(pickle.dumps(clf))
        load = "pickle.loads(open(sys.argv[1], 'rb').read())"
    else:
        joblib.dump(clf, path)
        load = "joblib.load(sys.argv[1])"
    np.save(tmp_path / "X.npy", X)
    code = (
        f"import pickle, sys, joblib, numpy as np; clf = {load}; "
        "X = np.load(sys.argv[2]); np.save(sys.argv[3], clf.predict_proba(X)); "
        "print(''.join(clf.predict(X[:20])))"
    )
    args = [str(path), str(tmp_path / "X.npy"), str(tmp_path / "p.npy")]
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    ).stdout
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), clf.predict_proba(X))
    assert out.strip() == "".join(clf.predict(X[:20]))
    assert mask.contains(np.searchsorted(clf.classes_, clf.predict(X))).all()


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_inputs(cls, trans):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    with pytest.raises(ValueError, match=r"valid_mask: has 1199 rows but X has 1200"):
        small(cls).fit(X, y, valid_mask=mask.take(np.arange(1199)))
    with pytest.raises(ValueError, match=r"valid_mask: unknown class 'z'"):
        small(cls).fit(X, np.array(list("abcde"))[y], valid_mask=[["a", "z"]] * len(y))
    bad_y = y.copy()
    bad_y[7] = next(j for j in range(5) if not mask.to_dense()[7, j])
    with pytest.raises(ValueError, match=r"y: the label \d of row 7 is not one of its valid classes"):
        small(cls).fit(X, bad_y, valid_mask=mask)
    clf = small(cls).fit(X, y, valid_mask=mask)
    with pytest.raises(
        ValueError, match=r"valid_mask: expected 5 classes \(classes \[.*\]\), got a mask of 4"
    ):
        clf.predict_proba(X, valid_mask=np.ones((len(y), 4), bool))
    with pytest.raises(ValueError, match=r"mask_from\(X\): has 10 rows but X has 1200"):
        small(cls, mask_from=lambda X: mask.take(np.arange(10))).fit(X, y)
    with pytest.raises(ValueError, match=r"eval_valid_mask: training uses valid_mask"):
        small(cls).fit(X, y, valid_mask=mask, eval_set=[(X, y)])
    with pytest.raises(ValueError, match=r"early_stopping_rounds: needs an eval_set"):
        small(cls, early_stopping_rounds=3).fit(X, y, valid_mask=mask)
    with pytest.raises(ValueError, match=r"engine: expected one of"):
        small(cls, engine="gpu").fit(X, y)
    with pytest.raises(ValueError, match=r"y: labels \[4\] are not in classes="):
        small(cls, classes=[0, 1, 2, 3]).fit(X, y)
    with pytest.raises(ValueError, match=r"X: row \d+ has state 7.0 in column 0"):
        TransitionMask(0, trans["allowed"])(np.full((3, 2), 7.0))


@pytest.mark.parametrize(
    ("params", "fit_kwargs", "error", "match"),
    [
        ({"loss": "hinge"}, {}, ValueError, r"loss: expected 'softmax' or a boostobj Loss; got 'hinge'"),
        (
            {"loss": boostobj.SoftmaxLoss(), "class_weight": "balanced"},
            {},
            ValueError,
            r"class_weight, hessian: set them on the loss object",
        ),
        ({"n_estimators": 0}, {}, ValueError, r"n_estimators: expected an integer >= 1; got 0"),
        (
            {"early_stopping_rounds": 0},
            {},
            ValueError,
            r"early_stopping_rounds: expected None or an integer >= 1",
        ),
        ({"mask_from": 3}, {}, TypeError, r"mask_from: expected a callable X -> mask; got int"),
        ({"class_weight": [1.0, 2.0]}, {}, ValueError, r"class_weight: expected None, 'balanced' or a dict"),
        (
            {"loss": boostobj.BinaryLogLoss()},
            {},
            ValueError,
            r"loss: a one-margin \(binary\) loss needs exactly 2",
        ),
        ({}, {"eval_valid_mask": [None]}, ValueError, r"eval_valid_mask: given without eval_set"),
        (
            {},
            {"eval_set": [(np.zeros((2, 5)), [0, 1])], "eval_valid_mask": [None, None]},
            ValueError,
            r"eval_valid_mask: expected one mask per eval set \(1\); got 2",
        ),
    ],
)
def test_bad_parameters(params, fit_kwargs, error, match, trans):
    with pytest.raises(error, match=match):
        small(MaskedXGBClassifier, **params).fit(trans["X"], trans["y"], **fit_kwargs)


@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
def test_classes_out_of_sorted_order_are_refused(cls):
    """``classes_`` are predict_proba's columns, which scikit-learn's log_loss and the
    neg_log_loss scorer read in sorted label order: unsorted ones used to be scored against
    the wrong columns, silently."""
    X, y, _ = make_transition_data(200, 4, 2, random_state=0)
    labels = np.array(["a", "b", "c", "d"])[y]
    message = r"^classes: expected the labels in sorted order .* got \['d', 'c', 'b', 'a'\]"
    with pytest.raises(ValueError, match=message):
        small(cls, classes=["d", "c", "b", "a"]).fit(X, labels)
    clf = small(cls, classes=["a", "b", "c", "d", "e"]).fit(X, labels)
    assert clf.classes_.tolist() == ["a", "b", "c", "d", "e"]
    with_nan = small(cls, classes=[0.0, 1.0, 2.0, 3.0, np.nan]).fit(X, y.astype(float))  # np.unique's order
    assert with_nan.classes_.size == 5
