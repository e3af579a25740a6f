"""Model persistence in the backends' own files: boosters and estimators saved with their
boostobj configuration load (in this process and a fresh one) and predict identical
masked probabilities; the files still load in plain XGBoost / LightGBM."""

from __future__ import annotations

import subprocess
import sys

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

import boostobj as bo
from boostobj import (
    FocalLoss,
    MaskedLGBMClassifier,
    MaskedXGBClassifier,
    SoftmaxLoss,
    TransitionMask,
)
from boostobj.datasets import make_transition_data

XGB_PARAMS = {"num_class": 5, "nthread": 2, "max_depth": 3, "verbosity": 0, "disable_default_eval_metric": 1}
LGB_PARAMS = {"num_class": 5, "num_threads": 2, "verbose": -1, "num_leaves": 7}
LABELS = np.array(["east", "north", "south", "stay", "west"])


@pytest.fixture(scope="module")
def trans():
    X, y, mask, allowed = make_transition_data(900, 5, 2, n_features=4, random_state=3, return_allowed=True)
    return {"X": X, "y": y, "mask": mask, "allowed": allowed}


def _train_booster(backend, trans, loss):
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    intercept = loss.init_raw_prediction(y, mask=mask)
    if backend == "xgboost":
        dtrain = bo.xgboost_dmatrix(X, y, mask=mask, init_score=intercept)
        return xgb.train(XGB_PARAMS, dtrain, 8, obj=bo.xgboost_objective(loss)), intercept
    dtrain = bo.lightgbm_dataset(X, y, mask=mask, init_score=intercept)
    return lgb.train({**LGB_PARAMS, "objective": bo.lightgbm_objective(loss)}, dtrain, 8), intercept


@pytest.mark.parametrize(
    ("backend", "suffix"), [("xgboost", "json"), ("xgboost", "ubj"), ("lightgbm", "txt")]
)
def test_booster_round_trip_predicts_identical_probabilities(backend, suffix, trans, tmp_path):
    loss = SoftmaxLoss(hessian="exact", class_weight={1: 2.0})
    booster, intercept = _train_booster(backend, trans, loss)
    X, mask = trans["X"], trans["mask"]
    expected = bo.predict_proba(booster, X, mask=mask, init_score=intercept)
    path = tmp_path / f"model.{suffix}"
    bo.save_model(path, booster, loss=loss, init_score=intercept)
    loaded = bo.load_model(path)
    assert isinstance(loaded, bo.SavedBooster)
    assert loaded.loss == loss and repr(loaded.loss) == repr(loss)
    np.testing.assert_array_equal(loaded.init_score, intercept)
    np.testing.assert_array_equal(loaded.predict_proba(X, mask=mask), expected)
    np.testing.assert_array_equal(
        loaded.predict_margin(X, mask=mask), bo.predict_margin(booster, X, mask=mask, init_score=intercept)
    )
    # still the backend's own file, loadable without boostobj; the caller's booster is untouched
    if backend == "xgboost":
        plain = xgb.Booster(model_file=path)
        assert booster.attr("boostobj_config") is None and loaded.booster.attr("boostobj_config") is None
        assert plain.attr("boostobj_config") is not None
    else:
        plain = lgb.Booster(model_file=path)
        assert "boostobj_config" not in booster.model_to_string()
    np.testing.assert_array_equal(bo.predict_proba(plain, X, mask=mask, init_score=intercept), expected)


def _estimators(trans):
    allowed = trans["allowed"]
    return {
        "xgb-transition-labels": MaskedXGBClassifier(
            n_estimators=8,
            max_depth=3,
            mask_from=TransitionMask(0, allowed),
            class_weight={"north": 2.0},
            n_jobs=2,
        ),
        "lgb-transition-labels": MaskedLGBMClassifier(
            n_estimators=8, num_leaves=7, mask_from=TransitionMask(0, allowed), hessian="exact", n_jobs=2
        ),
        "xgb-focal-early-stopping": MaskedXGBClassifier(
            n_estimators=60,
            learning_rate=0.8,
            loss=FocalLoss(gamma=1.0, alpha=[1.0, 2.0, 1.0, 1.0, 1.0]),
            early_stopping_rounds=2,
            booster_params={"max_delta_step": 2.0},
            n_jobs=2,
        ),
        "lgb-focal-early-stopping": MaskedLGBMClassifier(
            n_estimators=60,
            learning_rate=0.8,
            loss=FocalLoss(gamma=1.0),
            early_stopping_rounds=2,
            classes=LABELS,
            n_jobs=2,
        ),
    }


def _fit(name, est, trans):
    X, y, mask = trans["X"], LABELS[trans["y"]], trans["mask"]
    if "early-stopping" not in name:
        return est.fit(X, y)
    tr, va = np.arange(600), np.arange(600, 900)
    return est.fit(
        X[tr], y[tr], valid_mask=mask.take(tr), eval_set=[(X[va], y[va])], eval_valid_mask=[mask.take(va)]
    )


