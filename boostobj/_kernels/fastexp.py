"""``exp`` of many non-positive numbers at once, vectorised (AVX2 here), within 1 ulp.

Softmax only ever exponentiates ``margin - row_max <= 0``. The libm ``exp`` is a scalar
call (about 6 ns here); this loop lets LLVM use SIMD lanes and FMA (about 0.7 ns per
value), which matters because the ``exp`` of the valid entries is the largest cost of a
softmax gradient.

Method (the classic one of Cephes/fdlibm, without tables): write ``x = k ln2 + r`` with
integer ``k = round(x / ln2)`` and ``|r| <= ln2 / 2``; ``exp(r)`` is its Taylor
polynomial of degree 13 (truncation error below 5e-18 relative on that interval);
``2**k`` is built from its IEEE-754 bits (bit casts: ``_float_bits``, ``_bits_float``).
``ln2`` is split in two (Cody-Waite) so that ``r`` is exact. Inputs below -708 (where
``exp`` leaves the normal range) give 0, so the result never depends on denormals;
``-inf`` gives 0. Tested against ``numpy.exp``.

Also here, as they share the bit casts: ``order_key`` and ``from_order_key``, which map a
float64 to an int64 that sorts as the float does, so that a row's maximum can be an
integer maximum, which LLVM vectorises (a float maximum by compare and select is a
chain it must keep in order, since it cannot assume away NaN).
"""

from __future__ import annotations

import math

import numpy as np
from numba import types
from numba.core import config as numba_config
from numba.extending import intrinsic

from ._jit import jit, jit_inline

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln2 with its low bits zeroed: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_LOWEST = -708.0
_C = [1.0 / math.factorial(n) for n in range(14)]
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = _C[2:]


if numba_config.DISABLE_JIT:  # the kernels run as Python (NUMBA_DISABLE_JIT=1): plain bit casts

    def _float_bits(x):
        """The IEEE-754 bits of a float64 as an int (a bit cast, not a conversion)."""
        return int(np.float64(x).view(np.int64))

    def _bits_float(bits):
        """The float64 whose IEEE-754 bits are the low 64 bits of ``bits``."""
        return float(np.uint64(bits & 0xFFFF_FFFF_FFFF_FFFF).view(np.float64))

else:

    @intrinsic
    def _float_bits(typingctx, x):
        """The IEEE-754 bits of a float64 as an int64 (a bit cast, not a conversion).

        Not ``ndarray.view``: that needs a scratch array and its implementation took about
        0.25 s to compile on a first call.
        """

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.int64))

        return types.int64(types.float64), codegen

    @intrinsic
    def _bits_float(typingctx, bits):
        """The float64 whose IEEE-754 bits are the int64 ``bits``."""

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(types.int64), codegen


@jit
def exp_nonpositive(x, count):
    """Replace ``x[:count]`` (float64, every value <= 0 or -inf) by its exponential."""
    for t in range(count):
        v = x[t]
        v = v if v > _LOWEST else _LOWEST
        shifted = v * _LOG2E + _ROUND  # low mantissa bits now hold k = round(v / ln2)
        k = shifted - _ROUND
        r = (v - k * _LN2_HI) - k * _LN2_LO
        p = _C13
        p = p * r + _C12
        p = p * r + _C11
        p = p * r + _C10
        p = p * r + _C9
        p = p * r + _C8
        p = p * r + _C7
        p = p * r + _C6
        p = p * r + _C5
        p = p * r + _C4
        p = p * r + _C3
        p = p * r + _C2
        p = p * r + 1.0
        p = p * r + 1.0
        two_k = _bits_float((_float_bits(shifted) << 52) + (1023 << 52))  # exponent field k + 1023
        x[t] = p * two_k if x[t] > _LOWEST else 0.0


_MAGNITUDE = 0x7FFF_FFFF_FFFF_FFFF
KEY_NEG_INF = -0x7FF0_0000_0000_0001
"""``order_key(-inf)``, the lowest key of a number: the start of a maximum, so that a
maximum over no entries is ``-inf``, as a float maximum started at ``-inf`` is (the keys
below it are those of NaNs with the sign bit set)."""


@jit_inline
def order_key(x):
    """An int64 that orders as the float64 ``x`` does, for any ``x`` but NaN: the IEEE-754
    bits, with the magnitude bits flipped when negative. ``-0.0`` sorts just below
    ``0.0``; ``-inf`` and ``inf`` at the ends. ``from_order_key`` inverts it exactly."""
    bits = _float_bits(x)
    return bits ^ ((bits >> 63) & _MAGNITUDE)


@jit_inline
def from_order_key(key):
    """The float64 whose ``order_key`` is ``key``."""
    return _bits_float(key ^ ((key >> 63) & _MAGNITUDE))
