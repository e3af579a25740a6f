"""Reliability: concurrent trainings, other processes (loky), import cost, float32
against float64, and a 1,000,000 x 100 stress run of the kernels (``slow``)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import boostobj as bo
from boostobj import ClassMask, FocalLoss, LabelSmoothingLoss, MaskedXGBClassifier, SoftmaxLoss
from boostobj.datasets import make_transition_data

from . import reference as ref
from .strategies import dense_masks

# 60,000 rows x K = 5: 300,000 entries, so boostobj's kernels split each call across its
# thread pool, which both trainings then share.
K = 5


@pytest.fixture(scope="module")
def big():
    X, y, mask = make_transition_data(60_000, K, 3, 6, random_state=4)
    return X, y, mask


def _xgb_model(X, y, mask, seed):
    params = {"num_class": K, "nthread": 2, "max_depth": 4, "subsample": 0.8, "seed": seed, "verbosity": 0}
    params["disable_default_eval_metric"] = 1
    dtrain = bo.xgboost_dmatrix(X, y, mask=mask)
    booster = xgb.train(params, dtrain, 6, obj=bo.xgboost_objective())
    return bytes(booster.save_raw("json")), bo.predict_proba(booster, X[:2000], mask=mask.take(range(2000)))


def _lgb_model(X, y, mask, seed):
    params = {
        "num_class": K,
        "num_threads": 2,
        "num_leaves": 15,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "seed": seed,
        "verbose": -1,
        "objective": bo.lightgbm_objective(),
    }
    booster = lgb.train(params, bo.lightgbm_dataset(X, y, mask=mask), 6)
    model = booster.model_to_string().split("\nparameters:\n")[0]  # the trees; parameters name the callable
    return model, bo.predict_proba(booster, X[:2000], mask=mask.take(range(2000)))


@pytest.mark.parametrize("train", [_xgb_model, _lgb_model], ids=["xgboost", "lightgbm"])
def test_two_trainings_at_once_in_threads_give_the_models_trained_alone(train, big):
    X, y, mask = big
    alone = [train(X, y, mask, seed) for seed in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda seed: train(X, y, mask, seed), (1, 2)))
    for (model_a, proba_a), (model_b, proba_b) in zip(alone, together, strict=True):
        assert model_a == model_b
        np.testing.assert_array_equal(proba_a, proba_b)
    assert alone[0][0] != alone[1][0]  # the seeds matter: the comparison above can fail


def test_xgboost_and_lightgbm_trainings_at_once(big):
    X, y, mask = big
    alone = (_xgb_model(X, y, mask, 1), _lgb_model(X, y, mask, 1))
    with ThreadPoolExecutor(2) as pool:
        together = (pool.submit(_xgb_model, X, y, mask, 1), pool.submit(_lgb_model, X, y, mask, 1))
        together = tuple(f.result() for f in together)
    for (model_a, proba_a), (model_b, proba_b) in zip(alone, together, strict=True):
        assert model_a == model_b
        np.testing.assert_array_equal(proba_a, proba_b)


def _predict_in_worker(blob: bytes, X: np.ndarray, mask: ClassMask) -> tuple[int, np.ndarray]:
    """Runs in a loky worker: a fresh process that has only the pickled bytes."""
    model = pickle.loads(blob)
    return os.getpid(), model.predict_proba(X, valid_mask=mask)


def _load_in_worker(path: str, X: np.ndarray, mask: ClassMask) -> tuple[int, np.ndarray]:
    return os.getpid(), bo.load_model(path).predict_proba(X, valid_mask=mask)


def test_pickled_and_saved_estimators_predict_identically_in_loky_workers(big, tmp_path):
    import joblib

    X, y, mask = big
    X, y, mask = X[:3000], y[:3000], mask.take(range(3000))
    clf = MaskedXGBClassifier(n_estimators=5, max_depth=3, n_jobs=2).fit(X, y, valid_mask=mask)
    expected = clf.predict_proba(X, valid_mask=mask)
    blob = pickle.dumps(clf)
    path = tmp_path / "model.ubj"
    bo.save_model(clf, path)
    parts = np.array_split(np.arange(len(y)), 4)
    jobs = [joblib.delayed(_predict_in_worker)(blob, X[p], mask.take(p)) for p in parts]
    jobs += [joblib.delayed(_load_in_worker)(str(path), X[p], mask.take(p)) for p in parts]
    results = joblib.Parallel(n_jobs=2, backend="loky")(jobs)
    assert os.getpid() not in {pid for pid, _ in results}
    np.testing.assert_array_equal(np.concatenate([p for _, p in results[:4]]), expected)
    np.testing.assert_array_equal(np.concatenate([p for _, p in results[4:]]), expected)


def test_import_takes_under_half_a_second_beyond_numpy_and_numba():
    """Issue #7's one timing requirement. Both imports are timed in the same fresh
    interpreter; the best of three interpreters counts, so a busy machine does not fail it."""
    code = (
        "import time; t0 = time.perf_counter(); import numpy, numba; t1 = time.perf_counter(); "
        "import boostobj; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    extra = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        extra.append(float(out.stdout.split()[1]))
    assert min(extra) < 0.5, extra


# ----------------------------------------------------------------------------- float32
FLOAT32_EPS = 2.0**-24  # unit roundoff of float32


@settings(max_examples=40, deadline=None)
@given(
    valid=dense_masks(max_rows=10, max_classes=7),
    scale=st.sampled_from([1.0, 30.0, 1e3, 1e4]),
    data=st.data(),
)
def test_float32_margins_give_the_float64_results_rounded_once(valid, scale, data):
    """Kernels compute in float64 whatever the input: float32 margins (XGBoost's) give the
    float64 results of the same values, rounded once to float32 (relative 2**-24), and
    float64 outputs (losses, probabilities) bit for bit."""
    n, k = valid.shape
    raw = data.draw(hnp.arrays(np.float32, (n, k), elements=st.floats(-scale, scale, width=32)))
    y = np.array([data.draw(st.sampled_from(np.flatnonzero(r).tolist())) for r in valid])
    mask = ClassMask.from_dense(valid)
    wide = raw.astype(np.float64)  # exact
    for loss in (SoftmaxLoss(hessian="xgboost"), FocalLoss(), LabelSmoothingLoss()):
        g32, h32 = loss.gradient_hessian(y, raw, mask=mask)
        g64, h64 = loss.gradient_hessian(y, wide, mask=mask)
        assert g32.dtype == np.float32
        np.testing.assert_array_equal(g32, g64.astype(np.float32))
        np.testing.assert_array_equal(h32, h64.astype(np.float32))
        np.testing.assert_array_equal(loss.loss(y, raw, mask=mask), loss.loss(y, wide, mask=mask))
    np.testing.assert_array_equal(bo.masked_softmax(raw, mask=mask), bo.masked_softmax(wide, mask=mask))


@settings(max_examples=40, deadline=None)
@given(valid=dense_masks(max_rows=10, max_classes=7), scale=st.sampled_from([1.0, 30.0, 1e3]), data=st.data())
def test_rounding_margins_to_float32_moves_probabilities_within_the_documented_bound(valid, scale, data):
    """Rounding margins f to float32 (as XGBoost stores them) changes each probability by
    a factor within exp(+-2 * 2**-24 * max|f|) (README, Reliability)."""
    n, k = valid.shape
    raw = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-scale, scale)))
    mask = ClassMask.from_dense(valid)
    p64 = bo.masked_softmax(raw, mask=mask)
    p32 = bo.masked_softmax(raw.astype(np.float32), mask=mask)
    bound = 2 * FLOAT32_EPS * np.abs(np.where(valid, raw, 0.0)).max(axis=1, keepdims=True)
    ratio_bound = np.expm1(bound) + 1e-15  # + the float64 rounding of the softmax itself
    assert (np.abs(p32 - p64) <= p64 * ratio_bound + 1e-300).all()


# ----------------------------------------------------------------------------- stress
@pytest.mark.slow
@pytest.mark.parametrize("layout", ["xgboost", "lightgbm"])
def test_a_million_rows_by_100_classes_through_the_objectives(layout):
    """1,000,000 x 100 margins, as each backend passes them (float32 C / float64 F, about
    0.4 / 0.8 GB), with margins up to +-1e4 and a ragged -1e30 offset: finite outputs, 0 on
    invalid classes, gradient rows summing to 0, and a sample of rows against the reference."""
    n, k = 1_000_000, 100
    rng = np.random.default_rng(11)
    dtype, order = (np.float32, "C") if layout == "xgboost" else (np.float64, "F")
    raw = np.empty((n, k), dtype=dtype, order=order)
    n_valid = np.empty(n, dtype=np.int64)
    y = np.empty(n, dtype=np.int64)
    for lo in range(0, n, 100_000):  # in chunks: no float64 temporary of the full size
        hi = lo + 100_000
        block = rng.standard_normal((hi - lo, k)) * rng.choice([1.0, 30.0, 1e4], size=(hi - lo, 1))
        keep = rng.random((hi - lo, k)) < rng.uniform(0.0, 0.3, size=(hi - lo, 1))
        keep[np.arange(hi - lo), rng.integers(0, k, hi - lo)] = True  # single-valid rows included
        labels = np.array([rng.choice(np.flatnonzero(r)) for r in keep[:2000]])
        labels = np.concatenate([labels, np.argmax(keep[2000:], axis=1)])
        raw[lo:hi] = np.where(keep, block, -1e30)
        n_valid[lo:hi] = keep.sum(axis=1)
        y[lo:hi] = labels
    objective = bo.xgboost_objective() if layout == "xgboost" else bo.lightgbm_objective()
    grad, hess = objective(y, raw)
    assert grad.dtype == np.float32 and (grad.flags.f_contiguous if order == "F" else grad.flags.c_contiguous)
    floor = np.float32(1e-16 if layout == "xgboost" else 0.0)
    for lo in range(0, n, 100_000):
        sl = slice(lo, lo + 100_000)
        invalid = raw[sl] <= -1e29
        g, h = grad[sl], hess[sl]
        assert np.isfinite(g).all() and np.isfinite(h).all()
        assert (g[invalid] == 0).all() and (h[invalid] == floor).all() and (h >= floor).all()
        np.testing.assert_allclose(g.sum(axis=1, dtype=np.float64), 0.0, atol=1e-5)
    del grad, hess
    sample = rng.choice(n, 500, replace=False)
    valid = raw[sample] > -1e29
    scale = 2.0 if layout == "xgboost" else k / (k - 1.0)
    g_ref, h_ref = ref.softmax_grad_hess(y[sample], raw[sample], valid, np.ones(500), scale, float(floor))
    g, h = objective(y[sample], np.asarray(raw[sample], order=order))
    np.testing.assert_allclose(g, g_ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h, h_ref, rtol=1e-6, atol=1e-7)
    proba = bo.masked_softmax(raw)  # (n, K) float64
    assert (proba[raw <= -1e29] == 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert n_valid.min() == 1
