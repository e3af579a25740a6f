"""Threading policy: how many threads a kernel call may use.

One setting for every call (losses, metrics, ``predict_proba`` and the objective and
metric callables inside XGBoost's and LightGBM's training loops): ``get_num_threads()``,
by default the number of threads the backends themselves default to, i.e.
``OMP_NUM_THREADS`` when set (joblib's workers set it) or else every core this process
may run on; ``BOOSTOBJ_NUM_THREADS`` or :func:`set_num_threads` override it. Calls under
``MIN_ENTRIES_PER_THREAD`` entries per thread stay on one thread.

Measured on 2 cores (``bench/``, README "Threading and compilation"): two threads halve a
direct call; inside training they change XGBoost's time by nothing measurable (its
OpenMP workers still spin on the other core when the objective runs) and speed
LightGBM's up.

Kernels release the GIL, so rows are split into contiguous chunks run by plain Python
threads: no numba threading layer, no second OpenMP runtime, and ``fork()`` after a call
stays safe (the pool is forgotten in the child and re-created on demand).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: Below this many (row, class) entries per thread, a call runs on one thread.
MIN_ENTRIES_PER_THREAD = 1 << 17

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _parse_env() -> int:
    for name in ("BOOSTOBJ_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name)
        if value is None:
            continue
        try:
            n = int(value.split(",")[0])  # OMP_NUM_THREADS may list nested levels
        except ValueError:
            raise ValueError(f"{name} must be a positive integer; got {value!r}") from None
        if n < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
        return n
    return _available_cores()


_num_threads = _parse_env()


def set_num_threads(n: int) -> None:
    """Set how many threads boostobj's kernels may use (see ``boostobj._threads``).

    Default: ``OMP_NUM_THREADS`` if set, else every available core.
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected a positive integer number of threads; got {n!r}")
    _num_threads = int(n)


def get_num_threads() -> int:
    """How many threads boostobj's kernels may use."""
    return _num_threads


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="boostobj")
            _pool_size = size
        return _pool


def _forget_pool_in_child() -> None:
    global _pool, _pool_size, _lock
    _pool, _pool_size, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def run_rows(kernel: Callable[..., Any], n_rows: int, n_cols: int, *args: Any) -> tuple[int, int]:
    """Run ``kernel(*args, lo, hi)`` over rows ``0 <= i < n_rows``; return its ``(status, row)``.

    With several threads the rows are split into contiguous chunks; the reported error,
    if any, is the one at the smallest row.
    """
    threads = min(_num_threads, max(1, (n_rows * max(n_cols, 1)) // MIN_ENTRIES_PER_THREAD))
    if threads <= 1:
        return kernel(*args, 0, n_rows)
    bounds = np.linspace(0, n_rows, threads + 1).astype(np.int64)
    pool = _executor(threads)
    futures = [
        pool.submit(kernel, *args, int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=False)
    ]
    results = [f.result() for f in futures]
    failed = [(row, status) for status, row in results if status != 0]
    if not failed:
        return 0, -1
    row, status = min(failed)
    return status, row
