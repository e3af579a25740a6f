"""What users write today for a masked softmax objective: the benchmark's reference contenders.

Each computes the same gradient and Hessian diagonal as boostobj's
``SoftmaxLoss(hessian=<backend>)`` (the tests hold them to it):

* ``python_loop_gradient``: the classic per-row Python loop;
* ``numpy_gradient``: the best vectorised NumPy version we could write (dense mask,
  in-place arithmetic in the margins' dtype, no per-row Python).

and ``LoopObjective`` / ``NumpyObjective`` wrap them as objective callables for
``xgboost.train(obj=...)`` and LightGBM's ``params["objective"]``.

Hessian conventions (``hessian=``): ``"xgboost"`` is ``max(2 p (1 - p), 1e-16)``, what
``multi:softprob`` uses; ``"lightgbm"`` is ``K / (K - 1) p (1 - p)`` with the global
``K`` and no floor, what ``multiclass`` uses. Invalid classes get ``p = 0``, so gradient
0 and Hessian 1e-16 (XGBoost) or 0 (LightGBM), as boostobj's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..masks import ClassMask

__all__ = [
    "HESSIANS",
    "python_loop_gradient",
    "numpy_gradient",
    "LoopObjective",
    "NumpyObjective",
]

#: The Hessian conventions the contenders implement (one per backend).
HESSIANS = ("xgboost", "lightgbm")


def _check_hessian(hessian: str) -> None:
    if hessian not in HESSIANS:
        raise ValueError(f"hessian: expected one of {list(HESSIANS)}; got {hessian!r}")


def _valid_and_invalid(mask: ClassMask) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-row arrays of valid and of invalid class indices (what the loop indexes with)."""
    valid = [mask.indices[mask.indptr[i] : mask.indptr[i + 1]] for i in range(len(mask))]
    invalid = [np.flatnonzero(~row) for row in mask.to_dense()]
    return valid, invalid


def _loop(
    raw: np.ndarray, y: np.ndarray, valid: list[np.ndarray], invalid: list[np.ndarray], hessian: str
) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(raw, dtype=np.float64)
    for i in range(len(x)):
        e = np.exp(x[i, valid[i]] - x[i, valid[i]].max())
        x[i, valid[i]] = e / np.sum(e)
        x[i, invalid[i]] = 0
    grad = x.copy()
    grad[np.arange(len(y)), y] -= 1.0
    if hessian == "xgboost":
        hess = np.maximum(2.0 * x * (1.0 - x), 1e-16)
    else:
        k = x.shape[1]
        hess = k / (k - 1.0) * x * (1.0 - x)
    return grad.astype(np.float32), hess.astype(np.float32)


def python_loop_gradient(
    raw: np.ndarray, y: np.ndarray, mask: ClassMask, hessian: str = "xgboost"
) -> tuple[np.ndarray, np.ndarray]:
    """The per-row loop users write: softmax over ``valid[i]``, zero on ``invalid[i]``.

    Parameters
    ----------
    raw : ndarray of shape (n, K)
        Margins (any float dtype, C or F order).
    y : ndarray of int, shape (n,)
        Class indices, valid in their rows.
    mask : ClassMask
    hessian : {"xgboost", "lightgbm"}, default="xgboost"

    Returns
    -------
    grad, hess : ndarray of shape (n, K), float32, C order
        Computed in float64.
    """
    _check_hessian(hessian)
    valid, invalid = _valid_and_invalid(mask)
    return _loop(raw, y, valid, invalid, hessian)


def numpy_gradient(
    raw: np.ndarray, y: np.ndarray, valid: np.ndarray, hessian: str = "xgboost"
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised masked softmax gradient and Hessian diagonal.

    Parameters
    ----------
    raw : ndarray of shape (n, K)
        Margins; the arithmetic runs in their dtype (float32 for XGBoost's, float64 for
        LightGBM's).
    y : ndarray of int, shape (n,)
    valid : ndarray of bool, shape (n, K)
        The dense mask.
    hessian : {"xgboost", "lightgbm"}, default="xgboost"

    Returns
    -------
    grad, hess : ndarray of shape (n, K), ``raw``'s dtype
    """
    _check_hessian(hessian)
    p = np.where(valid, raw, np.float32(-np.inf))
    p -= p.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)
    hess = 1.0 - p
    hess *= p
    if hessian == "xgboost":
        hess *= 2.0
        np.maximum(hess, np.float32(1e-16), out=hess)
    else:
        k = p.shape[1]
        hess *= k / (k - 1.0)
    grad = p
    grad[np.arange(y.size), y] -= 1.0
    return grad, hess


class _ContenderObjective:
    """Base of the contender objective callables: ``obj(preds, data) -> (grad, hess)``.

    ``preds`` are the backend's margins (the -1e30 offset included), shape (n, K);
    ``data`` is the training ``xgboost.DMatrix`` / ``lightgbm.Dataset`` (labels are read
    from it each call, as boostobj's objective does; sample weights are not supported).
    The mask of the training rows is bound at construction and prepared once, as users
    do.
    """

    def __init__(self, mask: ClassMask, backend: str) -> None:
        _check_hessian(backend)
        self.backend = backend
        self.n_rows = len(mask)

    def _labels(self, data: Any) -> np.ndarray:
        y = np.asarray(data.get_label()).astype(np.intp)
        if y.size != self.n_rows:
            raise ValueError(f"data: expected {self.n_rows} rows (those of the bound mask); got {y.size}")
        return y


class LoopObjective(_ContenderObjective):
    """The classic per-row Python loop (:func:`python_loop_gradient`) as an objective."""

    def __init__(self, mask: ClassMask, backend: str) -> None:
        super().__init__(mask, backend)
        self.valid, self.invalid = _valid_and_invalid(mask)

    def __call__(self, preds: Any, data: Any) -> tuple[np.ndarray, np.ndarray]:
        return _loop(np.asarray(preds), self._labels(data), self.valid, self.invalid, self.backend)


class NumpyObjective(_ContenderObjective):
    """The vectorised NumPy version (:func:`numpy_gradient`) as an objective."""

    def __init__(self, mask: ClassMask, backend: str) -> None:
        super().__init__(mask, backend)
        self.valid = mask.to_dense()

    def __call__(self, preds: Any, data: Any) -> tuple[np.ndarray, np.ndarray]:
        return numpy_gradient(np.asarray(preds), self._labels(data), self.valid, self.backend)
