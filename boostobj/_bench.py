"""Benchmark contenders and timing helpers, shared by ``bench/`` and the tests that keep
the contenders honest (each must compute the same gradient as boostobj).

The contenders are what users write today for a masked softmax objective with XGBoost's
Hessian convention ``max(2 p (1 - p), 1e-16)``:

* ``python_loop_gradient``: the classic per-row Python loop;
* ``numpy_gradient``: the best vectorised NumPy version we could write (dense mask,
  in-place float32 arithmetic, no per-row Python).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .masks import ClassMask


def python_loop_gradient(raw: np.ndarray, y: np.ndarray, mask: ClassMask) -> tuple[np.ndarray, np.ndarray]:
    """The per-row loop users write: softmax over ``valid[i]``, zero on ``invalid[i]``."""
    valid = [mask.indices[mask.indptr[i] : mask.indptr[i + 1]] for i in range(len(mask))]
    dense = mask.to_dense()
    invalid = [np.flatnonzero(~row) for row in dense]
    x = np.array(raw, dtype=np.float64)
    for i in range(len(x)):
        e = np.exp(x[i, valid[i]] - x[i, valid[i]].max())
        x[i, valid[i]] = e / np.sum(e)
        x[i, invalid[i]] = 0
    grad = x.copy()
    grad[np.arange(len(y)), y] -= 1.0
    hess = np.maximum(2.0 * x * (1.0 - x), 1e-16)
    return grad.astype(np.float32), hess.astype(np.float32)


def numpy_gradient(raw: np.ndarray, y: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised masked softmax gradient; ``valid`` is the dense (n, K) boolean mask."""
    p = np.where(valid, raw, np.float32(-np.inf))
    p -= p.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)
    hess = 1.0 - p
    hess *= p
    hess *= 2.0
    np.maximum(hess, np.float32(1e-16), out=hess)
    grad = p
    grad[np.arange(y.size), y] -= 1.0
    return grad, hess


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
