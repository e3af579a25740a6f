"""The benchmark contenders compute what boostobj computes, and the bench scripts run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from boostobj import ClassMask, SoftmaxLoss
from boostobj._bench import numpy_gradient, python_loop_gradient

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_contenders_match_boostobj():
    rng = np.random.default_rng(0)
    valid = rng.random((300, 7)) < 0.4
    valid[np.arange(300), rng.integers(0, 7, 300)] = True
    mask = ClassMask.from_dense(valid)
    raw = rng.normal(scale=3, size=(300, 7)).astype(np.float32)
    y = np.array([rng.choice(np.flatnonzero(r)) for r in valid])
    want_g, want_h = SoftmaxLoss(hessian="xgboost").gradient_hessian(y, raw, mask=mask)
    # The NumPy contender computes in float32: p and 1 - p each carry up to ~eps32 of absolute
    # error, so 2 p (1 - p) is off by a few eps32 (1.2e-7) at most.
    atol = 4 * np.finfo(np.float32).eps
    for got_g, got_h in (numpy_gradient(raw, y, valid), python_loop_gradient(raw, y, mask)):
        np.testing.assert_allclose(got_g, want_g, atol=atol)
        np.testing.assert_allclose(got_h, want_h, atol=atol)


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
            "1",
            "--json",
            str(tmp_path / "t.json"),
        ],
    ]
    for script, *args in runs:
        result = subprocess.run(
            [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "k.json").stat().st_size > 0 and (tmp_path / "t.json").stat().st_size > 0
