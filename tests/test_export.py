"""``boostobj.export_model``: files that plain XGBoost / LightGBM, treelite, ONNX Runtime and
MLflow serve without boostobj, each checked in a fresh process that never imports boostobj,
against ``boostobj``'s own masked ``predict_proba`` (the reference, tested elsewhere against
the backends' built-in objectives)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import boostobj as bo
from boostobj import MaskedLGBMClassifier, MaskedXGBClassifier, TransitionMask, export_model
from boostobj.datasets import make_transition_data

K = 6
#: Float32 runtimes (XGBoost, treelite, ONNX) against boostobj's float64 softmax of float32 margins.
FLOAT32_ATOL = 1e-6


@pytest.fixture(scope="module")
def problem():
    X, y, mask, allowed = make_transition_data(700, K, 2, n_features=4, random_state=5, return_allowed=True)
    rule = TransitionMask(0, allowed)
    X_new = X[:40].copy()
    X_new[:6, 0] = [-1, K + 3, np.nan, 2.4, K, -0.6]  # unseen, missing and non-integer states
    return {"X": X, "y": y, "mask": mask, "allowed": allowed, "rule": rule, "X_new": X_new}


@pytest.fixture(scope="module")
def exported(problem, tmp_path_factory):
    """Both estimators, trained with mask_from, exported; plus what boostobj predicts."""
    out = tmp_path_factory.mktemp("export")
    X = problem["X"]
    models = {
        "xgboost": MaskedXGBClassifier(n_estimators=8, max_depth=3, mask_from=problem["rule"]),
        "lightgbm": MaskedLGBMClassifier(n_estimators=8, num_leaves=7, mask_from=problem["rule"]),
    }
    result = {}
    for backend, model in models.items():
        model.fit(X, problem["y"])
        path = out / ("model.json" if backend == "xgboost" else "model.txt")
        info = export_model(model, path)
        result[backend] = {"model": model, "info": info, "path": path, "expected": model.predict_proba(X)}
    np.save(out / "X.npy", X)
    np.save(out / "X_new.npy", problem["X_new"])
    result["dir"] = out
    return result


def _run_plain(code: str, *args: str) -> None:
    """Run ``code`` in a fresh interpreter and check that it never imported boostobj."""
    code = (
        textwrap.dedent(code)
        + "\nimport sys\nassert 'boostobj' not in sys.modules, 'boostobj was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


PLAIN = {
    "xgboost": """
        import sys, numpy as np, xgboost
        X = np.load(sys.argv[1])
        np.save(sys.argv[3], xgboost.Booster(model_file=sys.argv[2]).predict(xgboost.DMatrix(X)))
    """,
    "lightgbm": """
        import sys, numpy as np, lightgbm
        X = np.load(sys.argv[1])
        np.save(sys.argv[3], lightgbm.Booster(model_file=sys.argv[2]).predict(X))
    """,
}
TREELITE = """
    import sys, numpy as np, treelite
    frontend = treelite.frontend
    json_model = sys.argv[2].endswith(".json")
    load = frontend.load_xgboost_model if json_model else frontend.load_lightgbm_model
    X = np.load(sys.argv[1]).astype(np.float32)
    np.save(sys.argv[3], treelite.gtil.predict(load(sys.argv[2]), X).reshape(len(X), -1))
"""
ONNX = """
    import sys, numpy as np, onnxmltools, onnxruntime
    from onnxmltools.convert.common.data_types import FloatTensorType
    X = np.load(sys.argv[1]).astype(np.float32)
    types = [("X", FloatTensorType([None, X.shape[1]]))]
    if sys.argv[2].endswith(".json"):
        import xgboost
        onx = onnxmltools.convert_xgboost(xgboost.Booster(model_file=sys.argv[2]), initial_types=types)
    else:
        import lightgbm
        booster = lightgbm.Booster(model_file=sys.argv[2])
        onx = onnxmltools.convert_lightgbm(booster, initial_types=types, zipmap=False)
    session = onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    np.save(sys.argv[3], session.run(None, {"X": X})[1])
