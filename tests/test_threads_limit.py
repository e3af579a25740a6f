"""Thread counts: ``check_thread_count`` (the estimators' ``n_jobs``, ``boostobj bench
--threads``), ``set_num_threads`` and the environment variables all stop at ``MAX_THREADS``.

Why there is a cap at all (LightGBM's OpenMP runtime segfaults or exits on far larger
counts) is measured and explained beside ``boostobj._threads.MAX_THREADS``; the crash
itself is not reproduced here (it takes down the process), only that the cap is safe.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import boostobj
from boostobj import _threads
from boostobj._threads import MAX_THREADS, check_thread_count

DEFAULT_OK = f"None, -1 or 0 (the backend's default) or an integer 1..{MAX_THREADS}"
TOO_MANY = " (far larger thread counts crash LightGBM)"
NOT_JOBLIB = (
    " (joblib's -2, 'all cores but one', is not supported: the backends read any count <= 0 as their default)"
)


def test_cap_is_generous_and_covers_this_machine():
    import os

    assert MAX_THREADS >= 1024 and MAX_THREADS >= (os.cpu_count() or 1)


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), (-1, -1), (0, 0), (1, 1), (MAX_THREADS, MAX_THREADS), (np.int32(4), 4), (np.uint8(2), 2)],
)
def test_accepted_counts_come_back_as_python_ints(value, expected):
    got = check_thread_count(value, "n_jobs")
    assert got == expected and (got is None or type(got) is int)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (100_000, ValueError, f"n_jobs: expected {DEFAULT_OK}{TOO_MANY}; got 100000"),
        (MAX_THREADS + 1, ValueError, f"n_jobs: expected {DEFAULT_OK}{TOO_MANY}; got {MAX_THREADS + 1}"),
        (2**32 + 100_000, ValueError, f"n_jobs: expected {DEFAULT_OK}{TOO_MANY}; got {2**32 + 100_000}"),
        (-2, ValueError, f"n_jobs: expected {DEFAULT_OK}{NOT_JOBLIB}; got -2"),
        (True, TypeError, f"n_jobs: expected {DEFAULT_OK}; got True"),
        (2.0, TypeError, f"n_jobs: expected {DEFAULT_OK}; got 2.0"),
        ("4", TypeError, f"n_jobs: expected {DEFAULT_OK}; got '4'"),
    ],
)
def test_bad_counts_name_the_argument_the_range_and_the_value(value, error, message):
    with pytest.raises(error) as info:
        check_thread_count(value, "n_jobs")
    assert str(info.value) == message


@pytest.mark.parametrize(
    "value, error, why",
    [(None, TypeError, ""), (0, ValueError, ""), (-1, ValueError, ""), (5000, ValueError, TOO_MANY)],
)
def test_without_defaults_only_positive_counts(value, error, why):
    with pytest.raises(error) as info:
        check_thread_count(value, "--threads", allow_default=False)
    assert str(info.value) == f"--threads: expected an integer 1..{MAX_THREADS}{why}; got {value!r}"


@pytest.fixture
def restore_threads():
    before = boostobj.get_num_threads()
    yield
    boostobj.set_num_threads(before)


def test_set_num_threads_stops_at_the_cap(restore_threads):
    boostobj.set_num_threads(MAX_THREADS)  # no thread starts until a large enough call
    assert boostobj.get_num_threads() == MAX_THREADS
    with pytest.raises(ValueError) as info:
        boostobj.set_num_threads(MAX_THREADS + 1)
    assert (
        str(info.value) == f"n: expected at most MAX_THREADS = {MAX_THREADS} threads; got {MAX_THREADS + 1}"
    )
    assert boostobj.get_num_threads() == MAX_THREADS  # unchanged


def test_environment_boostobj_num_threads_is_capped_omp_num_threads_clamped(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("BOOSTOBJ_NUM_THREADS", "100000")
    with pytest.raises(ValueError) as info:
        _threads._parse_env()
    assert (
        str(info.value) == f"BOOSTOBJ_NUM_THREADS must be at most MAX_THREADS = {MAX_THREADS}; got '100000'"
    )
    # another library's variable: boostobj's own default stops at the cap, no error
    monkeypatch.delenv("BOOSTOBJ_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "100000")
    assert _threads._parse_env() == MAX_THREADS
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert _threads._parse_env() == 3


@pytest.mark.parametrize("estimator", ["MaskedXGBClassifier", "MaskedLGBMClassifier"])
@pytest.mark.parametrize(
    "n_jobs, error, why",
    [(100_000, ValueError, TOO_MANY), (-2, ValueError, NOT_JOBLIB), (1.5, TypeError, "")],
)
def test_estimators_refuse_thread_counts_before_training(estimator, n_jobs, error, why):
    X = np.random.default_rng(0).standard_normal((30, 3))
    y = np.arange(30) % 3
    with pytest.raises(error) as info:
        getattr(boostobj, estimator)(n_jobs=n_jobs, n_estimators=1).fit(X, y)
    assert str(info.value) == f"n_jobs: expected {DEFAULT_OK}{why}; got {n_jobs!r}"


def test_lightgbm_runs_with_the_capped_thread_count_even_on_a_small_stack():
    """The cap is safe where the crash is nearest: libgomp reserves 128 bytes per thread on
    the calling thread's stack, so MAX_THREADS needs 128 KiB; run it on a 256 KiB thread (a
    child process: a crash must not take the test run down)."""
    pytest.importorskip("lightgbm")
    code = f"""
        import threading
        import numpy as np
        import lightgbm as lgb
        X = np.random.default_rng(0).standard_normal((100, 3))
        y = np.arange(100) % 3
        params = {{"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1}}
        booster = lgb.train(params, lgb.Dataset(X, y), 1)
        threading.stack_size(256 * 1024)
        out = []
        worker = threading.Thread(target=lambda: out.append(booster.predict(X, num_threads={MAX_THREADS})))
        worker.start()
        worker.join()
        print("rows", len(out[0]))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "rows 100" in result.stdout
