"""Masked training and prediction on a two-worker Dask cluster (``boostobj.dask``).

One LocalCluster, on loopback only, is started and stopped by this module. The Dask models
are compared with the single-machine models trained on the same rows.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402
import xgboost.dask as dxgb  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import boostobj  # noqa: E402
import boostobj.dask as bdask  # noqa: E402
from boostobj.datasets import make_transition_data  # noqa: E402

pytestmark = pytest.mark.distributed

K = 5
N, CHUNK = 2000, 700  # three partitions, the last one shorter
XGB_PARAMS = {
    "num_class": K,
    "tree_method": "hist",
    "max_depth": 4,
    "eta": 0.3,
    "disable_default_eval_metric": 1,
    "nthread": 1,
}


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def tdata():
    X, y, mask = make_transition_data(N + 1000, K, 3, 6, random_state=1)
    return {
        "X": X[:N],
        "y": y[:N],
        "mask": mask.take(slice(0, N)),
        "X_test": X[N:],
        "y_test": y[N:],
        "mask_test": mask.take(slice(N, None)),
    }


def _dask(X, y=None, mask=None, chunk=CHUNK):
    out = [da.from_array(X, chunks=(chunk, -1))]
    if y is not None:
        out.append(da.from_array(y, chunks=chunk))
    if mask is not None:
        out.append(da.from_array(mask.to_dense(), chunks=(chunk, -1)))
    return out


def _trees(booster):
    return [re.sub(r'"missing": \d+ ', "", tree) for tree in booster.get_dump(dump_format="json")]


def _log_loss(y, proba, mask):
    """Masked log-loss from probabilities (log 0 = -inf marks the invalid classes)."""
    with np.errstate(divide="ignore"):
        return boostobj.masked_log_loss(y, np.log(proba), mask=mask)


def _check_masked_proba(proba, mask):
    """Every partition: rows sum to 1, exactly 0 on invalid classes, > 0 on valid ones."""
    dense = mask.to_dense()
    start = 0
    for block in proba.to_delayed().ravel():
        p = block.compute()
        rows = slice(start, start + p.shape[0])
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
        assert (p[~dense[rows]] == 0).all()
        assert (p[dense[rows]] > 0).all()
        start += p.shape[0]
    assert start == len(mask)


def test_xgboost_dask_model_equals_local_on_discretised_features(client, tdata):
    # Few distinct values: the distributed sketch is exact (+ 0.0 turns -0.0 into 0.0, which
    # would otherwise print as a different split condition).
    X = np.round(tdata["X"] * 2) / 2 + 0.0
    X_test = np.round(tdata["X_test"] * 2) / 2 + 0.0
    obj = boostobj.xgboost_objective()
    local = xgb.train(XGB_PARAMS, boostobj.xgboost_dmatrix(X, tdata["y"], mask=tdata["mask"]), 8, obj=obj)

    dX, dy, dm = _dask(X, tdata["y"], tdata["mask"])
    dtrain = bdask.dask_dmatrix(client, dX, dy, mask=dm)
    booster = dxgb.train(client, XGB_PARAMS, dtrain, 8, obj=obj, verbose_eval=False)["booster"]

    # Same trees: splits, thresholds and leaf values. Only the direction taken by missing
    # values may differ, where training saw none and both directions tie (float rounding of
    # the summed gradients picks one): it never applies to these NaN-free features.
    assert _trees(booster) == _trees(local)
    (dX_test, dm_test) = _dask(X_test, mask=tdata["mask_test"], chunk=300)
    proba = bdask.predict_proba(client, booster, dX_test, mask=dm_test)
    assert proba.chunks[0] == (300, 300, 300, 100)
    expected = boostobj.predict_proba(local, X_test, mask=tdata["mask_test"])
    np.testing.assert_array_equal(proba.compute(), expected)
    _check_masked_proba(proba, tdata["mask_test"])


@pytest.mark.parametrize("max_bin", [256, 64])
def test_xgboost_dask_continuous_features_weights_and_intercept(client, tdata, max_bin):
    """Continuous features. With max_bin=256 (the default) at this size each worker's quantile
    sketch still holds every value, and the model is the local one (measured: identical
    probabilities); with max_bin=64 the distributed sketch gives other bin edges (measured:
    92.3% argmax agreement, masked log-loss 0.7398 against 0.7401 locally), so that case is
    held to a log-loss tolerance instead.
    """
    y, mask = tdata["y"], tdata["mask"]
    weight = np.random.default_rng(0).uniform(0.5, 2.0, N)
    intercept = boostobj.SoftmaxLoss().init_raw_prediction(y, mask=mask)
    obj, params = boostobj.xgboost_objective(), {**XGB_PARAMS, "max_bin": max_bin}
    dlocal = boostobj.xgboost_dmatrix(tdata["X"], y, mask=mask, weight=weight, init_score=intercept)
    local = xgb.train(params, dlocal, 8, obj=obj)

    dX, dy, dm = _dask(tdata["X"], y, mask)
    dw = da.from_array(weight, chunks=CHUNK)
    dtrain = bdask.dask_dmatrix(client, dX, dy, mask=dm, weight=dw, init_score=intercept)
    booster = dxgb.train(client, params, dtrain, 8, obj=obj, verbose_eval=False)["booster"]

    y_test, mask_test = tdata["y_test"], tdata["mask_test"]
    (dX_test, dm_test) = _dask(tdata["X_test"], mask=mask_test)
    proba = bdask.predict_proba(client, booster, dX_test, mask=dm_test, init_score=intercept)
    _check_masked_proba(proba, mask_test)
    expected = boostobj.predict_proba(local, tdata["X_test"], mask=mask_test, init_score=intercept)
    p = proba.compute()
    agreement = (p.argmax(axis=1) == expected.argmax(axis=1)).mean()
    dask_loss = _log_loss(y_test, p, mask_test)
    local_loss = _log_loss(y_test, expected, mask_test)
    if max_bin == 256:
        assert agreement >= 0.98, agreement
    else:
        assert agreement >= 0.9, agreement
        assert abs(dask_loss - local_loss) <= 0.02, (dask_loss, local_loss)


def test_xgboost_dask_classifier_recipe_equals_local(client, tdata):
    """The scikit-learn Dask estimator, with the mask as base_margin: the local model again."""
    X, y, mask = tdata["X"], tdata["y"], tdata["mask"]
    obj = boostobj.xgboost_objective()
    local = xgb.train(XGB_PARAMS, boostobj.xgboost_dmatrix(X, y, mask=mask), 8, obj=obj)

    dX, dy, dm = _dask(X, y, mask)
    model = dxgb.DaskXGBClassifier(
        objective=obj,
        n_estimators=8,
        max_depth=4,
        learning_rate=0.3,
        tree_method="hist",
        eval_metric=boostobj.xgboost_metric(),
        disable_default_eval_metric=True,
    )
    model.client = client
    start = bdask.start_margins(dX, dm, y=dy)
    model.fit(dX, dy, base_margin=start, eval_set=[(dX, dy)], base_margin_eval_set=[start], verbose=False)
    assert list(model.evals_result()["validation_0"]) == ["masked-mlogloss"]
    proba = bdask.predict_proba(client, model.get_booster(), dX, mask=dm)
    np.testing.assert_array_equal(proba.compute(), boostobj.predict_proba(local, X, mask=mask))


def test_lightgbm_dask_classifier_recipe_matches_local(client, tdata):
    lgb = pytest.importorskip("lightgbm")
    import lightgbm.dask as dlgb

    params = {"n_estimators": 20, "learning_rate": 0.2, "num_leaves": 15, "min_child_samples": 10}
    obj = boostobj.lightgbm_objective()
    y, mask = tdata["y"], tdata["mask"]
    local = lgb.LGBMClassifier(objective=obj, verbose=-1, **params)
    local.fit(tdata["X"], y, init_score=mask.margin_offset(np.float64))

    dX, dy, dm = _dask(tdata["X"], y, mask)
    model = dlgb.DaskLGBMClassifier(objective=obj, client=client, verbose=-1, **params)
    model.fit(dX, dy, init_score=bdask.start_margins(dX, dm, y=dy))

    (dX_test, dm_test) = _dask(tdata["X_test"], mask=tdata["mask_test"])
    proba = bdask.predict_proba(client, model.booster_, dX_test, mask=dm_test)
    _check_masked_proba(proba, tdata["mask_test"])
    y_test, mask_test = tdata["y_test"], tdata["mask_test"]
    expected = boostobj.predict_proba(local.booster_, tdata["X_test"], mask=mask_test)
    dask_loss = _log_loss(y_test, proba.compute(), mask_test)
    local_loss = _log_loss(y_test, expected, mask_test)
    # Distributed LightGBM finds its bins and splits on partition-wise data: not the same
    # model, but as good (measured: 0.7083 against 0.7036 locally). Stated tolerance: within
    # 0.05 of the local masked log-loss.
    assert abs(dask_loss - local_loss) <= 0.05, (dask_loss, local_loss)


def test_dataframes_and_unaligned_partitions(client, tdata):
    """A DataFrame X, a DataFrame mask and labels chunked differently from X."""
    X, y, mask = tdata["X"], tdata["y"], tdata["mask"]
    columns = [str(j) for j in range(K)]  # string labels of the class indices: matched as such
    dX = dd.from_pandas(pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]), npartitions=3)
    dm = dd.from_pandas(pd.DataFrame(mask.to_dense(), columns=columns), npartitions=2)
    dy = da.from_array(y, chunks=450)
    start = bdask.start_margins(dX, dm, y=dy)
    assert start.numblocks[0] == dX.npartitions
    np.testing.assert_array_equal(start.compute(), mask.margin_offset(np.float64))

    obj = boostobj.xgboost_objective()
    dtrain = bdask.dask_dmatrix(client, dX, dy, mask=dm)
    booster = dxgb.train(client, XGB_PARAMS, dtrain, 3, obj=obj, verbose_eval=False)["booster"]
    proba = bdask.predict_proba(client, booster, dX, mask=dm)
    _check_masked_proba(proba, mask)


def test_a_mask_frame_indexed_unlike_x_is_refused(client, tdata):
    """Masks are matched to rows by position: a Dask DataFrame mask listing X's rows in
    another order (or other rows) is an error naming the partition, not a silent wrong
    mask; the same rows in other partitions are fine (above)."""
    X, mask = tdata["X"], tdata["mask"]
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    dX = dd.from_pandas(frame, npartitions=3)
    shuffled = pd.DataFrame(mask.to_dense()).sample(frac=1.0, random_state=0)
    dm = dd.from_pandas(shuffled, npartitions=3, sort=False)
    # whichever partition a worker computes first is reported: every one is misaligned here
    message = r"^mask: its index differs from X's; .*\[in partition \d \(rows \d+..\d+\)"
    with pytest.raises(ValueError, match=message):
        bdask.start_margins(dX, dm).compute()
    with pytest.raises(ValueError, match=message):
        bdask.dask_dmatrix(client, dX, da.from_array(tdata["y"], chunks=700), mask=dm)
    in_order = dd.from_pandas(pd.DataFrame(mask.to_dense()), npartitions=3)
    dtrain = bdask.dask_dmatrix(client, dX, da.from_array(tdata["y"], chunks=700), mask=in_order)
    booster = dxgb.train(client, XGB_PARAMS, dtrain, 1, obj=boostobj.xgboost_objective())["booster"]
    with pytest.raises(ValueError, match=message):
        bdask.predict_proba(client, booster, dX, mask=dm).compute()
    # a NumPy-backed Dask mask has no index: read by position, as documented
    aligned = bdask.predict_proba(client, booster, dX, mask=da.from_array(mask.to_dense(), chunks=700))
    _check_masked_proba(aligned, mask)


def _lying_mask(dense, chunk, bad_block, width):
    """A Dask mask whose partition ``bad_block`` has ``width`` columns while K are declared."""
    blocks = []
    for i, start in enumerate(range(0, len(dense), chunk)):
        part = dense[start : start + chunk]
        if i == bad_block:
            part = part[:, :width]
        blocks.append(da.from_delayed(dask.delayed(part), shape=(len(part), K), dtype=bool))
    return da.concatenate(blocks)


def test_partition_with_wrong_mask_width_fails_clearly(client, tdata):
    dX, dy = _dask(tdata["X"], tdata["y"])
    dm = _lying_mask(tdata["mask"].to_dense(), CHUNK, bad_block=1, width=K - 1)
    message = r"mask: expected 5 classes, got a mask of 4 \[in partition 1 \(rows 700..1399\)"
    with pytest.raises(ValueError, match=message):
        bdask.dask_dmatrix(client, dX, dy, mask=dm)
    with pytest.raises(ValueError, match=message):
        bdask.start_margins(dX, dm).compute()
    booster = xgb.train(XGB_PARAMS, boostobj.xgboost_dmatrix(tdata["X"], tdata["y"], mask=tdata["mask"]), 1)
    with pytest.raises(ValueError, match=message):
        bdask.predict_proba(client, booster, dX, mask=dm).compute()


def test_row_without_valid_class_and_bad_labels_fail_clearly(client, tdata):
    dense = tdata["mask"].to_dense().copy()
    dense[CHUNK + 3] = False
    dX, dy = _dask(tdata["X"], tdata["y"])
    dm = da.from_array(dense, chunks=(CHUNK, -1))
    with pytest.raises(ValueError, match=r"row 3 has no valid class.*in partition 1 \(rows 700..1399\)"):
        bdask.dask_dmatrix(client, dX, dy, mask=dm)

    (dm,) = _dask(tdata["X"], mask=tdata["mask"])[1:]
    y = tdata["y"].astype(float)
    y[1500] = np.nan
    message = r"y: expected integer class indices 0..4; row 100 has nan.*partition 2"
    with pytest.raises(ValueError, match=message):
        bdask.dask_dmatrix(client, dX, da.from_array(y, chunks=CHUNK), mask=dm)
    y = tdata["y"].copy()
    bad = int(np.flatnonzero(~tdata["mask"].to_dense()[5])[0])
    y[5] = bad
    with pytest.raises(ValueError, match=rf"y: the label {bad} of row 5 is not one of its valid classes"):
        bdask.start_margins(dX, dm, y=da.from_array(y, chunks=CHUNK)).compute()
    w = np.ones(N)
    w[0] = -1.0
    with pytest.raises(ValueError, match=r"weight: weights must be finite and >= 0; row 0 has -1.0"):
        bdask.dask_dmatrix(client, dX, dy, weight=da.from_array(w, chunks=CHUNK))


def test_bad_arguments(client, tdata):
    dX, dy, dm = _dask(tdata["X"], tdata["y"], tdata["mask"])
    with pytest.raises(TypeError, match="mask: expected a dask.array.Array or dask.dataframe.DataFrame"):
        bdask.dask_dmatrix(client, dX, dy, mask=tdata["mask"].to_dense())
    with pytest.raises(TypeError, match="X: expected a dask.array.Array or a dask.dataframe.DataFrame"):
        bdask.start_margins(tdata["X"], dm)
    with pytest.raises(ValueError, match=r"init_score: expected 5 values \(one per class of the mask\)"):
        bdask.dask_dmatrix(client, dX, dy, mask=dm, init_score=np.zeros(3))
    with pytest.raises(ValueError, match="mask: has 2000 rows but X has 1999"):
        bdask.start_margins(dX[:-1], dm)
    with pytest.raises(TypeError, match="base_margin: set by dask_dmatrix"):
        bdask.dask_dmatrix(client, dX, dy, base_margin=dm)
    with pytest.raises(TypeError, match="client: expected a distributed.Client"):
        bdask.dask_dmatrix("tcp://127.0.0.1:1", dX, dy)
    booster = xgb.train(XGB_PARAMS, boostobj.xgboost_dmatrix(tdata["X"], tdata["y"], mask=tdata["mask"]), 1)
    with pytest.raises(ValueError, match="mask: has 4 classes but the booster predicts 5"):
        bdask.predict_proba(client, booster, dX, mask=dm[:, :4])
    with pytest.raises(TypeError, match="booster: expected an xgboost.Booster or a lightgbm.Booster"):
        bdask.predict_proba(client, {"booster": booster}, dX)


def test_start_margins_without_mask(client, tdata):
    dX, dy = _dask(tdata["X"], tdata["y"])
    assert bdask.start_margins(dX) is None
    intercept = np.array([0.5, -0.25, 0.0, 1.0, 2.0])
    start = bdask.start_margins(dX, init_score=intercept, y=dy)
    np.testing.assert_array_equal(start.compute(), np.broadcast_to(intercept, (N, K)))
    one = bdask.start_margins(dX, init_score=[0.3])  # a one-margin (binary) model: shape (n,)
    assert one.shape == (N,)
    np.testing.assert_array_equal(one.compute(), np.full(N, 0.3))
    with pytest.raises(ValueError, match=r"y: label 2 in row 0 is out of range; expected integer class"):
        bdask.start_margins(dX, init_score=[0.3], y=da.full(N, 2, chunks=CHUNK)).compute()


def _filtered(frame):
    """``frame`` in three partitions, the middle one emptied by a filter on the index."""
    whole = dd.from_pandas(frame, npartitions=3)
    first, second = whole.divisions[1:3]
    return whole.map_partitions(lambda d: d[(d.index < first) | (d.index >= second)], meta=whole._meta)


def test_empty_partitions_keep_the_partitioning_and_train(client, tdata):
    """A filter that empties a partition (common after filtering a DataFrame): the offsets and
    probabilities keep X's partitions, and training skips the empty one."""
    X, y, mask = tdata["X"], tdata["y"], tdata["mask"]
    dX = _filtered(pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]))
    dm = _filtered(pd.DataFrame(mask.to_dense())[list(range(K))[::-1]])  # columns matched by label
    dy = _filtered(pd.Series(y))
    first, second = dd.from_pandas(pd.Series(y), npartitions=3).divisions[1:3]
    kept = np.r_[0:first, second:N]
    start = bdask.start_margins(dX, dm, y=dy)
    assert len(start.chunks[0]) == 3 and start.chunks[0][1] == 0 and sum(start.chunks[0]) == len(kept)
    np.testing.assert_array_equal(start.compute(), mask.take(kept).margin_offset(np.float64))

    obj = boostobj.xgboost_objective()
    booster = dxgb.train(client, XGB_PARAMS, bdask.dask_dmatrix(client, dX, dy, mask=dm), 5, obj=obj)[
        "booster"
    ]
    proba = bdask.predict_proba(client, booster, dX, mask=dm)
    assert proba.chunks[0] == start.chunks[0]
    _check_masked_proba(proba, mask.take(kept))
    local = xgb.train(
        XGB_PARAMS, boostobj.xgboost_dmatrix(X[kept], y[kept], mask=mask.take(kept)), 5, obj=obj
    )
    expected = boostobj.predict_proba(local, X[kept], mask=mask.take(kept))
    assert (proba.compute().argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.98


def test_start_margins_with_a_client_raises_a_bad_partition_before_fit(client, tdata):
    """Inside a Dask estimator's fit a bad partition's ValueError would only reach the worker's
    log; start_margins(..., client=) computes and checks the partitions first."""
    dense = tdata["mask"].to_dense().copy()
    dense[CHUNK + 3] = False
    dX, dy = _dask(tdata["X"], tdata["y"])
    dm = da.from_array(dense, chunks=(CHUNK, -1))
    with pytest.raises(ValueError, match=r"row 3 has no valid class.*in partition 1 \(rows 700..1399\)"):
        bdask.start_margins(dX, dm, y=dy, client=client)
    (dm,) = _dask(tdata["X"], mask=tdata["mask"])[1:]
    checked = bdask.start_margins(dX, dm, y=dy, client=client)
    np.testing.assert_array_equal(checked.compute(), tdata["mask"].margin_offset(np.float64))


def test_nullable_and_missing_mask_values(client, tdata):
    mask = tdata["mask"]
    frame = pd.DataFrame(mask.to_dense()).astype("boolean")
    dX = dd.from_pandas(pd.DataFrame(tdata["X"]), npartitions=2)
    start = bdask.start_margins(dX, dd.from_pandas(frame, npartitions=2))
    np.testing.assert_array_equal(start.compute(), mask.margin_offset(np.float64))
    named = frame.rename(columns=lambda j: f"c{j}")
    with pytest.raises(ValueError, match=r"missing class columns \[0, 1, 2, 3, 4\], unknown columns \['c0'"):
        bdask.start_margins(dX, dd.from_pandas(named, npartitions=2)).compute()
    frame.iloc[1200, 2] = pd.NA
    with pytest.raises(
        ValueError, match=r"mask: column 2 has missing values.*in partition 1 \(rows 1000..1999\)"
    ):
        bdask.start_margins(dX, dd.from_pandas(frame, npartitions=2)).compute()
    with pytest.raises(TypeError, match="dtype: expected float32 or float64 .* got int32"):
        bdask.start_margins(dX, dd.from_pandas(frame, npartitions=2), dtype=np.int32)


def test_grouped_labels_travel_as_codes_per_partition(client):
    """GroupedSoftmaxLoss through boostobj.dask: (n, G) labels become one code per row in each
    partition; the distributed model equals the local one (discrete features: same sketch)."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (1200, 3)).astype(np.float64)
    Y = np.column_stack([(X[:, 0] + rng.integers(0, 2, 1200)) % 3, (X[:, 1] > 1).astype(int)])
    loss = boostobj.GroupedSoftmaxLoss([3, 2])
    params = {"num_class": 5, "max_depth": 2, "disable_default_eval_metric": 1}
    dtrain = bdask.dask_dmatrix(
        client, da.from_array(X, chunks=400), da.from_array(Y, chunks=(400, 2)), loss=loss
    )
    remote = dxgb.train(client, params, dtrain, 3, obj=boostobj.xgboost_objective(loss))["booster"]
    local = xgb.train(
        params, boostobj.xgboost_dmatrix(X, Y, loss=loss), 3, obj=boostobj.xgboost_objective(loss)
    )
    np.testing.assert_allclose(
        remote.predict(xgb.DMatrix(X), output_margin=True), local.predict(xgb.DMatrix(X), output_margin=True),
        atol=1e-5,
    )  # fmt: skip


def test_choice_groups_must_not_be_split_by_partitions(client):
    rng = np.random.default_rng(1)
    sizes = rng.integers(2, 5, 300)
    qid = np.repeat(np.arange(300), sizes)
    X = rng.standard_normal((qid.size, 2))
    ptr = np.r_[0, np.cumsum(sizes)]
    chosen = np.zeros(qid.size)
    chosen[ptr[:-1]] = 1.0
    loss = boostobj.ChoiceLoss()
    aligned = tuple(np.diff(ptr[::100].tolist() + [qid.size]))  # partition boundaries on group starts
    dtrain = bdask.dask_dmatrix(
        client, da.from_array(X, chunks=(aligned, 2)), da.from_array(chosen, chunks=(aligned,)),
        qid=da.from_array(qid, chunks=(aligned,)), loss=loss,
    )  # fmt: skip
    booster = dxgb.train(client, {"max_depth": 2, "disable_default_eval_metric": 1}, dtrain, 2,
                         obj=boostobj.xgboost_objective(loss))["booster"]  # fmt: skip
    p = loss.predict_proba(booster.predict(xgb.DMatrix(X), output_margin=True), qid=qid)
    np.testing.assert_allclose(np.add.reduceat(p, ptr[:-1]), 1.0)
    split = (aligned[0] + 1, qid.size - aligned[0] - 1)  # the first boundary inside a group
    with pytest.raises(ValueError, match=r"^qid: group \d+ has rows in partition 0 .* and in partition 1"):
        bdask.dask_dmatrix(
            client, da.from_array(X, chunks=(split, 2)), da.from_array(chosen, chunks=(split,)),
            qid=da.from_array(qid, chunks=(split,)), loss=loss,
        )  # fmt: skip


def test_bench_dask_compile_runs_small(tmp_path):
    """``bench/bench_dask_compile.py`` (its own clusters, not the module's), on small data."""
    script = Path(__file__).resolve().parent.parent / "bench" / "bench_dask_compile.py"
    args = ["--rows", "2000", "--classes", "4", "--valid", "2", "--rounds", "2"]
    args += ["--json", str(tmp_path / "d.json")]
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = json.loads((tmp_path / "d.json").read_text())["results"]
    assert [case["case"] for case in cases] == ["cold", "warm", "native"]
    for case in cases:
        assert all(case[key] > 0 for key in ("train_s", "first_round_s", "first_predict_s"))
