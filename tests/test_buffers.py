"""The objective callables reuse their output arrays across rounds, and only when it is safe.

The backend facts that make reuse safe (both are done with the returned arrays when the call
that received them returns) are pinned here: every array handed to a backend is filled with
NaN right after its round, and the model must equal the one trained with new arrays each
round.
"""

from __future__ import annotations

import copy
import pickle
import threading
import weakref

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

import boostobj
from boostobj._buffers import OutputBuffers
from boostobj.datasets import make_transition_data

K = 5
_TAKE = OutputBuffers.take  # the real one: spies never wrap each other


@pytest.fixture(scope="module")
def data():
    X, y, mask = make_transition_data(1500, K, 3, random_state=3)
    return X, y, mask


class Handouts:
    """Spy on ``OutputBuffers.take``: weak references to every pair handed out (weak, so
    that the spy never keeps a pair taken) or, with ``reuse=False``, strong ones (which
    keep every pair taken: new arrays each round, as without reuse)."""

    def __init__(self, monkeypatch, *, reuse=True):
        self.pairs = []
        self.kept = []

        def take(buffers, *args):
            pair = _TAKE(buffers, *args)
            self.pairs.append((weakref.ref(pair[0]), weakref.ref(pair[1])))
            if not reuse:
                self.kept.append(pair)
            return pair

        monkeypatch.setattr(OutputBuffers, "take", take)

    def poison_last(self):
        for ref in self.pairs[-1]:
            array = ref()
            if array is not None:
                array.fill(np.nan)

    @property
    def one_pair(self):
        """Every call got the same two arrays: ``weakref.ref`` gives one reference object per
        live array, and the list keeps those objects (so their identity is never recycled)."""
        first = self.pairs[0]
        return all(pair[0] is first[0] and pair[1] is first[1] for pair in self.pairs)

    @property
    def all_new(self):
        return len({id(pair[0]) for pair in self.kept}) == len(self.pairs)


# ---------------------------------------------------------------- OutputBuffers itself


def test_a_free_pair_is_reused_and_a_held_one_is_not():
    buffers = OutputBuffers()
    grad, hess = buffers.take((4, 3), np.float32, "F")
    assert grad is not hess and grad.flags.f_contiguous and grad.dtype == np.float32
    first = (id(grad), id(hess))
    del grad, hess
    grad, hess = buffers.take((4, 3), np.float32, "F")
    assert (id(grad), id(hess)) == first  # nobody held them: the same arrays
    again = buffers.take((4, 3), np.float32, "F")
    assert again[0] is not grad and again[1] is not hess  # grad, hess still held: new ones


@pytest.mark.parametrize("keep", ["tuple", "gradient", "hessian", "view", "ravel"])
def test_whatever_keeps_a_result_keeps_it_from_being_overwritten(keep):
    buffers = OutputBuffers()
    result = buffers.take((6, 2), np.float64, "C")
    result[0][:] = 1.0
    result[1][:] = 2.0
    kept = {
        "tuple": result,
        "gradient": result[0],
        "hessian": result[1],
        "view": result[1][2:],
        "ravel": result[0].ravel(),
    }[keep]
    before = np.array(kept, copy=True)
    del result
    new = buffers.take((6, 2), np.float64, "C")
    new[0][:] = -1.0
    new[1][:] = -2.0
    np.testing.assert_array_equal(np.asarray(kept), before)


@pytest.mark.parametrize(
    "other", [((6, 3), np.float64, "C"), ((5, 2), np.float32, "C"), ((5, 2), np.float64, "F")]
)
def test_another_shape_dtype_or_order_gets_new_arrays(other):
    buffers = OutputBuffers()
    grad, _ = buffers.take((5, 2), np.float64, "C")
    first = id(grad)
    del grad, _
    grad, hess = buffers.take(*other)
    assert id(grad) != first or grad.shape != (5, 2)
    assert grad.shape == other[0] and grad.dtype == other[1]
    assert grad.flags.f_contiguous if other[2] == "F" else grad.flags.c_contiguous


def test_threads_taking_at_once_never_share_arrays():
    buffers = OutputBuffers()
    barrier = threading.Barrier(4)
    held = []
    lock = threading.Lock()

    def work():
        for _ in range(200):
            barrier.wait()
            pair = buffers.take((8, 3), np.float32, "C")
            with lock:
                held.append(pair)
            barrier.wait()
            with lock:
                assert len({id(p[0]) for p in held}) == len(held)  # all distinct while held
            barrier.wait()
            with lock:
                held.clear()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_clear_lets_the_pair_go():
    buffers = OutputBuffers()
    grad, hess = buffers.take((3, 3), np.float32, "C")
    ref = weakref.ref(grad)
    del grad, hess
    buffers.clear()
    assert ref() is None


