"""The benchmark contenders compute what boostobj computes, the measurement helpers measure, and
the bench scripts run."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boostobj import ClassMask, SoftmaxLoss
from boostobj._bench import (
    PeakMemory,
    TimedObjective,
    best_time,
    numpy_gradient,
    python_loop_gradient,
)
from boostobj._bench.contenders import CONTENDERS, make_objective
from boostobj._bench.workloads import make_workload

BENCH = Path(__file__).resolve().parents[1] / "bench"

# The NumPy contender computes in the margins' dtype: in float32, p and 1 - p each carry up to
# ~eps32 of absolute error, so c p (1 - p) is off by a few eps32 (1.2e-7) at most.
ATOL = 4 * np.finfo(np.float32).eps


def _problem(n=300, k=7, seed=0):
    rng = np.random.default_rng(seed)
    valid = rng.random((n, k)) < 0.4
    valid[np.arange(n), rng.integers(0, k, n)] = True
    mask = ClassMask.from_dense(valid)
    raw = rng.normal(scale=3, size=(n, k))
    y = np.array([rng.choice(np.flatnonzero(r)) for r in valid])
    return raw, y, mask


@pytest.mark.parametrize(
    "hessian, dtype, order", [("xgboost", np.float32, "C"), ("lightgbm", np.float64, "F")]
)
def test_contenders_match_boostobj(hessian, dtype, order):
    """Each backend's layout: XGBoost hands float32 C-order margins, LightGBM float64 F-order."""
    raw, y, mask = _problem()
    raw = np.asarray(raw, dtype=dtype, order=order)
    want_g, want_h = SoftmaxLoss(hessian=hessian).gradient_hessian(y, raw, mask=mask)
    valid = mask.to_dense()
    for got_g, got_h in (
        numpy_gradient(raw, y, valid, hessian),
        python_loop_gradient(raw, y, mask, hessian),
    ):
        assert got_g.shape == got_h.shape == raw.shape
        np.testing.assert_allclose(got_g, want_g, atol=ATOL)
        np.testing.assert_allclose(got_h, want_h, atol=ATOL)


def test_contender_gradients_reject_unknown_hessian():
    raw, y, mask = _problem(20, 3)
    with pytest.raises(ValueError, match="hessian"):
        numpy_gradient(raw, y, mask.to_dense(), "exact")
    with pytest.raises(ValueError, match="hessian"):
        python_loop_gradient(raw, y, mask, "exact")


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_every_contender_objective_matches_boostobj(backend):
    """The objective callables of contenders 3, 4 and 5, called the way each backend calls them
    (margins with the -1e30 offset, in the backend's layout, and the training data set), return
    boostobj's gradient and Hessian; contenders 1 and 2 are the built-ins (no callable)."""
    import boostobj

    workload = make_workload(
        "transition", rows=400, test_rows=10, classes=6, valid_per_row=3, features=4, seed=1
    )
    X, y, mask = workload.X, workload.y, workload.mask
    rng = np.random.default_rng(2)
    if backend == "xgboost":
        data = boostobj.xgboost_dmatrix(X, y, mask=mask)
        raw = (mask.margin_offset(np.float32) + rng.normal(size=mask.shape)).astype(np.float32)
    else:
        data = boostobj.lightgbm_dataset(X, y, mask=mask, params={"verbose": -1})
        data.construct()
        raw = np.asfortranarray(mask.margin_offset(np.float64) + rng.normal(size=mask.shape))
    want_g, want_h = SoftmaxLoss(hessian=backend).gradient_hessian(y, raw, mask=mask)
    callables = 0
    for contender in CONTENDERS:
        objective = make_objective(contender.key, backend, mask)
        if contender.key.startswith("builtin"):
            assert objective is None
            continue
        callables += 1
        grad, hess = TimedObjective(objective)(raw, data)
        assert grad.shape == hess.shape == raw.shape, contender.key
        np.testing.assert_allclose(grad, want_g, atol=ATOL, err_msg=contender.key)
        np.testing.assert_allclose(hess, want_h, atol=ATOL, err_msg=contender.key)
    assert callables == 3


