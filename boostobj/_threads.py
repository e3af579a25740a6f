"""Threading policy: how many threads a kernel call may use.

One setting for every call (losses, metrics, ``predict_proba`` and the objective and
metric callables inside XGBoost's and LightGBM's training loops): ``get_num_threads()``,
by default the number of threads the backends themselves default to, i.e.
``OMP_NUM_THREADS`` when set (joblib's workers set it) or else every core this process
may run on; ``BOOSTOBJ_NUM_THREADS`` or :func:`set_num_threads` override it. Calls under
``MIN_ENTRIES_PER_THREAD`` entries per thread stay on one thread.

Measured on 2 cores (``bench/``, docs/benchmarks.md "Threads and compilation"): two
threads halve a direct call, and the objective callable's time inside XGBoost's training
(20 to 11 ms per round at 200,000 x 24, a scratch measurement), which is a few percent of
a round there: less than the training time's run-to-run noise. They speed LightGBM's
training up.

Kernels release the GIL, so rows are split into contiguous chunks run by plain Python
threads: no numba threading layer, no second OpenMP runtime, and ``fork()`` after a call
stays safe (the pool is forgotten in the child and re-created on demand).

Every thread count boostobj accepts (``set_num_threads``, ``BOOSTOBJ_NUM_THREADS``, the
estimators' ``n_jobs``, ``boostobj bench --threads``) is at most :data:`MAX_THREADS`; see
:func:`check_thread_count` for why.
"""

from __future__ import annotations

import numbers
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._kernels.softmax import BLOCK_ROWS

#: Below this many (row, class) entries per thread, a call runs on one thread.
MIN_ENTRIES_PER_THREAD = 1 << 17
#: A threaded call splits its rows into this many chunks per thread (see ``run_rows``).
CHUNKS_PER_THREAD = 4

#: The largest thread count boostobj accepts: 1024, or the number of logical CPUs where
#: that is more (a count the hardware has is never refused).
#:
#: Why a cap at all: LightGBM uses ``num_threads`` as given (``OMP_SET_NUM_THREADS``,
#: then ``omp parallel num_threads(OMP_NUM_THREADS())``), and GNU OpenMP (libgomp)
#: starts a team of N threads by first reserving ``N * sizeof(gomp_thread_start_data)``
#: = N * 128 bytes on the *calling* thread's stack (``gomp_alloca`` in
#: ``gomp_team_start``), then calling ``pthread_create`` N - 1 times and ending the
#: process (``gomp_fatal``, exit code 1) when one fails. Measured on Linux, GCC 12
#: libgomp, LightGBM 4.7 (``lgb.train`` and ``Booster.predict`` alike):
#:
#: * segfault once N * 128 B exceeds the caller's stack: from ~65,400 threads on the
#:   8 MiB main thread, ~8,000 on a thread with a 1 MiB stack, ~2,000 with 256 KiB;
#: * "libgomp: Thread creation failed", exit 1, from ~33,000 threads (each thread
#:   costs two memory mappings, ``vm.max_map_count`` is 65,530 by default; the
#:   per-user process limit ``ulimit -u`` counts them too);
#: * well before either, per-thread buffers: LightGBM's predictor keeps one buffer
#:   of (number of features) doubles per thread (``predict_buf_``), +640 MB for 4,000
#:   threads and 20,000 features; and every parallel region wakes every thread, so
#:   1,000 threads on 2 cores made a small training 5x slower, 5,000 threads 30x,
#:   10,000 did not finish 2 rounds in 2 minutes.
#:
#: XGBoost (3.2) lowers ``nthread`` itself to min(cores, ``omp_get_max_threads()``,
#: the thread limit, the cgroup CPU quota) and so never crashes; the same cap still
#: applies to it, so that ``n_jobs`` means the same for both estimators.
#:
#: 1024 covers the largest common servers (2 sockets x 192 cores x 2 hyper-threads =
#: 768 logical CPUs), and its 128 KiB of libgomp stack leaves room on any thread with
#: a 256 KiB stack or more, and is 32x below the thread-creation failure and 64x below
#: the segfault on the main thread.
MAX_THREADS = max(1024, os.cpu_count() or 1)

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def check_thread_count(value: Any, name: str, *, allow_default: bool = True) -> int | None:
    """Check a thread count bound for the backends; return it as a Python int (or None).

    Parameters
    ----------
    value : None or int
        ``None``, ``-1`` or ``0``: the backend's default, which is what both backends
        make of any count <= 0 (XGBoost ``nthread``: min(cores, ``OMP_NUM_THREADS``);
        LightGBM ``num_threads``: ``OMP_NUM_THREADS`` or every core). Returned
        unchanged. Other negative counts are refused: scikit-learn's ``n_jobs=-2``
        ("all cores but one") would silently mean all cores to the backends.
        ``1 .. MAX_THREADS``: that many threads.
    name : str
        The argument, for the message.
    allow_default : bool, default=True
        False: only ``1 .. MAX_THREADS`` (e.g. for boostobj's own kernel threads).

    Raises
    ------
    TypeError
        ``value`` is not an integer (a bool, a float, a string).
    ValueError
        ``value`` is out of range: above :data:`MAX_THREADS` LightGBM's OpenMP runtime
        ends the process (see :data:`MAX_THREADS`).
    """
    if allow_default:
        expected = f"None, -1 or 0 (the backend's default) or an integer 1..{MAX_THREADS}"
    else:
        expected = f"an integer 1..{MAX_THREADS}"
    if value is None and allow_default:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected {expected}; got {value!r}")
    value = int(value)
    low = -1 if allow_default else 1
    if not low <= value <= MAX_THREADS:
        if value > MAX_THREADS:
            why = " (far larger thread counts crash LightGBM)"
        elif allow_default:  # scikit-learn's n_jobs=-2
            why = (
                " (joblib's -2, 'all cores but one', is not supported: the backends read any count <= 0 as "
                "their default)"
            )
        else:
            why = ""
        raise ValueError(f"{name}: expected {expected}{why}; got {value!r}")
    return value


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
        if n > MAX_THREADS:
            if name == "BOOSTOBJ_NUM_THREADS":
                raise ValueError(f"{name} must be at most MAX_THREADS = {MAX_THREADS}; got {value!r}")
            n = MAX_THREADS  # another library's setting: only boostobj's own default is capped
        return n
    return _available_cores()


