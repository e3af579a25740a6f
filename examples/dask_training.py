"""Masked multiclass on Dask: XGBoost and LightGBM on a two-worker LocalCluster.

The mask is a Dask array of booleans partitioned like the features; ``boostobj.dask``
turns each partition into its rows' margin offset (``base_margin`` / ``init_score``), so
the mask travels with the data to the workers. We train

1. ``xgboost.dask.train`` with boostobj's objective on ``boostobj.dask.dask_dmatrix``;
2. ``lightgbm.dask.DaskLGBMClassifier`` with boostobj's objective and
   ``init_score=boostobj.dask.start_margins(...)``;

predict masked probabilities lazily with ``boostobj.dask.predict_proba`` and print the
masked test log-loss and accuracy of both, and of the same XGBoost model trained locally.

    python examples/dask_training.py                  # 20,000 transitions, 12 states
    python examples/dask_training.py --rows 3000 --rounds 5
"""

from __future__ import annotations

import argparse

import dask.array as da
import lightgbm.dask as dlgb
import numpy as np
import xgboost as xgb
import xgboost.dask as dxgb
from distributed import Client, LocalCluster

import boostobj
import boostobj.dask as bdask
from boostobj.datasets import make_transition_data


def report(name, y, proba, mask):
    with np.errstate(divide="ignore"):  # log 0 = -inf marks the invalid classes
        loss = boostobj.masked_log_loss(y, np.log(proba), mask=mask)
    print(f"{name:34} masked log-loss {loss:.4f}  accuracy {np.mean(proba.argmax(axis=1) == y):.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--states", type=int, default=12)
    parser.add_argument("--allowed", type=int, default=4, help="allowed next states per state")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args(argv)

    X, y, mask = make_transition_data(args.rows, args.states, args.allowed, random_state=0)
    n_train = int(0.8 * len(y))
    train, test = slice(0, n_train), slice(n_train, None)
    mask_train, mask_test = mask.take(train), mask.take(test)
    chunk = -(-n_train // args.partitions)
    params = {"num_class": args.states, "tree_method": "hist", "max_depth": 4, "eta": 0.2}
    params["disable_default_eval_metric"] = 1

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        dX = da.from_array(X[train], chunks=(chunk, -1))
        dy = da.from_array(y[train], chunks=chunk)
        dmask = da.from_array(mask_train.to_dense(), chunks=(chunk, -1))  # (n, K) booleans
        dX_test = da.from_array(X[test], chunks=(chunk, -1))
        dmask_test = da.from_array(mask_test.to_dense(), chunks=(chunk, -1))

        # 1. XGBoost: the DaskDMatrix's partitions carry their rows' offsets in base_margin.
        dtrain = bdask.dask_dmatrix(client, dX, dy, mask=dmask)
        obj = boostobj.xgboost_objective()
        booster = dxgb.train(client, params, dtrain, args.rounds, obj=obj, verbose_eval=False)["booster"]
        proba = bdask.predict_proba(client, booster, dX_test, mask=dmask_test)  # lazy, (n_test, K)
        report("xgboost.dask + boostobj", y[test], proba.compute(), mask_test)

        local = xgb.train(
            params, boostobj.xgboost_dmatrix(X[train], y[train], mask=mask_train), args.rounds, obj=obj
        )
        report(
            "xgboost (one machine) + boostobj",
            y[test],
            boostobj.predict_proba(local, X[test], mask=mask_test),
            mask_test,
        )

        # 2. LightGBM: the Dask estimator with the offsets as init_score.
        model = dlgb.DaskLGBMClassifier(
            objective=boostobj.lightgbm_objective(),
            n_estimators=args.rounds,
            learning_rate=0.2,
            num_leaves=15,
            verbose=-1,
            client=client,
        )
        model.fit(dX, dy, init_score=bdask.start_margins(dX, dmask, y=dy, client=client))
        proba = bdask.predict_proba(client, model.booster_, dX_test, mask=dmask_test)
        report("lightgbm.dask + boostobj", y[test], proba.compute(), mask_test)


if __name__ == "__main__":
    main()