"""
MLFLOW = """
    import sys, tempfile, numpy as np, pandas as pd, mlflow.pyfunc
    X = np.load(sys.argv[1])
    where = tempfile.mkdtemp() + "/model"
    if sys.argv[2].endswith(".json"):
        import mlflow.xgboost, xgboost
        mlflow.xgboost.save_model(xgboost.Booster(model_file=sys.argv[2]), where)
    else:
        import lightgbm, mlflow.lightgbm
        mlflow.lightgbm.save_model(lightgbm.Booster(model_file=sys.argv[2]), where)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    np.save(sys.argv[3], np.asarray(mlflow.pyfunc.load_model(where).predict(frame)))
"""


def _served(exported, backend: str, code: str, data: str = "X.npy"):
    out = exported["dir"] / f"{backend}-{abs(hash(code))}-{data}"
    _run_plain(code, str(exported["dir"] / data), str(exported[backend]["path"]), str(out))
    return np.load(out)


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_plain_backend_predicts_the_masked_probabilities(exported, problem, backend):
    proba = _served(exported, backend, PLAIN[backend])
    expected = exported[backend]["expected"]
    assert proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=FLOAT32_ATOL if backend == "xgboost" else 1e-12)
    assert (proba[~problem["mask"].to_dense()] == 0).all()  # exact zeros on forbidden classes
    assert exported[backend]["info"].mask_in_model


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_unseen_missing_and_fractional_states(exported, problem, backend):
    """Unseen or missing states: every class, with the intercept (the unmasked model);
    a fractional state: the nearest integer state's mask (documented)."""
    proba = _served(exported, backend, PLAIN[backend], "X_new.npy")
    model = exported[backend]["model"]
    X_new = problem["X_new"]
    unmasked = model.predict_proba(X_new, valid_mask="all")
    tol = FLOAT32_ATOL if backend == "xgboost" else 1e-12
    np.testing.assert_allclose(proba[[0, 1, 2, 4, 5]], unmasked[[0, 1, 2, 4, 5]], rtol=0, atol=tol)
    # -0.6 is below -0.5: unseen. 2.4 reads as state 2:
    as_two = X_new[[3]].copy()
    as_two[0, 0] = 2
    np.testing.assert_allclose(proba[3], model.predict_proba(as_two)[0], rtol=0, atol=tol)
    np.testing.assert_allclose(proba[6:], model.predict_proba(X_new[6:]), rtol=0, atol=tol)


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_treelite(exported, backend):
    pytest.importorskip("treelite")
    proba = _served(exported, backend, TREELITE)
    np.testing.assert_allclose(proba, exported[backend]["expected"], rtol=0, atol=FLOAT32_ATOL)


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_onnxruntime(exported, backend):
    pytest.importorskip("onnxmltools")
    pytest.importorskip("onnxruntime")
    proba = _served(exported, backend, ONNX)
    np.testing.assert_allclose(proba, exported[backend]["expected"], rtol=0, atol=FLOAT32_ATOL)


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_mlflow_pyfunc(exported, backend):
    pytest.importorskip("mlflow")
    proba = _served(exported, backend, MLFLOW)
    np.testing.assert_allclose(proba, exported[backend]["expected"], rtol=0, atol=FLOAT32_ATOL)


def test_free_form_mask_recipe(problem, tmp_path):
    """A mask given per row (no rule): the file carries the intercept, the recipe the offset."""
    import lightgbm as lgb
    import xgboost as xgb

    X, y, mask = problem["X"], problem["y"], problem["mask"]
    b = bo.SoftmaxLoss().init_raw_prediction(y, mask=mask)
    xgb_booster = xgb.train(
        {"num_class": K, "max_depth": 3, "nthread": 1},
        bo.xgboost_dmatrix(X, y, mask=mask, init_score=b),
        6,
        obj=bo.xgboost_objective(),
    )
    lgb_booster = lgb.train(
        {
            "num_class": K,
            "num_leaves": 7,
            "verbose": -1,
            "num_threads": 1,
            "objective": bo.lightgbm_objective(),
        },
        bo.lightgbm_dataset(X, y, mask=mask, init_score=b),
        6,
    )
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "valid.npy", mask.to_dense())
    for booster, name in ((xgb_booster, "model.json"), (lgb_booster, "model.txt")):
        info = export_model(booster, tmp_path / name, init_score=b)
        assert not info.mask_in_model and info.state_feature is None
        module = "xgboost" if name.endswith(".json") else "lightgbm"
        code = f"""
            import sys, numpy as np, {module}
            X = np.load(sys.argv[1]); valid = np.load(sys.argv[2]); path = sys.argv[3]
        """
        code = textwrap.dedent(code) + info.recipe + "\nnp.save(sys.argv[4], proba)\n"
        _run_plain(
            code,
            str(tmp_path / "X.npy"),
            str(tmp_path / "valid.npy"),
            str(info.path),
            str(tmp_path / "p.npy"),
        )
        expected = bo.predict_proba(booster, X, mask=mask, init_score=b)
        np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, rtol=0, atol=FLOAT32_ATOL)


