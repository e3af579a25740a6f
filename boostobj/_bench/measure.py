"""Timing and memory measurement for the benchmarks.

* :func:`best_time`: the fastest of a few timed calls (kernel benchmarks).
* :class:`TimedObjective`: an objective callable that adds up the time spent inside it.
* :class:`PeakMemory`: the peak growth of the process's resident memory during a block.

What ``PeakMemory`` measures (:data:`MEMORY_METHOD`): on Linux, the kernel's resident
high-water mark ``VmHWM`` of ``/proc/self/status``, reset at the start of the block by
writing ``5`` to ``/proc/self/clear_refs``, minus ``VmRSS`` at the start. Unlike
``tracemalloc`` it sees every allocation, XGBoost's and LightGBM's C++ ones included,
and it misses no short-lived peak (no sampling). Before the block, garbage is collected
and glibc is asked to return freed heap memory (``malloc_trim``), so that the baseline
is the live data; memory freed earlier and still held by an allocator can be reused
without raising the RSS, so the figure is a lower bound of what the block allocated.
Where ``clear_refs`` cannot be written, a background thread samples ``VmRSS`` every
2 ms instead (it can miss peaks shorter than that); without ``/proc`` (not Linux) the
peak is unknown (``None``).
"""

from __future__ import annotations

import ctypes
import gc
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["MEMORY_METHOD", "best_time", "TimedObjective", "PeakMemory"]

MEMORY_METHOD = (
    "peak growth of resident memory during the fit (Linux VmHWM, reset before it, minus VmRSS "
    "before it), C++ included"
)

_STATUS = "/proc/self/status"


def best_time(fn: Callable[[], Any], repeat: int = 5) -> float:
    """The fastest of ``repeat`` timed calls, in seconds (one untimed warm-up call first)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


class TimedObjective:
    """An objective callable that times itself.

    Parameters
    ----------
    objective : callable
        Called with the backend's arguments, its result returned unchanged.

    Attributes
    ----------
    seconds : float
        Wall time spent inside ``objective`` so far.
    calls : int
        Number of calls so far (one per boosting round).
    entries : int
        Margins per call (the size of the backend's predictions: rows x margins per row).
    """

    def __init__(self, objective: Callable[..., Any]) -> None:
        self.objective = objective
        self.seconds = 0.0
        self.calls = 0
        self.entries = 0

    def __call__(self, *args: Any) -> Any:
        self.entries = int(getattr(args[0], "size", 0))
        start = time.perf_counter()
        try:
            return self.objective(*args)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def __deepcopy__(self, memo: dict) -> TimedObjective:
        # lightgbm.train deep-copies its params, the objective among them: keep one timer
        # (and do not copy the contenders' masks inside the timed call).
        return self


def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` memory field in KiB, or None where unavailable."""
    try:
        with open(_STATUS) as fh:
            text = fh.read()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def _reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _release_free_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass


class PeakMemory:
    """Context manager: the peak growth of resident memory inside the block, in bytes.

    ``peak_bytes`` is set on exit; ``None`` where it cannot be measured. See the module
    docstring for the method and its limits.
    """

    def __init__(self) -> None:
        self.peak_bytes: int | None = None
        self._baseline: int | None = None
        self._sampled = 0
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        _release_free_memory()
        self._baseline = _status_kib("VmRSS")
        if self._baseline is not None and not _reset_high_water_mark():
            self._sampled = self._baseline
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._sampled = max(self._sampled, _status_kib("VmRSS") or 0)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._baseline is None:
            return
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join()
            peak = max(self._sampled, _status_kib("VmRSS") or 0)
        else:
            peak = _status_kib("VmHWM") or 0
        self.peak_bytes = max(0, peak - self._baseline) * 1024