_num_threads = _parse_env()


def set_num_threads(n: int) -> None:
    """Set how many threads boostobj's kernels may use (see ``boostobj._threads``).

    Default: ``OMP_NUM_THREADS`` if set (at most ``MAX_THREADS``), else every available core.
    At most :data:`MAX_THREADS`: the kernels never start more threads than the data has
    chunks of ``MIN_ENTRIES_PER_THREAD`` entries, so a larger count would not crash, but
    ``boostobj bench`` hands the same count to the backends, and a pool of thousands of
    threads on a few cores is only overhead.

    Parameters
    ----------
    n : int
        Threads for every later call (losses, metrics, ``predict_proba`` and the
        objectives inside training), ``1 <= n <= 1024``. The environment variable
        ``BOOSTOBJ_NUM_THREADS`` sets the same at import.

    Examples
    --------
    >>> import boostobj
    >>> before = boostobj.get_num_threads()
    >>> boostobj.set_num_threads(1)
    >>> boostobj.get_num_threads()
    1
    >>> boostobj.set_num_threads(before)
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected a positive integer number of threads; got {n!r}")
    if n > MAX_THREADS:
        raise ValueError(f"n: expected at most MAX_THREADS = {MAX_THREADS} threads; got {n!r}")
    _num_threads = int(n)


def get_num_threads() -> int:
    """How many threads boostobj's kernels may use.

    Returns
    -------
    int
        What :func:`set_num_threads` last set; by default ``BOOSTOBJ_NUM_THREADS``, else
        ``OMP_NUM_THREADS``, else every core this process may run on.

    Examples
    --------
    >>> import boostobj
    >>> boostobj.get_num_threads() >= 1
    True
    """
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

    With several threads the rows are split into ``CHUNKS_PER_THREAD`` contiguous chunks
    per thread, each starting at a multiple of ``BLOCK_ROWS``, and the threads (the
    calling one among them) take the next chunk in row order whenever they are free: a
    thread that starts late (an idle core can take a millisecond to wake on a virtual
    machine) does less instead of holding up the call. The reported error, if any, is the
    one at the smallest row, which is the error one thread reports: kernels report the
    first error block by block, every chunk before a failed one has been taken (chunks
    are taken in order) and is run to its end, and only chunks after it are skipped.
    """
    threads = min(_num_threads, max(1, (n_rows * max(n_cols, 1)) // MIN_ENTRIES_PER_THREAD))
    if threads <= 1:
        return kernel(*args, 0, n_rows)
    # chunks start at multiples of the kernels' block of rows, so that every block, and
    # with it the first error reported, is the same whatever the number of threads
    n_chunks = threads * CHUNKS_PER_THREAD
    step = -(-n_rows // n_chunks)
    step = -(-step // BLOCK_ROWS) * BLOCK_ROWS
    if step >= n_rows:  # one chunk: the rows fit in one block
        return kernel(*args, 0, n_rows)
    chunks = iter([(lo, min(lo + step, n_rows)) for lo in range(0, n_rows, step)])
    failed: list[tuple[int, int]] = []  # (row, status)
    taking = threading.Lock()  # each chunk taken once, whatever the interpreter's GIL

    def work() -> None:
        while True:
            with taking:
                chunk = next(chunks, None)
                if chunk is None or failed:  # none left, or only chunks after a failed one
                    return
            status, row = kernel(*args, *chunk)
            if status != 0:
                with taking:
                    failed.append((row, status))
                return

    pool = _executor(threads - 1)
    futures = [pool.submit(work) for _ in range(threads - 1)]
    work()
    for future in futures:
        future.result()
    if not failed:
        return 0, -1
    row, status = min(failed)
    return status, row
