"""Synthetic data with per-row valid classes, for examples, tests and benchmarks."""

from __future__ import annotations

import numpy as np

from .losses import masked_softmax
from .masks import ClassMask

__all__ = ["make_transition_data"]


def make_transition_data(
    n_samples: int = 10_000,
    n_classes: int = 24,
    n_valid: int = 6,
    n_features: int = 8,
    *,
    noise: float = 1.0,
    random_state: int | np.random.Generator | None = None,
    return_allowed: bool = False,
) -> tuple:
    """Transitions of a Markov chain whose states each allow a few next states.

    Each of ``n_classes`` states allows ``n_valid`` next states (itself among them),
    drawn at random once. A row is one transition: column 0 of ``X`` holds the current
    state (as a number), the other ``n_features - 1`` columns are standard normal
    covariates; the next state ``y`` is drawn from the softmax, over the allowed next
    states only, of a linear-plus-nonlinear function of the covariates plus a per-state
    preference. A model that ignores the mask wastes probability on impossible
    transitions.

    Parameters
    ----------
    n_samples : int
        Number of transitions (rows).
    n_classes : int
        Number of states ``K`` (>= 2).
    n_valid : int
        Allowed next states per state, ``1 <= n_valid <= n_classes``.
    n_features : int
        Columns of ``X`` (>= 2), the state included.
    noise : float
        Scale of the per-state preferences; larger is easier to learn from the state.
    random_state : int, Generator or None
        Seed of everything drawn (the allowed transitions, the model, the rows).
    return_allowed : bool
        Also return the (K, K) boolean matrix of allowed transitions.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int64
    mask : ClassMask
        Row ``i``'s valid classes: the states allowed after state ``X[i, 0]``.
    allowed : ndarray of shape (K, K), bool, only if ``return_allowed``
        ``allowed[s, t]``: state ``t`` may follow state ``s``; the rule
        ``boostobj.TransitionMask(0, allowed)`` gives ``mask`` back from ``X``.

    Examples
    --------
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(1000, n_classes=24, n_valid=6, random_state=0)
    >>> X.shape, y.shape, mask.shape, mask.n_valid.tolist()[:3]
    ((1000, 8), (1000,), (1000, 24), [6, 6, 6])
    >>> bool(mask.contains(y).all())  # every label is an allowed next state
    True
    """
    for name, value, low in (
        ("n_samples", n_samples, 0),
        ("n_classes", n_classes, 2),
        ("n_valid", n_valid, 1),
        ("n_features", n_features, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: expected an integer >= {low}; got {value!r}")
    if (
        isinstance(noise, bool)
        or not isinstance(noise, (int, float, np.integer, np.floating))
        or not np.isfinite(noise)
    ):
        raise ValueError(f"noise: expected a finite number; got {noise!r}")
    if n_valid > n_classes:
        raise ValueError(f"n_valid: expected <= n_classes={n_classes}; got {n_valid}")
    rng = np.random.default_rng(random_state)
    allowed = np.zeros((n_classes, n_classes), dtype=bool)
    for state in range(n_classes):
        others = np.delete(np.arange(n_classes), state)
        allowed[state, state] = True
        allowed[state, rng.choice(others, n_valid - 1, replace=False)] = True
    state = rng.integers(0, n_classes, n_samples)
    covariates = rng.standard_normal((n_samples, n_features - 1))
    weights = rng.standard_normal((n_features - 1, n_classes))
    preference = noise * rng.standard_normal((n_classes, n_classes))
    phase = rng.uniform(0, 2 * np.pi, n_classes)
    logits = (
        covariates @ weights
        + np.sin(2.0 * covariates[:, :1] + phase)  # a nonlinear effect trees can find
        + preference[state]
    )
    mask = ClassMask.from_dense(allowed[state])
    proba = masked_softmax(logits, mask=mask)
    cumulative = np.cumsum(proba, axis=1)
    y = (rng.random(n_samples)[:, None] > cumulative).sum(axis=1)
    y = np.minimum(y, n_classes - 1)
    y = np.where(mask.contains(y), y, proba.argmax(axis=1))  # guard against rounding at 1.0
    X = np.column_stack([state.astype(np.float64), covariates])
    return (X, y, mask, allowed) if return_allowed else (X, y, mask)
