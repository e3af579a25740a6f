"""Model persistence in the backends' own files: boosters and estimators saved with their
boostobj configuration load (in this process and a fresh one) and predict identical
masked probabilities; the files still load in plain XGBoost / LightGBM."""

from __future__ import annotations

import json
import re
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
    bo.save_model(booster, path, loss=loss, init_score=intercept)
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
    bo.save_model(est, path)
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
    bo.save_model(est, tmp_path / "m.txt")
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
    bo.save_model(booster, path, loss=SoftmaxLoss(), init_score=intercept)
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
    bo.save_model(booster, tmp_path / "m.json", init_score=intercept)
    assert booster.attr("boostobj_config") == "mine"
    with pytest.raises(
        TypeError, match=r"booster: expected an xgboost.Booster or a lightgbm.Booster, got dict"
    ):
        bo.save_model({}, tmp_path / "m.json")
    with pytest.raises(TypeError, match=r"loss: expected a boostobj Loss"):
        bo.save_model(booster, tmp_path / "m.json", loss="softmax")


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_make_loss_of_importable_functions_round_trips_when_imports_are_allowed(backend, trans, tmp_path):
    from .test_custom import focal_q, softmax_ce, softmax_ce_gradient

    for loss in (
        bo.make_loss(focal_q, of="label_probability", name="focal2"),
        bo.make_loss(softmax_ce, softmax_ce_gradient, hessian_floor=1e-3),
    ):
        booster, intercept = _train_booster(backend, trans, loss)
        path = tmp_path / ("m.json" if backend == "xgboost" else "m.txt")
        bo.save_model(booster, path, loss=loss, init_score=intercept)
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
        bo.save_model(booster, tmp_path / "m.txt", loss=loss, init_score=intercept)


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
    bo.save_model(booster, path)
    loaded = bo.load_model(path)
    plain = lgb.Booster(model_file=path)
    expected = bo.predict_proba(booster, X, mask=mask, num_iteration=booster.best_iteration)
    np.testing.assert_array_equal(loaded.predict_proba(X, mask=mask), expected)
    np.testing.assert_array_equal(bo.predict_proba(plain, X, mask=mask), expected)


def test_unknown_fitted_attributes_are_refused(trans, tmp_path):
    clf = MaskedLGBMClassifier(n_estimators=3).fit(trans["X"], trans["y"], valid_mask=trans["mask"])
    path = tmp_path / "m.txt"
    bo.save_model(clf, path)
    _edit_config(path, '"engine_":', '"__class__":')
    with pytest.raises(ValueError, match="path: unknown fitted attribute '__class__'"):
        bo.load_model(path)