# ---------------------------------------------------------------- the objective callables


@pytest.mark.parametrize("make", [boostobj.xgboost_objective, boostobj.lightgbm_objective])
def test_results_kept_from_direct_calls_stay_intact(make, data):
    X, y, mask = data
    obj = make()
    margins = np.asarray(mask.margin_offset(np.float32)) + np.float32(0.3)
    first = obj(y, margins)
    copies = [np.array(a, copy=True) for a in first]
    second = obj(y, margins + np.float32(1.0) * (margins > -1e29))
    assert second[0] is not first[0] and second[1] is not first[1]
    for kept, expected in zip(first, copies, strict=True):
        np.testing.assert_array_equal(kept, expected)


@pytest.mark.parametrize("make", [boostobj.xgboost_objective, boostobj.lightgbm_objective])
def test_the_kept_arrays_are_not_pickled_or_copied(make, data):
    X, y, mask = data
    obj = make()
    obj(y, np.asarray(mask.margin_offset(np.float32)))
    for other in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj)):
        assert other == obj and other._buffers._pair is None
    assert len(pickle.dumps(obj)) < 10_000


@pytest.mark.parametrize(
    "params",
    [
        {"tree_method": "hist"},
        {"tree_method": "approx"},
        {"tree_method": "exact"},
        {"tree_method": "hist", "multi_strategy": "multi_output_tree"},
        {"tree_method": "hist", "subsample": 0.6, "colsample_bytree": 0.7},
    ],
    ids=lambda p: "-".join(str(v) for v in p.values()),
)
def test_xgboost_is_done_with_the_arrays_when_its_round_ends(params, data, monkeypatch):
    X, y, mask = data
    params = {**params, "num_class": K, "max_depth": 3, "nthread": 1, "seed": 0, "base_score": 0.5}
    dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask)

    def train(reuse):
        spy = Handouts(monkeypatch, reuse=reuse)

        class Poison(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                spy.poison_last()  # what XGBoost got this round: NaN from now on
                return False

        callbacks = [Poison()] if reuse else []
        booster = xgb.train(params, dtrain, 6, obj=boostobj.xgboost_objective(), callbacks=callbacks)
        return booster.predict(dtrain, output_margin=True), spy

    reused, spy = train(reuse=True)
    assert len(spy.pairs) == 6 and spy.one_pair
    fresh, spy = train(reuse=False)
    assert len(spy.pairs) == 6 and spy.all_new
    assert np.isfinite(reused).all()
    np.testing.assert_array_equal(reused, fresh)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"data_sample_strategy": "goss"},
        {"boosting": "dart", "drop_rate": 0.3},
        {"bagging_fraction": 0.6, "bagging_freq": 1, "feature_fraction": 0.7},
        {"linear_tree": True},
    ],
    ids=lambda p: "-".join(str(v) for v in p.values()) or "gbdt",
)
def test_lightgbm_is_done_with_the_arrays_when_its_round_ends(params, data, monkeypatch):
    X, y, mask = data

    def train(reuse):
        spy = Handouts(monkeypatch, reuse=reuse)
        dtrain = boostobj.lightgbm_dataset(X, y, mask=mask, params={"verbose": -1})
        settings = {"num_class": K, "num_leaves": 7, "num_threads": 1, "seed": 0, "verbose": -1, **params}
        settings["objective"] = boostobj.lightgbm_objective()
        callbacks = [lambda env: spy.poison_last()] if reuse else []  # run after each round
        booster = lgb.train(settings, dtrain, 6, callbacks=callbacks)
        return booster.predict(X, raw_score=True), spy

    if params.get("boosting") == "dart":
        # LightGBM 4.7's first DART training in a process differs from every later one
        # (deterministic from the second on, with or without boostobj): train once first
        train(reuse=False)
    reused, spy = train(reuse=True)
    assert len(spy.pairs) == 6 and spy.one_pair
    fresh, spy = train(reuse=False)
    assert len(spy.pairs) == 6 and spy.all_new
    assert np.isfinite(reused).all()
    np.testing.assert_array_equal(reused, fresh)


def test_the_scikit_learn_apis_reuse_too(data, monkeypatch):
    X, y, mask = data
    for make, estimator in (
        (boostobj.xgboost_objective, xgb.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1)),
        (boostobj.lightgbm_objective, lgb.LGBMClassifier(n_estimators=4, num_leaves=4, n_jobs=1, verbose=-1)),
    ):
        spy = Handouts(monkeypatch)
        offset = np.asarray(mask.margin_offset())
        estimator.set_params(objective=make())
        if isinstance(estimator, xgb.XGBClassifier):
            estimator.fit(X, y, base_margin=offset)
        else:
            estimator.fit(X, y, init_score=offset)
        assert len(spy.pairs) == 4 and spy.one_pair
