"""The masked multi-output estimators (boostobj.multioutput): scikit-learn's checks, the
probabilities against the booster and against a booster trained by hand on the grouped
softmax, masks in both forms, missing labels, early stopping, hooks and errors."""

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
from boostobj import ClassMask, MaskedMultiOutputLGBMClassifier, MaskedMultiOutputXGBClassifier
from boostobj.grouped import GroupedSoftmaxLoss

ESTIMATORS = [MaskedMultiOutputXGBClassifier, MaskedMultiOutputLGBMClassifier]
LETTERS = np.array(["a", "b", "c"])

_ONE_D_Y = (
    "fits a 1-D y: a multi-output classifier takes y of shape (n, n_outputs) and refuses 1-D y "
    "with a hint to reshape(-1, 1), as scikit-learn's MultiOutputClassifier does"
)
_LIST_PROBA = (
    "treats predict_proba's output as one (n, n_classes) array; a multi-output classifier "
    "returns a list of per-output arrays (scikit-learn's convention for multi-output "
    "classifiers); the property is tested here instead"
)
EXPECTED_FAILED_CHECKS = {
    "check_classifiers_train": "asserts predict of shape (n,) and predict_proba of shape (n, K): "
    "single-output conventions; here predict is (n, n_outputs) and predict_proba a list per output",
    "check_classifiers_classes": _ONE_D_Y,
    "check_class_weight_classifiers": _ONE_D_Y + "; and class_weight here is a list of per-output "
    "dicts (the convention of scikit-learn's multi-output forests), not one dict",
    "check_estimator_sparse_array": _LIST_PROBA + " (test_sparse_features_equal_dense)",
    "check_estimator_sparse_matrix": _LIST_PROBA + " (test_sparse_features_equal_dense)",
    "check_methods_sample_order_invariance": _LIST_PROBA + " (test_row_order_invariance)",
}


def small(cls, **kwargs):
    extra = (
        {"num_leaves": 7, "min_child_samples": 5}
        if cls is MaskedMultiOutputLGBMClassifier
        else {"max_depth": 3}
    )
    return cls(**{"n_estimators": 6, "n_jobs": 1, **extra, **kwargs})


@pytest.fixture(scope="module")
def data():
    """Two outputs (letters a/b/c and integers 0/1/2, 6 columns), a random mask with at
    least one valid class per output, labels valid in their rows, some labels missing."""
    rng = np.random.default_rng(3)
    n = 240
    X = rng.normal(size=(n, 4))
    dense = rng.random((n, 6)) < 0.7
    for lo, hi in ((0, 3), (3, 6)):
        empty = ~dense[:, lo:hi].any(axis=1)
        dense[empty, lo + rng.integers(0, hi - lo, empty.sum())] = True
    positions = np.empty((n, 2), dtype=np.int64)
    for g, (lo, hi) in enumerate(((0, 3), (3, 6))):
        score = X[:, g : g + 1] * np.array([1.5, 0.0, -1.5]) + rng.gumbel(size=(n, 3))
        score[~dense[:, lo:hi]] = -np.inf
        positions[:, g] = score.argmax(axis=1)
    positions[rng.choice(n, 20, replace=False), 0] = -1
    positions[rng.choice(n, 20, replace=False), 1] = -1
    y = np.empty((n, 2), dtype=object)
    y[:, 0] = np.where(positions[:, 0] >= 0, LETTERS[positions[:, 0]], None)
    y[:, 1] = [None if p < 0 else int(p) for p in positions[:, 1]]
    return {"X": X, "y": y, "positions": positions, "mask": ClassMask.from_dense(dense), "dense": dense}