# ---------------------------------------------------------------------- tampered configurations
def _tiny():
    rng = np.random.default_rng(0)
    return rng.standard_normal((60, 3)), np.arange(60) % 3


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory):
    """Texts of tiny saved models: a LightGBM booster (with loss and intercept) and estimator."""
    X, y = _tiny()
    folder = tmp_path_factory.mktemp("tiny")
    params = {"num_class": 3, "num_threads": 1, "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 5}
    loss = SoftmaxLoss()
    intercept = loss.init_raw_prediction(y)
    dtrain = bo.lightgbm_dataset(X, y, init_score=intercept)
    booster = lgb.train({**params, "objective": bo.lightgbm_objective(loss)}, dtrain, 2)
    bo.save_model(booster, folder / "booster.txt", loss=loss, init_score=intercept)
    est = MaskedLGBMClassifier(n_estimators=2, num_leaves=4, min_child_samples=5, n_jobs=1).fit(X, y)
    bo.save_model(est, folder / "estimator.txt")
    return {name: (folder / f"{name}.txt").read_text() for name in ("booster", "estimator")}


def _with_config(text: str, edit) -> str:
    """``text`` with its boostobj_config line's JSON passed through ``edit`` (which returns the new
    configuration, or a str for raw text)."""
    start = text.index("\nboostobj_config:") + len("\nboostobj_config:")
    end = text.index("\n", start)
    config = edit(json.loads(text[start:end]))
    raw = config if isinstance(config, str) else json.dumps(config)
    return text[:start] + raw + text[end:]


def _set(*keys_and_value):
    """An edit setting ``config[k1][k2]... = value`` (``_DELETE`` deletes it)."""
    *keys, value = keys_and_value

    def edit(config):
        inner = config
        for key in keys[:-1]:
            inner = inner[key]
        if value is _DELETE:
            del inner[keys[-1]]
        else:
            inner[keys[-1]] = value
        return config

    return edit


_DELETE = object()
_NAN_ARRAY = {
    "__type__": "ndarray",
    "dtype": "<f8",
    "shape": [3],
    "flat": True,
    "data": [{"__type__": "float", "value": "nan"}, 0.0, 0.0],
}
_PREFIX = r"path: the boostobj configuration"

BOOSTER_CONFIGS = [
    ("not JSON", lambda c: "{oops", rf"{_PREFIX} is not valid JSON \(Expecting property name"),
    ("a list", lambda c: [1, 2], rf"{_PREFIX} is not a JSON object; got list"),
    (
        "a NaN literal",
        lambda c: json.dumps({**c, "best_iteration": "N"}).replace('"N"', "NaN"),
        rf"{_PREFIX} holds the JSON constant NaN \(it never does\)",
    ),
    ("no kind", _set("kind", _DELETE), rf"{_PREFIX} lacks the key 'kind'"),
    (
        "an unknown kind",
        _set("kind", "model"),
        rf"{_PREFIX}'s 'kind' is 'model'; expected 'booster' or 'estimator'",
    ),
    ("no format_version", _set("format_version", _DELETE), rf"{_PREFIX} lacks the key 'format_version'"),
    (
        "format_version '1'",
        _set("format_version", "1"),
        rf"{_PREFIX}'s 'format_version' is '1'; expected an integer 1..1",
    ),
    (
        "format_version 0",
        _set("format_version", 0),
        rf"{_PREFIX}'s 'format_version' is 0; expected an integer 1..1",
    ),
    (
        "another backend",
        _set("backend", "xgboost"),
        rf"{_PREFIX}'s 'backend' is 'xgboost'; expected 'lightgbm', the model the file holds",
    ),
    (
        "best_iteration -1",
        _set("best_iteration", -1),
        rf"{_PREFIX}'s 'best_iteration' is -1; expected None or an integer 0..2 \(the booster has 2 rounds\)",
    ),
    (
        "best_iteration 1.5",
        _set("best_iteration", 1.5),
        rf"{_PREFIX}'s 'best_iteration' is 1.5; expected None or",
    ),
    (
        "best_iteration true",
        _set("best_iteration", True),
        rf"{_PREFIX}'s 'best_iteration' is True; expected None",
    ),
    (
        "best_iteration past the rounds",
        _set("best_iteration", 3),
        rf"{_PREFIX}'s 'best_iteration' is 3; expected",
    ),
    ("no loss", _set("loss", _DELETE), rf"{_PREFIX} lacks the key 'loss'"),
    ("a number as loss", _set("loss", 3), rf"{_PREFIX}'s 'loss' is 3; expected null or a boostobj Loss"),
    (
        "a mask as loss",
        _set("loss", {"__type__": "ClassMask", "indptr": [0, 1], "indices": [0], "n_classes": 2}),
        rf"{_PREFIX}'s 'loss' is ClassMask\(.*\); expected null or a boostobj Loss",
    ),
    (
        "a loss of invalid parameters",
        _set("loss", "params", "hessian", "newton"),
        rf"{_PREFIX}'s 'loss' is not a value boostobj saves \(ValueError: hessian: expected one of",
    ),
    (
        "a loss of unknown parameters",
        _set("loss", "params", "colour", "red"),
        rf"{_PREFIX}'s 'loss' is not a value boostobj saves \(TypeError: .*colour",
    ),
    ("no init_score", _set("init_score", _DELETE), rf"{_PREFIX} lacks the key 'init_score'"),
    (
        "an init_score of 2 values",
        _set("init_score", "data", [0.0, 0.0]),
        rf"{_PREFIX}'s 'init_score' is not a value boostobj saves \(ValueError: cannot reshape",
    ),
    (
        "an init_score for 2 classes",
        _set(
            "init_score",
            {"__type__": "ndarray", "dtype": "<f8", "shape": [2], "flat": False, "data": [0.0, 0.0]},
        ),
        rf"{_PREFIX}'s 'init_score' has 2 values; the booster has 3 margins per row",
    ),
    (
        "a NaN init_score",
        _set("init_score", _NAN_ARRAY),
        rf"{_PREFIX}'s 'init_score' is invalid: expected finite values .*; class 0 has nan",
    ),
    (
        "a string init_score",
        _set("init_score", "abc"),
        rf"{_PREFIX}'s 'init_score' is 'abc'; expected an array of 3 finite numbers",
    ),
    (
        "an array without dtype",
        _set("init_score", "dtype", _DELETE),
        rf"{_PREFIX}'s 'init_score' is not a value boostobj saves \(the key 'dtype' is missing\)",
    ),
    (
        "an array of void dtype",
        _set("init_score", "dtype", "V8"),
        rf"{_PREFIX}'s 'init_score' is not a value boostobj saves "
        r"\(ValueError: dtype 'V8' is not one boostobj saves\)",
    ),
    (
        "an array of negative shape",
        _set("init_score", "shape", [-1]),
        rf"{_PREFIX}'s 'init_score' is not a value boostobj saves "
        r"\(ValueError: shape \[-1\] is not a list of sizes\)",
    ),
    (
        "an unknown value type",
        _set("init_score", "__type__", "pickle"),
        r"path: unknown value type 'pickle' in the boostobj configuration",
    ),
]


@pytest.mark.parametrize(("name", "edit", "message"), BOOSTER_CONFIGS, ids=[c[0] for c in BOOSTER_CONFIGS])
def test_a_tampered_booster_configuration_is_a_value_error(name, edit, message, tiny_files, tmp_path):
    path = tmp_path / "m.txt"
    path.write_text(_with_config(tiny_files["booster"], edit))
    with pytest.raises(ValueError, match=message):
        bo.load_model(path)


def test_the_untampered_tiny_files_load(tiny_files, tmp_path):
    X, _ = _tiny()
    for name, text in tiny_files.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(_with_config(text, lambda c: c))
        assert bo.load_model(path).predict_proba(X).shape == (60, 3)


ESTIMATOR_CONFIGS = [
    (
        "the base class",
        _set("estimator", "MaskedBoostingClassifier"),
        r"path: unknown estimator 'MaskedBoostingClassifier' in the boostobj configuration",
    ),
    (
        "an estimator of the other backend",
        _set("estimator", "MaskedXGBClassifier"),
        rf"{_PREFIX}'s 'estimator' is 'MaskedXGBClassifier'; expected an estimator of lightgbm models",
    ),
    ("no params", _set("params", _DELETE), rf"{_PREFIX} lacks the key 'params'"),
    ("params not an object", _set("params", [1]), rf"{_PREFIX}'s 'params' is \[1\]; expected an object"),
    (
        "an unknown parameter",
        _set("params", "colour", "red"),
        rf"{_PREFIX}'s 'params' name 'colour', not a parameter of MaskedLGBMClassifier",
    ),
    (
        "an invalid parameter",
        _set("params", "engine", "gpu"),
        rf"{_PREFIX}'s 'params' are invalid: engine: expected one of "
        r"\['auto', 'native', 'numba'\]; got 'gpu'",
    ),
    (
        "a number as mask_from",
        _set("params", "mask_from", 3),
        rf"{_PREFIX}'s 'params' are invalid: mask_from: expected a callable X -> mask; got int",
    ),
    ("no fitted", _set("fitted", _DELETE), rf"{_PREFIX} lacks the key 'fitted'"),
    ("fitted not an object", _set("fitted", 3), rf"{_PREFIX}'s 'fitted' is 3; expected an object"),
    ("no classes_", _set("fitted", "classes_", _DELETE), rf"{_PREFIX} lacks the key 'fitted.classes_'"),
    ("no n_classes", _set("n_classes", _DELETE), rf"{_PREFIX} lacks the key 'n_classes'"),
    (
        "classes_ a list",
        _set("fitted", "classes_", [0, 1, 2]),
        rf"{_PREFIX}'s 'fitted.classes_' is \[0, 1, 2\]; expected a 1-D array of at least 2 labels",
    ),
    (
        "repeated classes_",
        _set("fitted", "classes_", "data", [0, 0, 2]),
        rf"{_PREFIX}'s 'fitted.classes_' is \[0, 0, 2\]; expected distinct labels of one type",
    ),
    (
        "n_classes off",
        _set("n_classes", 4),
        rf"{_PREFIX}'s 'n_classes' is 4; expected 3, the length of fitted.classes_",
    ),
    (
        "classes_ of 4 for 3 margins",
        lambda c: _set("n_classes", 4)(
            _set(
                "fitted",
                "classes_",
                {"__type__": "ndarray", "dtype": "<i8", "shape": [4], "flat": False, "data": [0, 1, 2, 3]},
            )(c)
        ),
        rf"{_PREFIX}'s 'fitted.classes_' has 4 classes, but the booster has 3 margins per row",
    ),
    (
        "intercept_ of 2 values",
        _set(
            "fitted",
            "intercept_",
            {"__type__": "ndarray", "dtype": "<f8", "shape": [2], "flat": False, "data": [0.0, 0.0]},
        ),
        rf"{_PREFIX}'s 'fitted.intercept_' has 2 values; the booster has 3 margins per row",
    ),
    (
        "a NaN intercept_",
        _set("fitted", "intercept_", _NAN_ARRAY),
        rf"{_PREFIX}'s 'fitted.intercept_' is invalid: expected finite values .*; class 0 has nan",
    ),
    (
        "integer intercept_",
        _set("fitted", "intercept_", "dtype", "<i8"),
        rf"{_PREFIX}'s 'fitted.intercept_' is array\(.*\); expected an array of 3 floats",
    ),
    (
        "engine_ 'gpu'",
        _set("fitted", "engine_", "gpu"),
        rf"{_PREFIX}'s 'fitted.engine_' is 'gpu'; expected 'native' or 'numba'",
    ),
    (
        "best_iteration_ -1",
        _set("fitted", "best_iteration_", -1),
        rf"{_PREFIX}'s 'fitted.best_iteration_' is -1; expected None or an integer 0..1 "
        r"\(the booster has 2 rounds\)",
    ),
    (
        "best_iteration_ 0.5",
        _set("fitted", "best_iteration_", 0.5),
        rf"{_PREFIX}'s 'fitted.best_iteration_' is 0.5",
    ),
    (
        "best_iteration_ 2 of 2 rounds",
        _set("fitted", "best_iteration_", 2),
        rf"{_PREFIX}'s 'fitted.best_iteration_' is 2",
    ),
    (
        "evals_result_ a list",
        _set("fitted", "evals_result_", []),
        rf"{_PREFIX}'s 'fitted.evals_result_' is \[\]; expected an object",
    ),
    (
        "n_features_in_ 4",
        _set("fitted", "n_features_in_", 4),
        rf"{_PREFIX}'s 'fitted.n_features_in_' is 4; expected 3, the booster's number of features",
    ),
    (
        "feature_names_in_ of 2 names",
        _set(
            "fitted",
            "feature_names_in_",
            {"__type__": "ndarray", "dtype": "object", "shape": [2], "flat": True, "data": ["a", "b"]},
        ),
        rf"{_PREFIX}'s 'fitted.feature_names_in_' is array\(\['a', 'b'\], dtype=object\); "
        r"expected an array of 3 feature names",
    ),
    (
        "a tuple of no list",
        _set("params", "classes", {"__type__": "tuple", "items": 3}),
        rf"{_PREFIX}'s 'params.classes' is not a value boostobj saves "
        r"\(TypeError: expected a list, got int\)",
    ),
]


@pytest.mark.parametrize(
    ("name", "edit", "message"), ESTIMATOR_CONFIGS, ids=[c[0] for c in ESTIMATOR_CONFIGS]
)
def test_a_tampered_estimator_configuration_is_a_value_error(name, edit, message, tiny_files, tmp_path):
    path = tmp_path / "m.txt"
    path.write_text(_with_config(tiny_files["estimator"], edit))
    with pytest.raises(ValueError, match=message):
        bo.load_model(path)


def test_a_function_that_cannot_be_imported_is_a_value_error(tiny_files, tmp_path):
    function = {"__type__": "function", "module": "nowhere_at_all", "qualname": "f"}
    path = tmp_path / "m.txt"
    path.write_text(_with_config(tiny_files["estimator"], _set("params", "mask_from", function)))
    with pytest.raises(ValueError, match=r"names the function nowhere_at_all:f; load it with"):
        bo.load_model(path)
    with pytest.raises(
        ValueError,
        match=rf"{_PREFIX}'s 'params.mask_from' is not a value boostobj saves \(ModuleNotFoundError: "
        r"No module named 'nowhere_at_all'\)",
    ):
        bo.load_model(path, import_functions=True)


def test_a_tampered_xgboost_configuration_is_a_value_error(tmp_path):
    X, y = _tiny()
    est = MaskedXGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(X, y)
    path = tmp_path / "m.json"
    bo.save_model(est, path)
    doc = json.loads(path.read_text())
    attributes = doc["learner"]["attributes"]
    config = json.loads(attributes["boostobj_config"])
    config["fitted"]["best_iteration_"] = 7
    attributes["boostobj_config"] = json.dumps(config)
    path.write_text(json.dumps(doc))
    with pytest.raises(
        ValueError,
        match=rf"{_PREFIX}'s 'fitted.best_iteration_' is 7; expected None or an "
        r"integer 0..1 \(the booster has 2 rounds\)",
    ):
        bo.load_model(path)
    attributes["boostobj_config"] = "[]"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=rf"{_PREFIX} is not a JSON object; got list"):
        bo.load_model(path)