def test_timed_objective_counts_and_survives_deepcopy():
    calls = []
    timed = TimedObjective(lambda *args: calls.append(args) or "result")
    assert timed(1, 2) == "result" and calls == [(1, 2)]
    # lightgbm.train deep-copies params: the copy must be the same timer
    assert copy.deepcopy({"objective": timed})["objective"] is timed
    assert timed.calls == 1 and timed.seconds >= 0


def test_peak_memory_sees_a_large_allocation():
    with PeakMemory() as memory:
        block = np.ones(40 * 2**20 // 8)  # 40 MiB, written
        del block
    if memory.peak_bytes is None:
        pytest.skip("no /proc/self/status on this platform")
    assert memory.peak_bytes >= 35 * 2**20


def test_best_time_is_a_positive_duration():
    assert 0 <= best_time(lambda: sum(range(100)), repeat=2) < 10


def test_bench_scripts_run_small(tmp_path):
    runs = [
        [
            "bench_kernels.py",
            "--rows",
            "3000",
            "--loop-rows",
            "300",
            "--repeat",
            "1",
            "--first-calls",
            "1",
            "--json",
            str(tmp_path / "k.json"),
        ],
        [
            "bench_training.py",
            "--rows",
            "3000",
            "--classes",
            "5",
            "--valid",
            "2",
            "--rounds",
            "2",
            "--pairs",
            "2",
            "--losses",
            "--json",
            str(tmp_path / "t.json"),
        ],
        ["layout_staging.py", "--rows", "3000"],
        [
            "bench_many_classes.py",
            "--rows",
            "1000",
            "--test-rows",
            "200",
            "--classes",
            "30",
            "--valid",
            "5",
            "--rounds",
            "2",
            "--repeat",
            "1",
        ],  # fmt: skip
        ["profile_kernels.py", "--entries", "72000", "--repeat", "1"],
        [
            "profile_kernels.py",
            "--entries",
            "9000",
            "--repeat",
            "1",
            "--cases",
            "3:2",
            "--backends",
            "lightgbm",
        ],
        ["small_k.py", "--classes", "3", "8", "--entries", "24000", "--repeat", "1"],
        ["column_writes.py", "--rows", "3000", "--repeat", "1"],
        ["bench_family.py", "--margins", "48000", "--repeat", "1"],
        ["run_large.py", "--small", "--out", str(tmp_path / "large"), "--backend", "lightgbm"],
    ]
    for script, *args in runs:
        result = subprocess.run(
            [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "k.json").stat().st_size > 0
    training = json.loads((tmp_path / "t.json").read_text())["results"]
    for backend in ("xgboost", "lightgbm"):
        rows = training[backend]
        assert {"FocalLoss(gamma=2)", "LabelSmoothingLoss(0.1)", "replayed gradients"} <= set(rows)
        # replaying boostobj's recorded gradients round by round rebuilds boostobj's model
        assert rows["replayed gradients"]["dp_vs_boostobj"] < 1e-6
        for row in rows.values():
            assert len(row["ratios"]) == 2 and row["median_ratio"] == pytest.approx(np.median(row["ratios"]))
        assert rows["FocalLoss(gamma=2)"]["max_dp"] is None  # another model: no probability difference
    for name in ("n1M_K24", "n200k_K100"):
        text = (tmp_path / "large" / f"cli_{name}.txt").read_text()
        assert text.startswith("$ boostobj bench ") and "boostobj objective" in text
        report = json.loads((tmp_path / "large" / f"cli_{name}.json").read_text())
        assert {r["id"] for r in report["results"]} == {"1", "2", "3", "2s", "4", "5"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cases", "3"], "argument --cases: expected classes:valid pairs"),
        (["--cases", "3:4"], "argument --cases: expected classes:valid pairs"),
        (["--cases", "a:b"], "argument --cases: expected classes:valid pairs"),
        (["--cases", "24:6,1:1"], "argument --cases: expected classes:valid pairs"),
        (["--backends", "catboost"], "argument --backends: expected xgboost, lightgbm or xgboost,lightgbm"),
    ],
)
def test_profile_kernels_names_a_bad_case_or_backend(args, message):
    command = [sys.executable, str(BENCH / "profile_kernels.py"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and message in result.stderr and repr(args[1]) in result.stderr