# ---------------------------------------------------------------------- scikit-learn checks
@parametrize_with_checks(
    [
        MaskedMultiOutputXGBClassifier(n_estimators=5, n_jobs=1),
        MaskedMultiOutputLGBMClassifier(n_estimators=5, n_jobs=1),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------- against references
def _by_hand(cls, data, intercept):
    """The same model trained by hand on the grouped softmax (xgb.train / lgb.train)."""
    X, positions, mask = data["X"], data["positions"], data["mask"]
    if cls is MaskedMultiOutputXGBClassifier:
        loss = GroupedSoftmaxLoss([3, 3], hessian="xgboost", ignore_index=-1)
        params = {"num_class": 6, "max_depth": 3, "nthread": 1, "seed": 0, "eta": 0.3, "verbosity": 0,
                  "disable_default_eval_metric": 1}  # fmt: skip
        dtrain = bo.xgboost_dmatrix(X, positions, loss=loss, mask=mask, init_score=intercept)
        return xgb.train(params, dtrain, 6, obj=bo.xgboost_objective(loss))
    loss = GroupedSoftmaxLoss([3, 3], hessian="lightgbm", ignore_index=-1)
    params = {"num_class": 6, "num_leaves": 7, "min_child_samples": 5, "num_threads": 1, "verbose": -1,
              "seed": 0, "objective": bo.lightgbm_objective(loss)}  # fmt: skip
    return lgb.train(params, bo.lightgbm_dataset(X, positions, loss=loss, mask=mask, init_score=intercept), 6)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_probabilities_equal_the_booster_and_a_booster_trained_by_hand(cls, data):
    X, y, mask, dense = data["X"], data["y"], data["mask"], data["dense"]
    clf = small(cls).fit(X, y, valid_mask=mask)
    assert [c.tolist() for c in clf.classes_] == [["a", "b", "c"], [0, 1, 2]]
    assert clf.classes_[1].dtype.kind == "i"  # an object column of ints (with None) stays integer
    assert clf.n_outputs_ == 2 and clf.column_offsets_.tolist() == [0, 3, 6]
    loss = GroupedSoftmaxLoss([3, 3], ignore_index=-1)
    np.testing.assert_array_equal(clf.intercept_, loss.init_raw_prediction(data["positions"], mask=mask))
    proba = clf.predict_proba(X, valid_mask=mask)
    # the loss's predict_proba on the booster's margins, bit for bit
    raw = bo.predict_margin(clf.booster_, X, mask=mask, init_score=clf.intercept_)
    for got, expected in zip(proba, loss.predict_proba(raw, mask=mask), strict=True):
        np.testing.assert_array_equal(got, expected)
    # the model trained by hand through xgboost_dmatrix/lightgbm_dataset(..., loss=...)
    hand = bo.predict_margin(_by_hand(cls, data, clf.intercept_), X, mask=mask, init_score=clf.intercept_)
    tol = 1e-6 if cls is MaskedMultiOutputXGBClassifier else 1e-12
    for got, expected in zip(proba, loss.predict_proba(hand, mask=mask), strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=tol)
    # rows sum to 1, exact zeros on forbidden classes, predict never picks one
    predicted = clf.predict(X, valid_mask=mask)
    assert predicted.shape == (len(X), 2) and predicted.dtype == object  # letters and integers
    for g, (lo, hi) in enumerate(((0, 3), (3, 6))):
        np.testing.assert_allclose(proba[g].sum(axis=1), 1.0)
        assert (proba[g][~dense[:, lo:hi]] == 0).all() and (proba[g][dense[:, lo:hi]] > 0).all()
        chosen = np.searchsorted(clf.classes_[g], predicted[:, g].astype(clf.classes_[g].dtype))
        assert dense[np.arange(len(X)), lo + chosen].all()
        np.testing.assert_array_equal(predicted[:, g], clf.classes_[g][proba[g].argmax(axis=1)])


def test_masks_per_output_equal_the_concatenated_mask(data):
    X, y, mask, dense = data["X"], data["y"], data["mask"], data["dense"]
    clf = small(MaskedMultiOutputXGBClassifier).fit(X, y, valid_mask=dense)
    expected = clf.predict_proba(X, valid_mask=mask)
    frame = pd.DataFrame(dense[:, :3], columns=["c", "a", "b"]).loc[:, ["c", "a", "b"]]
    frame.columns = ["a", "b", "c"]  # columns named by the output's labels
    forms = [
        [dense[:, :3], dense[:, 3:]],
        (ClassMask.from_dense(dense[:, :3]), dense[:, 3:].astype(int).astype(bool)),
        [frame, ClassMask.from_dense(dense[:, 3:])],
        [list(np.flatnonzero(row)) for row in dense],  # per-row lists of concatenated columns
        mask.to_csr(),
    ]
    for form in forms:
        for got, want in zip(clf.predict_proba(X, valid_mask=form), expected, strict=True):
            np.testing.assert_array_equal(got, want)
    # None in the list: every class of that output
    half = clf.predict_proba(X, valid_mask=[dense[:, :3], None])
    np.testing.assert_array_equal(half[0], expected[0])
    full = clf.predict_proba(X, valid_mask="all")
    np.testing.assert_array_equal(half[1], full[1])
    # a model fitted with masks refuses to go without one
    with pytest.raises(
        ValueError, match=r"^valid_mask: this model was fitted with per-row masks, so predict_proba"
    ):
        clf.predict_proba(X)
    with pytest.raises(ValueError, match=r"^valid_mask: this model was fitted with per-row masks, so score"):
        clf.score(X, y)


def test_mask_from_needs_no_mask_at_predict(data):
    X, y, dense = data["X"], data["y"], data["dense"]
    rows = {tuple(x): d for x, d in zip(X.tolist(), dense, strict=True)}
    rule = _Lookup(rows)
    clf = small(MaskedMultiOutputLGBMClassifier, mask_from=rule).fit(X, y, eval_set=[(X, y)])
    assert clf.masked_fit_
    for got, want in zip(clf.predict_proba(X), clf.predict_proba(X, valid_mask=dense), strict=True):
        np.testing.assert_array_equal(got, want)


class _Lookup:
    """A picklable mask_from: each row's mask by its features."""

    def __init__(self, rows):
        self.rows = rows

    def __call__(self, X):
        return np.array([self.rows[tuple(x)] for x in np.asarray(X).tolist()])


def test_missing_labels_are_ignored_not_errors(data):
    """None/NaN labels train nothing for that output: the model equals one trained by hand
    with ignore_index, whichever container carries them."""
    X, y, positions = data["X"], data["y"], data["positions"]
    frame = pd.DataFrame({"letter": y[:, 0], "number": pd.array(list(y[:, 1]), dtype="Int64")})
    floats = np.where(positions >= 0, positions, np.nan).astype(float)  # NaN as missing
    models = [small(MaskedMultiOutputXGBClassifier).fit(X, labels) for labels in (y, frame)]
    np.testing.assert_array_equal(models[0].intercept_, models[1].intercept_)
    for a, b in zip(models[0].predict_proba(X), models[1].predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)
    numeric = small(MaskedMultiOutputXGBClassifier).fit(X, floats)
    assert [c.tolist() for c in numeric.classes_] == [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    for a, b in zip(models[0].predict_proba(X), numeric.predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)
    # score: subset accuracy over the labelled outputs of each row
    predicted = models[0].predict(X)
    right = [
        all(v is None or v == p for v, p in zip(row, pred, strict=True))
        for row, pred in zip(y, predicted, strict=True)
    ]
    assert models[0].score(X, y) == pytest.approx(np.mean(right))
    weights = np.linspace(0.5, 2.0, len(X))
    assert models[0].score(X, y, sample_weight=weights) == pytest.approx(np.average(right, weights=weights))


def test_class_weights_per_output_equal_the_loss_weights(data):
    X, y, positions = data["X"], data["y"], data["positions"]
    clf = small(MaskedMultiOutputXGBClassifier, class_weight=[{"b": 3.0}, None]).fit(X, y)
    loss = GroupedSoftmaxLoss([3, 3], hessian="xgboost", ignore_index=-1, class_weight=[1, 3, 1, 1, 1, 1])
    params = {"num_class": 6, "max_depth": 3, "nthread": 1, "seed": 0, "eta": 0.3, "verbosity": 0,
              "disable_default_eval_metric": 1}  # fmt: skip
    dtrain = bo.xgboost_dmatrix(X, positions, loss=loss, init_score=clf.intercept_)
    booster = xgb.train(params, dtrain, 6, obj=bo.xgboost_objective(loss))
    hand = loss.predict_proba(bo.predict_margin(booster, X, init_score=clf.intercept_))
    for got, want in zip(clf.predict_proba(X), hand, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    balanced = small(MaskedMultiOutputXGBClassifier, class_weight="balanced").fit(X, y)
    assert not np.array_equal(balanced.predict_proba(X)[0], clf.predict_proba(X)[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_early_stopping_on_the_summed_masked_loss_of_the_last_eval_set(cls, data):
    X, y, mask, dense = data["X"], data["y"], data["mask"], data["dense"]
    clf = small(cls, n_estimators=5).fit(
        X, y, valid_mask=mask, eval_set=[(X[:50], y[:50]), (X, y)], eval_valid_mask=[dense[:50], mask]
    )
    recorded = clf.evals_result_["validation_1"]["grouped-softmax"]
    assert len(recorded) == 5 and clf.best_iteration_ is None
    # the last value is the sum over the outputs of each output's masked log-loss, averaged
    # over the rows that have a label for it
    proba = clf.predict_proba(X, valid_mask=mask)
    positions = data["positions"]
    per_output = [
        -np.log(proba[g][positions[:, g] >= 0, positions[positions[:, g] >= 0, g]]).mean() for g in range(2)
    ]
    assert recorded[-1] == pytest.approx(sum(per_output), rel=1e-5)
    # a held-out set whose labels are noise: stops early and predicts from the best round
    rng = np.random.default_rng(0)
    noise = np.column_stack([rng.choice(LETTERS, 60), rng.integers(0, 3, 60)]).astype(object)
    noise[:, 1] = noise[:, 1].astype(int)
    stopped = small(cls, n_estimators=40, early_stopping_rounds=2, learning_rate=0.5).fit(
        X, y, eval_set=[(X[:60], noise)]
    )
    curve = stopped.evals_result_["validation_0"]["grouped-softmax"]
    assert stopped.best_iteration_ == int(np.argmin(curve)) and len(curve) < 40


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dataframe_with_categories_hooks_and_pickle(cls, data, capsys):
    X, y = data["X"], data["y"]
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(kind=np.where(X[:, 0] > 0, "hi", "lo"))
    seen = []
    if cls is MaskedMultiOutputXGBClassifier:

        class Record(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                seen.append(epoch)
                return False

        callback = Record()
    else:
        callback = lambda env: seen.append(env.iteration)  # noqa: E731 - LightGBM takes callables
    clf = small(cls, callbacks=[callback], verbose=3).fit(frame, y)
    assert seen == list(range(6))
    assert capsys.readouterr().out.count("[boostobj] round") == 2
    assert clf.feature_categories_ == {"kind": ["hi", "lo"]}
    assert clf.feature_names_in_.tolist() == ["a", "b", "c", "d", "kind"]
    assert clf.feature_importances_.shape == (5,)
    proba = clf.predict_proba(frame)
    again = pickle.loads(pickle.dumps(clf.set_params(callbacks=None)))  # local callbacks do not pickle
    for a, b in zip(again.predict_proba(frame), proba, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.predict(frame), clf.predict(frame))
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and not hasattr(twin, "booster_")
    with pytest.raises(TypeError, match=r"^model: save_model does not write a " + cls.__name__):
        bo.save_model(clf, "model.json")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_features_equal_dense(cls, data):
    from scipy import sparse

    X, y = data["X"], data["y"]
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    # XGBoost reads the entries a sparse matrix leaves out as missing, LightGBM as zeros
    same = np.where(X == 0, np.nan, X) if cls is MaskedMultiOutputXGBClassifier else X
    dense, csr = small(cls).fit(same, y), small(cls).fit(sparse.csr_matrix(X), y)
    for a, b in zip(dense.predict_proba(same), csr.predict_proba(sparse.csr_matrix(X)), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_row_order_invariance(data):
    X, y, dense = data["X"], data["y"], data["dense"]
    clf = small(MaskedMultiOutputLGBMClassifier).fit(X, y, valid_mask=dense)
    order = np.random.default_rng(1).permutation(len(X))
    for a, b in zip(
        clf.predict_proba(X, valid_mask=dense),
        clf.predict_proba(X[order], valid_mask=dense[order]),
        strict=True,
    ):
        np.testing.assert_array_equal(a[order], b)


def test_backend_parameters_are_shared_and_checked(data):
    X, y = data["X"], data["y"]
    params = MaskedMultiOutputXGBClassifier(n_jobs=1, learning_rate=0.2, random_state=4)._backend_params()
    assert params == bo.MaskedXGBClassifier(n_jobs=1, learning_rate=0.2, random_state=4)._backend_params()
    lgb_params = MaskedMultiOutputLGBMClassifier(n_jobs=1, num_leaves=5)._backend_params()
    assert lgb_params == bo.MaskedLGBMClassifier(n_jobs=1, num_leaves=5)._backend_params()
    with pytest.raises(
        ValueError, match=r"^booster_params: 'num_class' is xgboost's num_class, which the estimator"
    ):
        small(MaskedMultiOutputXGBClassifier, booster_params={"num_class": 3}).fit(X, y)
    with pytest.raises(ValueError, match=r"^booster_params: 'num_threads' is lightgbm's thread count"):
        small(MaskedMultiOutputLGBMClassifier, booster_params={"num_threads": 2}).fit(X, y)
    with pytest.raises(ValueError, match=r"^n_jobs: expected None, -1 or 0"):
        small(MaskedMultiOutputXGBClassifier, n_jobs=-2).fit(X, y)
    with pytest.raises(
        TypeError, match=r"^callbacks: expected a list of xgboost callbacks; got builtin_function_or_method"
    ):
        small(MaskedMultiOutputXGBClassifier, callbacks=print).fit(X, y)
    with pytest.raises(ValueError, match=r"^verbose: expected True/False or a number of rounds >= 0; got -1"):
        small(MaskedMultiOutputXGBClassifier, verbose=-1).fit(X, y)


# ---------------------------------------------------------------------- errors
def test_bad_inputs(data):
    X, y, mask, dense = data["X"], data["y"], data["mask"], data["dense"]
    est = small(MaskedMultiOutputXGBClassifier)
    cases = [
        ((X, y[:, 0]), {}, ValueError,
         "y: expected class labels of shape (n_samples, n_outputs); got shape (240,) (for one output, pass "
         "y.reshape(-1, 1))"),
        ((X, y[:10]), {}, ValueError, "y: has 10 rows but X has 240; they must match"),
        ((X, np.c_[y, np.zeros(240, int)]), {}, ValueError,
         "y: output 2 needs at least 2 classes; got 1 class (0)"),
        ((X, np.c_[y[:, :1], np.linspace(0, 1, 240)]), {}, ValueError,
         "y: in output 1, Unknown label type: "),
        ((X, y), {"valid_mask": dense[:, :5]}, ValueError,
         "valid_mask: expected 6 columns, one per class of each output (3 + 3), or a list of 2 per-output "
         "masks; got a mask of 5 columns"),
        ((X, y), {"valid_mask": [dense[:, :3], dense[:10, 3:]]}, ValueError,
         "valid_mask[1]: has 10 rows but X has 240; they must match"),
        ((X, y), {"valid_mask": np.c_[dense[:, :3], np.zeros((240, 3), bool)]}, ValueError,
         "valid_mask: row 0 has no valid class in output 1; every output needs at least one"),
        ((X, y), {"valid_mask": mask, "eval_set": [(X, y)]}, ValueError,
         "eval_valid_mask: training uses valid_mask, so each eval set needs its own mask too"),
        ((X, y), {"eval_set": [(X, np.where(y == "a", "z", y))]}, ValueError,
         "eval_set[0] y: in output 0, unknown class 'z'; the classes are ['a', 'b', 'c']"),
        ((X, y), {"eval_set": [(X, np.c_[y, y[:, :1]])]}, ValueError,
         "eval_set[0] y: expected 2 outputs (columns), as in fit; got 3"),
    ]  # fmt: skip
    bad_label = y.copy()
    row = int(np.flatnonzero(~dense[:, 0] & (data["positions"][:, 0] >= 0))[0])
    bad_label[row, 0] = "a"
    cases.append(((X, bad_label), {"valid_mask": mask}, ValueError,
                  f"y: the label 'a' of row {row} in output 0 is not one of its valid classes"))  # fmt: skip
    for args, kwargs, error, message in cases:
        with pytest.raises(error) as info:
            clone(est).fit(*args, **kwargs)
        assert str(info.value).startswith(message), (str(info.value), message)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"hessian": "newton"},
            "hessian: expected one of ['auto', 'exact', 'xgboost', 'lightgbm']; got 'newton'",
        ),
        (
            {"class_weight": {"a": 2.0}},
            "class_weight: expected None, 'balanced' or a list of {label: weight} dicts",
        ),
        ({"class_weight": [{"a": 2.0}]}, "class_weight: expected one dict (or None) per output (2); got 1"),
        (
            {"class_weight": [{"z": 2.0}, None]},
            "class_weight[0]: unknown class 'z'; the classes are ['a', 'b', 'c']",
        ),
        (
            {"class_weight": [{"a": -1.0}, None]},
            "class_weight: entry 0 has weight -1.0; expected a finite number >= 0",
        ),
        ({"classes": [["a", "b", "c"]]}, "classes: expected one entry per output (2); got 1"),
        ({"classes": [["a", "b"], None]}, "y: labels ['c'] of output 0 are not in classes[0]=['a', 'b']"),
        ({"classes": [["c", "b", "a"], None]}, "classes[0]: expected the labels in sorted order"),
        ({"n_estimators": 0}, "n_estimators: expected an integer >= 1; got 0"),
        ({"early_stopping_rounds": 2}, "early_stopping_rounds: needs an eval_set in fit to stop on"),
        ({"mask_from": 3}, "mask_from: expected a callable X -> mask; got int"),
    ],
)
def test_bad_parameters(params, message, data):
    with pytest.raises((TypeError, ValueError)) as info:
        small(MaskedMultiOutputXGBClassifier, **params).fit(data["X"], data["y"])
    assert str(info.value).startswith(message), str(info.value)


def test_a_class_universe_larger_than_y(data):
    X, y = data["X"], data["y"]
    clf = small(MaskedMultiOutputXGBClassifier, classes=[["a", "b", "c", "d"], None]).fit(X, y)
    assert clf.column_offsets_.tolist() == [0, 4, 7]
    proba = clf.predict_proba(X, valid_mask=[np.tile([True, True, True, False], (240, 1)), None])
    assert proba[0].shape == (240, 4) and (proba[0][:, 3] == 0).all()
