"""How every kernel is compiled: one owner for caching, GIL release and fall-backs.

* ``nopython`` and ``nogil``: kernels touch only arrays, so they release the GIL and
  callers may run row chunks from several Python threads.
* ``cache=True`` when a cache directory is writable, so a second process loads the
  machine code instead of compiling it (about 1 s per kernel and signature). A
  read-only install with no writable cache directory (numba raises ``RuntimeError``
  at decoration time) falls back to compiling in memory, so ``import boostobj``
  always works.
* ``error_model="numpy"``: a division by zero gives inf/NaN instead of a Python
  exception check on every division; the kernels never divide by zero anyway.
* Lazy signatures: nothing is compiled at import; each kernel is compiled on its
  first call for the dtypes and memory layout it receives.
* ``fastmath={"contract"}`` only: multiply-adds may fuse into FMA instructions (at
  most half an ulp of difference per operation). The other fast-math flags stay off:
  the kernels test for NaN and infinity, which ``nnan``/``ninf`` would let LLVM assume
  away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numba

F = TypeVar("F", bound=Callable)

_OPTIONS = {"nogil": True, "fastmath": {"contract"}, "error_model": "numpy"}


def jit(func: F) -> F:
    """Compile ``func`` as a cached, GIL-free nopython kernel (see module docstring)."""
    try:
        return numba.njit(cache=True, **_OPTIONS)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **_OPTIONS)(func)


def jit_uncached(func: F) -> F:
    """As :func:`jit` without the on-disk cache: for kernels that take or close over user
    functions, which numba compiles per function and cannot cache."""
    return numba.njit(cache=False, **_OPTIONS)(func)


def jit_inline(func: F) -> F:
    """As :func:`jit`, but compiled into each kernel that calls it (numba's
    ``inline="always"``), for small helpers: a separate jitted function is compiled and
    cached on its own on a first call, which adds to that call's time; an inlined one is
    compiled only as part of its caller."""
    return numba.njit(inline="always", **_OPTIONS)(func)
