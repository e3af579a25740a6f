"""Second-order forward-mode automatic differentiation of vectorised NumPy functions.

A :class:`Jet` carries, for every element of an array ``x``, the value of some function
``g`` and its first and second derivatives with respect to one scalar variable:
``(g, g', g'')``. Arithmetic and the NumPy ufuncs below propagate all three exactly (the
chain rule ``h(g)'' = h''(g) g'^2 + h'(g) g''``), so ``derivatives(fn, x)`` returns
``fn(x)``, ``fn'(x)`` and ``fn''(x)`` to rounding, elementwise, in one vectorised pass:
no finite differences, no symbolic algebra, no dependency beyond NumPy.

``fn`` must be written with arithmetic and supported ufuncs only (no ``if`` on values, no
``np.where``); anything else raises a ``TypeError`` that names the operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Jet", "derivatives"]


def _unary_rules(x: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(h(x), h'(x), h''(x))`` of a supported one-argument ufunc."""
    if name == "exp":
        e = np.exp(x)
        return e, e, e
    if name == "expm1":
        e = np.exp(x)
        return np.expm1(x), e, e
    if name == "log":
        inv = 1.0 / x
        return np.log(x), inv, -inv * inv
    if name == "log1p":
        inv = 1.0 / (1.0 + x)
        return np.log1p(x), inv, -inv * inv
    if name == "sqrt":
        s = np.sqrt(x)
        return s, 0.5 / s, -0.25 / (s * x)
    if name == "square":
        return x * x, 2.0 * x, np.full_like(x, 2.0)
    if name == "reciprocal":
        inv = 1.0 / x
        return inv, -inv * inv, 2.0 * inv * inv * inv
    if name == "negative":
        return -x, np.full_like(x, -1.0), np.zeros_like(x)
    if name == "tanh":
        t = np.tanh(x)
        return t, 1.0 - t * t, -2.0 * t * (1.0 - t * t)
    if name == "sin":
        return np.sin(x), np.cos(x), -np.sin(x)
    if name == "cos":
        return np.cos(x), -np.sin(x), -np.cos(x)
    if name == "absolute":
        s = np.sign(x)
        return np.abs(x), s, np.zeros_like(x)
    raise TypeError(f"loss: the operation np.{name} is not supported by boostobj's differentiation")


_UNARY = {
    np.exp: "exp",
    np.expm1: "expm1",
    np.log: "log",
    np.log1p: "log1p",
    np.sqrt: "sqrt",
    np.square: "square",
    np.reciprocal: "reciprocal",
    np.negative: "negative",
    np.tanh: "tanh",
    np.sin: "sin",
    np.cos: "cos",
    np.absolute: "absolute",
}
_BINARY = {np.add: "add", np.subtract: "subtract", np.multiply: "multiply", np.true_divide: "divide"}