def test_best_iteration_and_classes_are_kept(problem, tmp_path):
    import xgboost as xgb

    X, y, rule = problem["X"], problem["y"], problem["rule"]
    labels = np.array(["s0", "s1", "s2", "s3", "s4", "s5"])
    clf = MaskedXGBClassifier(
        n_estimators=40, max_depth=3, learning_rate=0.5, mask_from=rule, early_stopping_rounds=2
    )
    clf.fit(X[:500], labels[y[:500]], eval_set=[(X[500:], labels[y[500:]])])
    assert clf.best_iteration_ is not None and clf.best_iteration_ < 39
    info = export_model(clf, tmp_path / "model.ubj")
    booster = xgb.Booster(model_file=str(info.path))
    assert booster.num_boosted_rounds() == clf.best_iteration_ + 2  # the best rounds, then the mask trees
    np.testing.assert_allclose(
        booster.predict(xgb.DMatrix(X)), clf.predict_proba(X), rtol=0, atol=FLOAT32_ATOL
    )
    assert info.classes == labels.tolist()
    assert json.loads(booster.attr("boostobj_export"))["classes"] == labels.tolist()


def test_errors(problem, tmp_path):
    import xgboost as xgb

    X, y, mask, rule = problem["X"], problem["y"], problem["mask"], problem["rule"]
    clf = MaskedXGBClassifier(n_estimators=2, mask_from=rule).fit(X, y)
    with pytest.raises(ValueError, match=r"^path: an XGBoost model is written as JSON or UBJSON"):
        export_model(clf, tmp_path / "model.bin")
    with pytest.raises(
        ValueError, match=r"^mask_rule, init_score, best_iteration: an estimator brings its own"
    ):
        export_model(clf, tmp_path / "model.json", init_score=np.zeros(K))
    lambda_rule = MaskedXGBClassifier(n_estimators=2, mask_from=lambda X_: rule(X_)).fit(X, y)
    with pytest.raises(TypeError, match=r"^model: its mask_from \(function\) is not a TransitionMask"):
        export_model(lambda_rule, tmp_path / "model.json")
    booster = clf.booster_
    with pytest.raises(ValueError, match=r"^mask_rule: makes masks of 3 classes but the model predicts 6"):
        export_model(booster, tmp_path / "m.json", mask_rule=TransitionMask(0, np.ones((2, 3), bool)))
    with pytest.raises(
        ValueError, match=r"^mask_rule: state column 9 is out of range for a model of 4 features"
    ):
        export_model(booster, tmp_path / "m.json", mask_rule=TransitionMask(9, problem["allowed"]))
    with pytest.raises(
        ValueError, match=r"^mask_rule: the state column 'state' is not a feature of the model"
    ):
        export_model(booster, tmp_path / "m.json", mask_rule=TransitionMask("state", problem["allowed"]))
    with pytest.raises(TypeError, match=r"^mask_rule: expected a TransitionMask; got function"):
        export_model(booster, tmp_path / "m.json", mask_rule=lambda X_: mask)
    with pytest.raises(ValueError, match=r"^init_score: expected 6 values \(one per class\); got 2"):
        export_model(booster, tmp_path / "m.json", init_score=[0.0, 1.0])
    binary = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y % 2), 1)
    with pytest.raises(ValueError, match=r"^model: a one-margin \(binary\) model has no per-class margins"):
        export_model(binary, tmp_path / "m.json")
    with pytest.raises(TypeError, match=r"^booster: expected an xgboost.Booster or a lightgbm.Booster"):
        export_model(object(), tmp_path / "m.json")
    with pytest.raises(OSError, match=r"^path: cannot write"):
        export_model(clf, tmp_path / "missing-dir" / "m.json")