@pytest.mark.parametrize(
    "name",
    [
        "xgb-transition-labels",
        "lgb-transition-labels",
        "xgb-focal-early-stopping",
        "lgb-focal-early-stopping",
    ],
)
def test_estimator_round_trip_in_this_and_a_fresh_process(name, trans, tmp_path):
    est = _fit(name, _estimators(trans)[name], trans)
    X, mask = trans["X"], trans["mask"]
    masked = "early-stopping" in name
    kwargs = {"valid_mask": mask} if masked else {}
    expected = est.predict_proba(X, **kwargs)
    path = tmp_path / ("model.json" if name.startswith("xgb") else "model.txt")
    bo.save_model(path, est)
    loaded = bo.load_model(path)
    assert type(loaded) is type(est)
    assert repr(loaded.get_params()) == repr(est.get_params())
    for attr in ("classes_", "intercept_", "n_features_in_"):
        np.testing.assert_array_equal(getattr(loaded, attr), getattr(est, attr))
    assert loaded.classes_.dtype == est.classes_.dtype
    assert (loaded.engine_, loaded.best_iteration_) == (est.engine_, est.best_iteration_)
    if masked:
        assert est.best_iteration_ is not None
    assert loaded.evals_result_ == est.evals_result_
    np.testing.assert_array_equal(loaded.predict_proba(X, **kwargs), expected)
    np.testing.assert_array_equal(loaded.predict(X, **kwargs), est.predict(X, **kwargs))

    np.save(tmp_path / "X.npy", X)
    code = (
        "import sys, numpy as np, boostobj as bo; m = bo.load_model(sys.argv[1]); X = np.load(sys.argv[2]); "
        "kw = {'valid_mask': bo.ClassMask.from_dense(np.load(sys.argv[4]))} if sys.argv[4] != '-' else {}; "
        "np.save(sys.argv[3], m.predict_proba(X, **kw))"
    )
    dense = "-"
    if masked:
        np.save(tmp_path / "mask.npy", mask.to_dense())
        dense = str(tmp_path / "mask.npy")
    args = [str(path), str(tmp_path / "X.npy"), str(tmp_path / "p.npy"), dense]
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)


def test_dataframe_feature_names_are_kept(trans, tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(trans["X"], columns=["state", "a", "b", "c"])
    est = MaskedLGBMClassifier(n_estimators=5, mask_from=TransitionMask("state", trans["allowed"]))
    est.fit(frame, trans["y"])
    bo.save_model(tmp_path / "m.txt", est)
    loaded = bo.load_model(tmp_path / "m.txt")
    assert loaded.feature_names_in_.tolist() == ["state", "a", "b", "c"]
    np.testing.assert_array_equal(loaded.predict_proba(frame), est.predict_proba(frame))


@pytest.mark.parametrize(
    "value",
    [
        np.array([[True, False], [False, True]]),
        np.array([1.5, np.nan, -np.inf]),
        np.array(["a", 3, None], dtype=object),
        {1: 2.0, "x": (1, 2)},
        [np.int32(3), np.float32(0.5), np.str_("s"), float("inf")],
        bo.ClassMask.from_lists([[0, 2], [1]], 3),
        TransitionMask(1, np.eye(3, dtype=bool)),
    ],
    ids=["bool-2d", "float-nonfinite", "object", "dict-keys", "scalars", "classmask", "transition"],
)
def test_configuration_values_round_trip_exactly(value):
    from boostobj import persist

    text = persist.json.dumps(persist._encode(value, "value"), allow_nan=False)
    back = persist._decode(persist.json.loads(text))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, list):
        assert [type(v) for v in back] == [type(v) for v in value] and back == value
    else:
        assert back == value


def test_sparse_allowed_round_trips():
    from scipy import sparse

    from boostobj import persist

    for make in (sparse.csr_array, sparse.csr_matrix):
        allowed = make(np.eye(3, dtype=bool))
        back = persist._decode(persist._encode(allowed, "allowed"))
        assert type(back) is type(allowed)
        np.testing.assert_array_equal(back.toarray(), allowed.toarray())