# ---------------------------------------------------------------------- unwritable paths
@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_saving_to_an_unwritable_path_is_an_os_error_naming_it(backend, tmp_path):
    X, y = _tiny()
    if backend == "xgboost":
        booster = xgb.train(
            {"num_class": 3, "nthread": 1, "max_depth": 2, "verbosity": 0},
            bo.xgboost_dmatrix(X, y),
            1,
            obj=bo.xgboost_objective(),
        )
    else:
        params = {"num_class": 3, "num_threads": 1, "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 5}
        booster = lgb.train({**params, "objective": bo.lightgbm_objective()}, bo.lightgbm_dataset(X, y), 1)
    (tmp_path / "file.txt").write_text("a file, not a folder")
    (tmp_path / "folder.json").mkdir()
    cases = [
        (tmp_path / "file.txt" / "m.json", NotADirectoryError),  # fails even as root
        (tmp_path / "missing" / "m.json", FileNotFoundError),
        (tmp_path / "folder.json", IsADirectoryError),
    ]
    for path, error in cases:
        with pytest.raises(error, match=re.escape(repr(str(path)))):
            bo.save_model(booster, path)
        assert not path.is_file()
    if backend == "xgboost":  # the configuration set for saving is taken off again
        assert booster.attr("boostobj_config") is None


def test_the_earlier_argument_order_still_works_with_a_warning(tmp_path):
    X, y, mask = make_transition_data(200, 4, 2, random_state=0)
    booster = xgb.train(
        {"num_class": 4, "nthread": 1}, bo.xgboost_dmatrix(X, y, mask=mask), 2, obj=bo.xgboost_objective()
    )
    with pytest.warns(
        FutureWarning, match=r"save_model\(path, model\) is deprecated: call save_model\(model, path\)"
    ):
        bo.save_model(tmp_path / "old.json", booster)
    bo.save_model(booster, tmp_path / "new.json")
    assert (tmp_path / "old.json").read_bytes() == (tmp_path / "new.json").read_bytes()