@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
def test_a_categorical_state_column_is_refused_with_a_way_out(cls, tmp_path):
    import pandas as pd

    states = np.array(["idle", "busy", "away"])
    allowed = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=bool)
    rng = np.random.default_rng(0)
    s = rng.integers(0, 3, 300)
    frame = pd.DataFrame({"state": states[s], "x": rng.random(300)})
    y = np.array([np.flatnonzero(allowed[i])[rng.integers(0, 2)] for i in s])
    clf = cls(n_estimators=2, mask_from=TransitionMask("state", allowed, states=states)).fit(frame, y)
    with pytest.raises(ValueError, match=r"^mask_rule: the state column 'state' is a categorical feature"):
        export_model(clf, tmp_path / ("m.json" if cls is MaskedXGBClassifier else "m.txt"))


def _plain_predict(path, X):
    """The exported file served by the backend alone (in this process: the file is what counts)."""
    import lightgbm as lgb
    import xgboost as xgb

    if str(path).endswith(".json"):
        return xgb.Booster(model_file=str(path)).predict(xgb.DMatrix(X))
    return lgb.Booster(model_file=str(path)).predict(X)


@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
@pytest.mark.parametrize(
    "states",
    [[10, 20, 30, 40, 50, 60], [1, 0, 3, 2, 5, 4], [-3, 7, 2, 100, 4, 5]],
    ids=["spaced", "table rows permuted", "negative and unsorted"],
)
def test_named_integer_states_are_compiled_as_the_rule_reads_them(cls, states, problem, tmp_path):
    """``TransitionMask(states=...)``: the mask trees split on each state's own value (they
    used to split on the rows' positions, masking other classes than the rule does)."""
    X = problem["X"].copy()
    X[:, 0] = np.asarray(states)[X[:, 0].astype(int)]  # row s of allowed is state states[s]
    rule = TransitionMask(0, problem["allowed"], states=states)
    assert rule(X) == problem["mask"]
    clf = cls(n_estimators=3, mask_from=rule).fit(X, problem["y"])
    path = tmp_path / ("m.json" if cls is MaskedXGBClassifier else "m.txt")
    assert export_model(clf, path).mask_in_model
    served = _plain_predict(path, X)
    np.testing.assert_allclose(served, clf.predict_proba(X), rtol=0, atol=FLOAT32_ATOL)
    assert (served[~problem["mask"].to_dense()] == 0).all()
    # values that are no state (between or around them): every class, the unmasked model
    unseen = X[:3].copy()
    unseen[:, 0] = [min(states) - 1, max(states) + 1, 15 if 10 in states else -1000]  # 15: between two
    np.testing.assert_allclose(
        _plain_predict(path, unseen), clf.predict_proba(unseen, valid_mask="all"), rtol=0, atol=FLOAT32_ATOL
    )


@pytest.mark.parametrize(
    "states", [[0.5, 1, 2, 3, 4, 5], ["a", "b", "c", "d", "e", "f"], [0, 1, 2, 3, 4, 2**23]]
)
def test_states_the_trees_cannot_split_on_are_refused(states, problem, tmp_path):
    rule = TransitionMask(0, problem["allowed"], states=states)
    booster = MaskedXGBClassifier(n_estimators=2).fit(problem["X"], problem["y"]).booster_
    with pytest.raises(ValueError, match=r"^mask_rule: its states \(.*\) are not all integers below 2\*\*22"):
        export_model(booster, tmp_path / "m.json", mask_rule=rule)


@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
def test_a_numeric_frames_state_column_is_found_by_name(cls, problem, tmp_path):
    """Fitted on a numeric DataFrame, the estimator hands the backend an array (no names):
    the state column is found among the estimator's ``feature_names_in_``."""
    import pandas as pd

    frame = pd.DataFrame(problem["X"], columns=["state", "x1", "x2", "x3"])
    rule = TransitionMask("state", problem["allowed"])
    clf = cls(n_estimators=3, mask_from=rule).fit(frame, problem["y"])
    path = tmp_path / ("m.json" if cls is MaskedXGBClassifier else "m.txt")
    info = export_model(clf, path)
    assert info.mask_in_model and info.state_feature == 0
    served = _plain_predict(path, frame.to_numpy())
    np.testing.assert_allclose(served, clf.predict_proba(frame), rtol=0, atol=FLOAT32_ATOL)
    assert (served[~problem["mask"].to_dense()] == 0).all()
