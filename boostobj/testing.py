"""``check_objective``: a finite-difference check of a gradient and Hessian diagonal, for
boostobj's losses and for users' own objectives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .losses import Loss

__all__ = ["check_objective", "ObjectiveCheck"]


@dataclass
class ObjectiveCheck:
    """The result of :func:`check_objective`.

    Attributes
    ----------
    ok : bool
        Whether every checked entry is within ``atol + rtol * |numeric|``.
    gradient_error, hessian_error : float
        Largest absolute difference between analytic and numeric values (NaN if not checked).
    worst : list of dict
        The worst entries: ``{"quantity", "row", "class", "analytic", "numeric", "error"}``.
    rtol, atol : float
        The tolerances the check used.

    Examples
    --------
    >>> import numpy as np, boostobj
    >>> raw, y = np.zeros((4, 3)), np.array([0, 1, 2, 0])
    >>> check = boostobj.check_objective(boostobj.SoftmaxLoss(hessian="xgboost"), y, raw)
    >>> bool(check.ok), check.hessian_error > 0.1  # XGBoost's Hessian is twice the exact one
    (False, True)
    """

    ok: bool
    gradient_error: float
    hessian_error: float
    rtol: float
    atol: float
    worst: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"check_objective: {'OK' if self.ok else 'FAILED'} (atol={self.atol:g}, rtol={self.rtol:g})",
            f"  max |gradient - finite difference|: {self.gradient_error:.3g}",
            f"  max |hessian - finite difference of the gradient|: {self.hessian_error:.3g}",
        ]
        if self.worst:
            lines.append("  worst entries:")
            header = ("quantity", "row", "class", "analytic", "numeric", "error")
            lines.append("    {:9s} {:>6s} {:>5s} {:>13s} {:>13s} {:>10s}".format(*header))
            for e in self.worst:
                lines.append(
                    f"    {e['quantity']:9s} {e['row']:6d} {e['class']:5d} {e['analytic']:13.6g} "
                    f"{e['numeric']:13.6g} {e['error']:10.3g}"
                )
        return "\n".join(lines)


def check_objective(
    objective: Loss | Callable[..., tuple[np.ndarray, np.ndarray]],
    y_true: Any,
    raw_prediction: Any,
    *,
    loss: Callable[..., np.ndarray] | None = None,
    sample_weight: Any = None,
    mask: Any = None,
    eps: float = 1e-5,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    n_worst: int = 5,
    **loss_kwargs: Any,
) -> ObjectiveCheck:
    """Compare a gradient and Hessian diagonal with central finite differences.

    The gradient is compared with the finite differences of the per-row loss, the
    Hessian diagonal with the finite differences of the gradient, one class (column) at
    a time for all rows at once (rows are independent). Everything runs in float64.

    Parameters
    ----------
    objective : Loss or callable
        A boostobj loss (its ``gradient_hessian`` and ``loss`` are checked), or a callable
        ``objective(y_true, raw) -> (grad, hess)`` of your own.
    y_true : array-like of shape (n,) (or (n, K) soft targets)
    raw_prediction : array-like of shape (n, K) or (n,)
        Margins at which to check; pick moderate values (``|margin|`` of a few units).
    loss : callable, optional
        ``loss(y_true, raw) -> (n,)`` per-row losses, to check a callable's gradient;
        without it only its Hessian is checked.
    sample_weight, mask
        Passed to a boostobj loss.
    eps : float
        Finite-difference step.
    rtol, atol : float
        An entry passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
    n_worst : int
        How many of the worst entries to report.
    **loss_kwargs
        Further arguments of a boostobj loss (e.g. ``group=`` for
        :class:`boostobj.choice.ChoiceLoss`, whose rows are coupled within each group: its
        entries are then perturbed one at a time, and its gradient compared with the
        finite differences of the total loss).

    Returns
    -------
    ObjectiveCheck
        ``print(result)`` gives a readable report; ``result.ok`` the verdict.

    Examples
    --------
    >>> import numpy as np, boostobj
    >>> raw = np.random.default_rng(0).normal(size=(50, 4))
    >>> y = np.arange(50) % 4
    >>> result = boostobj.check_objective(boostobj.SoftmaxLoss(hessian="exact"), y, raw)
    >>> bool(result.ok)
    True
    >>> print(result)  # doctest: +ELLIPSIS
    check_objective: OK (atol=1e-06, rtol=0.0001)
    ...
    """
    raw = np.array(raw_prediction, dtype=np.float64)
    if raw.ndim not in (1, 2):
        raise ValueError(f"raw_prediction: expected shape (n, K) or (n,); got {raw.shape}")
    coupled = False
    if isinstance(objective, Loss):
        kwargs = {"sample_weight": sample_weight, "mask": mask, **loss_kwargs}
        coupled = bool(getattr(objective, "needs_groups", False))

        def grad_hess(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return objective.gradient_hessian(y_true, r, **kwargs)

        def values(r: np.ndarray) -> np.ndarray:
            return objective.loss(y_true, r, **kwargs)

    elif callable(objective):
        if sample_weight is not None or mask is not None or loss_kwargs:
            raise ValueError("sample_weight, mask: only for boostobj losses; bind them in your callable")

        def grad_hess(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return objective(y_true, r)

        values = None if loss is None else (lambda r: loss(y_true, r))
    else:
        raise TypeError(f"objective: expected a boostobj Loss or a callable; got {type(objective).__name__}")

    columns = raw.reshape(raw.shape[0], -1)
    shape = raw.shape
    grad, hess = (np.asarray(a, dtype=np.float64).reshape(columns.shape) for a in grad_hess(raw))
    num_grad = np.full(columns.shape, np.nan)
    num_hess = np.empty(columns.shape)
    # independent rows: one column of every row at once; coupled rows: one entry at a time
    steps = np.ndindex(*columns.shape) if coupled else ((slice(None), j) for j in range(columns.shape[1]))
    for at in steps:
        step = np.zeros(columns.shape)
        step[at] = eps
        plus, minus = (columns + step).reshape(shape), (columns - step).reshape(shape)
        if values is not None:
            v_plus, v_minus = np.asarray(values(plus)), np.asarray(values(minus))
            if coupled:
                v_plus, v_minus = v_plus.sum(), v_minus.sum()
            num_grad[at] = (v_plus - v_minus) / (2 * eps)
        g_plus = np.asarray(grad_hess(plus)[0], dtype=np.float64).reshape(columns.shape)[at]
        g_minus = np.asarray(grad_hess(minus)[0], dtype=np.float64).reshape(columns.shape)[at]
        num_hess[at] = (g_plus - g_minus) / (2 * eps)

    entries = []
    errors = {}
    for name, analytic, numeric in (("gradient", grad, num_grad), ("hessian", hess, num_hess)):
        if np.isnan(numeric).all():
            errors[name] = float("nan")
            continue
        err = np.abs(analytic - numeric)
        errors[name] = float(np.nanmax(err))
        excess = err - (atol + rtol * np.abs(numeric))
        for flat in np.argsort(-np.nan_to_num(excess, nan=-np.inf), axis=None)[:n_worst]:
            row, col = np.unravel_index(flat, err.shape)
            entries.append(
                {
                    "quantity": name,
                    "row": int(row),
                    "class": int(col),
                    "analytic": float(analytic[row, col]),
                    "numeric": float(numeric[row, col]),
                    "error": float(err[row, col]),
                    "excess": float(excess[row, col]),
                }
            )
    ok = all(e["excess"] <= 0 for e in entries) and np.isfinite(grad).all() and np.isfinite(hess).all()
    worst = sorted(entries, key=lambda e: -e["excess"])[:n_worst]
    for e in worst:
        del e["excess"]
    return ObjectiveCheck(ok, errors["gradient"], errors["hessian"], rtol, atol, worst)
