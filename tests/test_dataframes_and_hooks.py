"""DataFrames with string and categorical columns through the estimators, the adapters and
``predict_proba`` (each checked against the backend trained directly on the same frame
with its native categorical support), and the estimators' callbacks, verbose output and
MLflow autologging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import boostobj as bo
from boostobj import MaskedLGBMClassifier, MaskedXGBClassifier, TransitionMask

pl = pytest.importorskip("polars")

K = 4
STATES = np.array(["idle", "busy", "away", "gone"])
ALLOWED = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]], dtype=bool)


@pytest.fixture(scope="module")
def frame():
    """A state column of strings, a categorical of integer codes whose effect is not monotone
    in the code, a string column, a number; labels follow the allowed transitions."""
    rng = np.random.default_rng(0)
    n = 1200
    state = rng.integers(0, K, n)
    code = rng.choice([30, 10, 20], n)
    color = rng.choice(["red", "green", "blue"], n)
    x = rng.standard_normal(n)
    score = np.where(code == 20, 2.0, 0.0) + np.where(color == "red", 1.0, 0.0) + x
    options = [np.flatnonzero(ALLOWED[s]) for s in state]
    y = np.array([opt[int(sc > 1.0)] for opt, sc in zip(options, score, strict=True)])
    df = pd.DataFrame({"state": STATES[state], "code": pd.Categorical(code), "color": color, "x": x})
    return df, y, bo.ClassMask.from_dense(ALLOWED[state])


def _small(cls, **kwargs):
    extra = {"num_leaves": 7, "min_child_samples": 5} if cls is MaskedLGBMClassifier else {"max_depth": 3}
    return cls(**{"n_estimators": 8, "n_jobs": 1, **extra, **kwargs})


def _categorical(df):
    out = df.copy()
    for name in ("state", "color"):
        out[name] = out[name].astype(pd.CategoricalDtype(sorted(out[name].unique())))
    return out


def test_xgboost_estimator_equals_native_categorical_training(frame):
    df, y, mask = frame
    clf = _small(MaskedXGBClassifier, engine="numba").fit(df, y, valid_mask=mask)
    assert set(clf.feature_categories_) == {"state", "code", "color"}
    assert clf.booster_.feature_types == ["c", "c", "c", "float"]  # codes stayed categorical
    b = clf.intercept_
    params = {"num_class": K, "max_depth": 3, "nthread": 1, "seed": 0, "eta": 0.3, "verbosity": 0,
              "disable_default_eval_metric": 1}  # fmt: skip
    direct = xgb.train(
        params,
        bo.xgboost_dmatrix(_categorical(df), y, mask=mask, init_score=b, enable_categorical=True),
        8,
        obj=bo.xgboost_objective(bo.SoftmaxLoss(hessian="xgboost")),
    )
    expected = bo.predict_proba(direct, _categorical(df), mask=mask, init_score=b)  # the flag is set here
    np.testing.assert_allclose(clf.predict_proba(df, valid_mask=mask), expected, rtol=0, atol=1e-6)


def test_lightgbm_estimator_equals_native_categorical_training(frame):
    import lightgbm as lgb

    df, y, mask = frame
    clf = _small(MaskedLGBMClassifier, engine="numba").fit(df, y, valid_mask=mask)
    b = clf.intercept_
    params = {"num_class": K, "num_leaves": 7, "min_child_samples": 5, "num_threads": 1, "verbose": -1,
              "seed": 0, "objective": bo.lightgbm_objective(bo.SoftmaxLoss(hessian="lightgbm"))}  # fmt: skip
    direct = lgb.train(params, bo.lightgbm_dataset(_categorical(df), y, mask=mask, init_score=b), 8)
    assert direct.pandas_categorical and clf.booster_.pandas_categorical
    expected = bo.predict_proba(direct, _categorical(df), mask=mask, init_score=b)
    np.testing.assert_allclose(clf.predict_proba(df, valid_mask=mask), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
def test_polars_strings_unseen_categories_and_named_states(cls, frame, tmp_path):
    df, y, mask = frame
    rule = TransitionMask("state", ALLOWED, states=STATES)
    clf = _small(cls, mask_from=rule).fit(df, y)
    proba = clf.predict_proba(df)
    assert (proba[~mask.to_dense()] == 0).all()
    strings = df.assign(code=df.code.astype(str))  # polars has no categoricals of integers
    by_pandas = _small(cls, mask_from=rule).fit(strings, y).predict_proba(strings)
    from_polars = _small(cls, mask_from=rule).fit(pl.from_pandas(strings), y)
    assert all(dtype == pl.Utf8 for dtype in pl.from_pandas(strings).select("state", "code", "color").dtypes)
    np.testing.assert_allclose(
        from_polars.predict_proba(pl.from_pandas(strings)), by_pandas, rtol=0, atol=1e-12
    )
    unseen = df.assign(color=["purple"] + df.color.tolist()[1:])
    missing = df.assign(color=[None] + df.color.tolist()[1:])
    np.testing.assert_array_equal(clf.predict_proba(unseen)[0], clf.predict_proba(missing)[0])
    path = tmp_path / ("m.json" if cls is MaskedXGBClassifier else "m.txt")
    bo.save_model(clf, path)
    loaded = bo.load_model(path)
    assert loaded.feature_categories_ == clf.feature_categories_
    np.testing.assert_array_equal(loaded.predict_proba(df), proba)


def test_a_frame_missing_a_categorical_column_at_predict(frame):
    df, y, mask = frame
    clf = _small(MaskedXGBClassifier).fit(df, y, valid_mask=mask)
    with pytest.raises(ValueError):
        clf.predict_proba(df.drop(columns="color"), valid_mask=mask)


# ---------------------------------------------------------------------- hooks
@pytest.mark.parametrize("cls", [MaskedXGBClassifier, MaskedLGBMClassifier])
def test_callbacks_and_verbose(cls, frame, capsys):
    df, y, mask = frame
    seen = []
    if cls is MaskedXGBClassifier:

        class Record(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                seen.append(epoch)
                return False

        callback = Record()
    else:
        callback = lambda env: seen.append(env.iteration)  # noqa: E731 - LightGBM takes callables
    _small(cls, callbacks=[callback], verbose=4).fit(df, y, valid_mask=mask)
    assert seen == list(range(8))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["[boostobj] round 4/8" + lines[0][20:], "[boostobj] round 8/8" + lines[1][20:]]
    _small(cls, verbose=True).fit(df, y, valid_mask=mask, eval_set=[(df, y)], eval_valid_mask=[mask])
    assert "masked-mlogloss" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"^verbose: expected True/False or a number of rounds >= 0; got -1"):
        _small(cls, verbose=-1).fit(df, y)
    with pytest.raises(TypeError, match=r"^callbacks: expected a list of"):
        _small(cls, callbacks=callback).fit(df, y)


def test_mlflow_autolog_records_the_estimator_in_a_pipeline(frame, tmp_path, monkeypatch):
    """mlflow.sklearn.autolog patches scikit-learn's own classes only: inside a Pipeline the
    masked estimator's parameters and training metrics are recorded."""
    mlflow = pytest.importorskip("mlflow")
    sklearn_flavor = pytest.importorskip("mlflow.sklearn")
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    df, y, _ = frame
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    sklearn_flavor.autolog(log_models=False, silent=True)
    try:
        rule = TransitionMask("state", ALLOWED, states=STATES)
        with mlflow.start_run() as run:
            Pipeline(
                [("id", FunctionTransformer()), ("clf", _small(MaskedXGBClassifier, mask_from=rule))]
            ).fit(df, y)
        logged = mlflow.get_run(run.info.run_id).data
    finally:
        sklearn_flavor.autolog(disable=True)
    assert logged.params["clf__n_estimators"] == "8"
    assert 0 < logged.metrics["training_log_loss"] < 1.5