def _edit_config(path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def test_a_later_format_version_and_foreign_classes_are_refused(trans, tmp_path):
    booster, intercept = _train_booster("lightgbm", trans, SoftmaxLoss())
    path = tmp_path / "m.txt"
    bo.save_model(path, booster, loss=SoftmaxLoss(), init_score=intercept)
    later = tmp_path / "later.txt"
    later.write_text(path.read_text())
    _edit_config(later, '"format_version":1', '"format_version":99')
    with pytest.raises(ValueError, match=r"path: configuration format version 99 is not supported"):
        bo.load_model(later)
    foreign = tmp_path / "foreign.txt"
    foreign.write_text(path.read_text())
    _edit_config(foreign, '"class":"boostobj.losses.SoftmaxLoss"', '"class":"subprocess.Popen"')
    with pytest.raises(ValueError, match=r"path: the configuration names 'subprocess.Popen', not a boostobj"):
        bo.load_model(foreign)
    _edit_config(foreign, '"subprocess.Popen"', '"boostobj.persist.json"')
    with pytest.raises(ValueError, match=r"names 'boostobj.persist.json', not a boostobj class"):
        bo.load_model(foreign)


def test_saving_does_not_touch_the_callers_booster(trans, tmp_path):
    booster, intercept = _train_booster("xgboost", trans, SoftmaxLoss())
    booster.set_attr(boostobj_config="mine")
    bo.save_model(tmp_path / "m.json", booster, init_score=intercept)
    assert booster.attr("boostobj_config") == "mine"
    with pytest.raises(
        TypeError, match=r"booster: expected an xgboost.Booster or a lightgbm.Booster, got dict"
    ):
        bo.save_model(tmp_path / "m.json", {})
    with pytest.raises(TypeError, match=r"loss: expected a boostobj Loss"):
        bo.save_model(tmp_path / "m.json", booster, loss="softmax")


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_make_loss_of_importable_functions_round_trips_when_imports_are_allowed(backend, trans, tmp_path):
    from .test_custom import focal_q, softmax_ce, softmax_ce_gradient

    for loss in (
        bo.make_loss(focal_q, of="label_probability", name="focal2"),
        bo.make_loss(softmax_ce, softmax_ce_gradient, hessian_floor=1e-3),
    ):
        booster, intercept = _train_booster(backend, trans, loss)
        path = tmp_path / ("m.json" if backend == "xgboost" else "m.txt")
        bo.save_model(path, booster, loss=loss, init_score=intercept)
        with pytest.raises(
            ValueError, match=r"names the function tests.test_custom:(focal_q|softmax_ce); load it"
        ):
            bo.load_model(path)
        loaded = bo.load_model(path, import_functions=True)
        assert loaded.loss == loss
        X, mask = trans["X"], trans["mask"]
        np.testing.assert_array_equal(
            loaded.predict_proba(X, mask=mask), bo.predict_proba(booster, X, mask=mask, init_score=intercept)
        )


def test_make_loss_of_a_lambda_cannot_be_saved_as_json(trans, tmp_path):
    loss = bo.make_loss(lambda q: -np.log(q), of="label_probability")
    booster, intercept = _train_booster("lightgbm", trans, loss)
    with pytest.raises(
        TypeError,
        match=r"loss.loss: cannot save a function .*<lambda> as JSON .*functions importable by name",
    ):
        bo.save_model(tmp_path / "m.txt", booster, loss=loss, init_score=intercept)


def test_an_early_stopped_lightgbm_booster_predicts_the_same_in_plain_lightgbm(trans, tmp_path):
    """The file holds the trees up to best_iteration, as LightGBM's own save_model writes it, so
    plain LightGBM (which uses every tree in the file) predicts as boostobj's load does."""
    X, y, mask = trans["X"], trans["y"], trans["mask"]
    dtrain = bo.lightgbm_dataset(X[:600], y[:600], mask=mask.take(slice(0, 600)))
    dvalid = bo.lightgbm_dataset(X[600:], y[600:], mask=mask.take(slice(600, None)), reference=dtrain)
    booster = lgb.train(
        {**LGB_PARAMS, "objective": bo.lightgbm_objective(), "learning_rate": 0.5, "num_leaves": 31},
        dtrain,
        60,
        valid_sets=[dvalid],
        feval=bo.lightgbm_metric(),
        callbacks=[lgb.early_stopping(3, verbose=False)],
        keep_training_booster=True,
    )
    assert 0 < booster.best_iteration < booster.current_iteration()
    path = tmp_path / "m.txt"
    bo.save_model(path, booster)
    loaded = bo.load_model(path)
    plain = lgb.Booster(model_file=path)
    expected = bo.predict_proba(booster, X, mask=mask, num_iteration=booster.best_iteration)
    np.testing.assert_array_equal(loaded.predict_proba(X, mask=mask), expected)
    np.testing.assert_array_equal(bo.predict_proba(plain, X, mask=mask), expected)


def test_unknown_fitted_attributes_are_refused(trans, tmp_path):
    clf = MaskedLGBMClassifier(n_estimators=3).fit(trans["X"], trans["y"], valid_mask=trans["mask"])
    path = tmp_path / "m.txt"
    bo.save_model(path, clf)
    _edit_config(path, '"engine_":', '"__class__":')
    with pytest.raises(ValueError, match="path: unknown fitted attribute '__class__'"):
        bo.load_model(path)