class Jet:
    """Values with their first and second derivatives along one variable (arrays of one shape).

    Parameters
    ----------
    value, d1, d2 : ndarray
        ``g``, ``g'`` and ``g''``, elementwise.
    """

    __array_priority__ = 100.0

    def __init__(self, value: Any, d1: Any, d2: Any) -> None:
        dtype = np.result_type(value, d1, d2, np.float64)  # complex values too (complex-step checks)
        self.value = np.asarray(value, dtype=dtype)
        self.d1 = np.asarray(d1, dtype=dtype)
        self.d2 = np.asarray(d2, dtype=dtype)

    @classmethod
    def variable(cls, x: np.ndarray) -> Jet:
        """The independent variable itself: ``(x, 1, 0)``."""
        x = np.asarray(x, dtype=np.float64)
        return cls(x, np.ones_like(x), np.zeros_like(x))

    def _apply(self, name: str) -> Jet:
        h, h1, h2 = _unary_rules(self.value, name)
        return Jet(h, h1 * self.d1, h2 * self.d1 * self.d1 + h1 * self.d2)

    # arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return Jet(self.value + other.value, self.d1 + other.d1, self.d2 + other.d2)
        return Jet(self.value + _const(other), self.d1, self.d2)

    __radd__ = __add__

    def __abs__(self) -> Jet:
        return self._apply("absolute")

    def __neg__(self) -> Jet:
        return Jet(-self.value, -self.d1, -self.d2)

    def __sub__(self, other: Any) -> Jet:
        return self + (-other)

    def __rsub__(self, other: Any) -> Jet:
        return (-self) + other

    def __mul__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return Jet(
                self.value * other.value,
                self.d1 * other.value + self.value * other.d1,
                self.d2 * other.value + 2.0 * self.d1 * other.d1 + self.value * other.d2,
            )
        c = _const(other)
        return Jet(self.value * c, self.d1 * c, self.d2 * c)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return self * other._apply("reciprocal")
        return self * (1.0 / _const(other))

    def __rtruediv__(self, other: Any) -> Jet:
        return self._apply("reciprocal") * _const(other)

    def __pow__(self, other: Any) -> Jet:
        if isinstance(other, Jet):  # g^h = exp(h log g)
            return (other * self._apply("log"))._apply("exp")
        c = _const(other)
        x = self.value
        with np.errstate(divide="ignore", invalid="ignore"):
            h, h1 = x**c, c * x ** (c - 1.0)
            h2 = c * (c - 1.0) * x ** (c - 2.0)
        h1 = np.where(c == 0.0, 0.0, h1)  # d/dx x^0 = 0, also at x = 0
        h2 = np.where((c == 0.0) | (c == 1.0), 0.0, h2)
        return Jet(h, h1 * self.d1, h2 * self.d1 * self.d1 + h1 * self.d2)

    def __rpow__(self, other: Any) -> Jet:  # c^g = exp(g log c)
        return (self * np.log(_const(other)))._apply("exp")

    # NumPy ufuncs ----------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            raise TypeError(
                f"loss: np.{ufunc.__name__}.{method} is not supported by boostobj's differentiation"
            )
        if ufunc in _UNARY and len(inputs) == 1:
            return inputs[0]._apply(_UNARY[ufunc])
        if ufunc in _BINARY:
            a, b = inputs
            return {
                "add": lambda: a + b if isinstance(a, Jet) else b + a,
                "subtract": lambda: a - b if isinstance(a, Jet) else b.__rsub__(a),
                "multiply": lambda: a * b if isinstance(a, Jet) else b * a,
                "divide": lambda: a / b if isinstance(a, Jet) else b.__rtruediv__(a),
            }[_BINARY[ufunc]]()
        if ufunc is np.power:
            a, b = inputs
            return a**b if isinstance(a, Jet) else b.__rpow__(a)
        raise TypeError(
            f"loss: the operation np.{ufunc.__name__} is not supported by boostobj's differentiation"
        )

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(
            f"loss: np.{func.__name__} is not supported by boostobj's differentiation; write the loss "
            f"with arithmetic and ufuncs (np.log, np.exp, np.log1p, ...)"
        )

    def _branch(self, *_: Any) -> Any:
        raise TypeError(
            "loss: a branch on the value ('if', comparisons, np.where) cannot be differentiated; "
            "write the loss as one expression"
        )

    __bool__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _branch
    __hash__ = None  # type: ignore[assignment]

    def __getattr__(self, name: str) -> Any:  # only called for attributes a Jet lacks
        if name.startswith("__"):
            raise AttributeError(name)
        raise TypeError(
            f"loss: .{name} is not supported by boostobj's differentiation; write the loss with "
            f"arithmetic and ufuncs"
        )


def _const(x: Any) -> Any:
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, np.ndarray) and x.dtype.kind in "iuf":
        return x.astype(np.float64, copy=False)
    raise TypeError(f"loss: cannot combine a differentiated value with {type(x).__name__}")


def derivatives(
    fn: Callable[..., Any], x: np.ndarray, *args: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``fn(x, *args)`` with its first and second derivatives in ``x``, elementwise.

    Parameters
    ----------
    fn : callable
        Maps an array of shape (n,) (and ``args``, held constant) to an array of shape (n,),
        each output element depending on the same element of ``x`` only.
    x : ndarray of shape (n,)

    Returns
    -------
    value, first, second : ndarray of shape (n,), float64
    """
    with np.errstate(all="ignore"):  # the caller checks the results for NaN and inf
        out = fn(Jet.variable(x), *args)
    if not isinstance(out, Jet):  # a constant (does not depend on x)
        value = np.broadcast_to(np.asarray(out, dtype=np.float64), np.shape(x)).copy()
        return value, np.zeros_like(value), np.zeros_like(value)
    shape = np.shape(x)
    return tuple(np.broadcast_to(a, shape).astype(np.float64) for a in (out.value, out.d1, out.d2))
