"""First-round cost of boostobj's numba objective on a two-worker Dask cluster.

Every Dask worker is its own process: it compiles boostobj's kernels on its first
objective call unless numba's on-disk cache already holds them. This script trains
``xgboost.dask.train(obj=boostobj.xgboost_objective())`` on a fresh
``LocalCluster(n_workers=2, threads_per_worker=1)`` three times, each cluster new:

* ``cold``: ``NUMBA_CACHE_DIR`` set to an empty directory (what every worker of a new
  cluster goes through when the cache is not shared or not yet filled);
* ``warm``: the same directory again, now filled by the cold run (a shared cache);
* ``native``: the built-in ``multi:softprob`` on the same masked margins (no numba), as the
  reference for what a first round costs without compilation.

Each round is timed on the workers by a training callback (rank 0's times are reported);
the first masked ``boostobj.dask.predict_proba`` is timed from the client, then a second.

    python bench/bench_dask_compile.py --json bench/results/dask_compile.json \\
        | tee bench/results/dask_compile.txt
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time


def run_case(name: str, cache_dir: str, rows: int, classes: int, valid: int, rounds: int) -> dict:
    """Train on a fresh cluster whose workers use ``cache_dir``; return the timings."""
    os.environ["NUMBA_CACHE_DIR"] = cache_dir  # inherited by the worker processes
    import dask.array as da
    import numpy as np
    import xgboost as xgb
    import xgboost.dask as dxgb
    from distributed import Client, LocalCluster

    import boostobj
    import boostobj.dask as bdask
    from boostobj.datasets import make_transition_data

    class RoundTimes(xgb.callback.TrainingCallback):
        """Seconds per round, stored in the booster's attributes (they travel back with it)."""

        def before_training(self, model):
            self.stamps = [time.perf_counter()]
            return model

        def after_iteration(self, model, epoch, evals_log):
            self.stamps.append(time.perf_counter())
            model.set_attr(round_seconds=json.dumps(np.diff(self.stamps).tolist()))
            return False

    X, y, mask = make_transition_data(rows, classes, valid, 8, random_state=0)
    params = {"num_class": classes, "tree_method": "hist", "max_depth": 6, "disable_default_eval_metric": 1}
    obj = None
    if name == "native":
        params["objective"] = "multi:softprob"
    else:
        obj = boostobj.xgboost_objective()
    started = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        cluster_s = time.perf_counter() - started
        chunk = (rows + 1) // 2
        dX = da.from_array(X, chunks=(chunk, -1))
        dm = da.from_array(mask.to_dense(), chunks=(chunk, -1))
        dtrain = bdask.dask_dmatrix(client, dX, da.from_array(y, chunks=chunk), mask=dm)
        t0 = time.perf_counter()
        out = dxgb.train(
            client, params, dtrain, rounds, obj=obj, callbacks=[RoundTimes()], verbose_eval=False
        )
        train_s = time.perf_counter() - t0
        per_round = json.loads(out["booster"].attr("round_seconds"))
        predict_s = []
        for _ in range(2):
            t0 = time.perf_counter()
            bdask.predict_proba(client, out["booster"], dX, mask=dm).compute()
            predict_s.append(time.perf_counter() - t0)
    later = sorted(per_round[1:])
    return {
        "case": name,
        "cluster_start_s": cluster_s,
        "train_s": train_s,
        "first_round_s": per_round[0],
        "later_round_median_s": later[len(later) // 2],
        "first_predict_s": predict_s[0],
        "second_predict_s": predict_s[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--valid", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()

    cache = tempfile.mkdtemp(prefix="boostobj-numba-cache-")
    try:
        results = [
            run_case(case, cache, args.rows, args.classes, args.valid, args.rounds)
            for case in ("cold", "warm", "native")
        ]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    header = (
        f"xgboost.dask.train on LocalCluster(n_workers=2, threads_per_worker=1), {args.rows} rows, "
        f"K={args.classes}, {args.valid} valid per row, {args.rounds} rounds, max_depth=6; "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}"
    )
    print(header)
    print(
        f"{'case':8} {'cluster s':>9} {'train s':>8} {'round 1 s':>9} {'later rounds s':>14} "
        f"{'predict 1 s':>11} {'predict 2 s':>11}"
    )
    for r in results:
        print(
            f"{r['case']:8} {r['cluster_start_s']:9.2f} {r['train_s']:8.2f} {r['first_round_s']:9.3f} "
            f"{r['later_round_median_s']:14.3f} {r['first_predict_s']:11.3f} {r['second_predict_s']:11.3f}"
        )
    print(
        "cold: empty NUMBA_CACHE_DIR (each worker compiles); warm: the same directory, filled; "
        "native: multi:softprob, no numba. 'later rounds' is the median of rounds 2.."
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": header, "args": vars(args), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
