"""The benchmark's contenders, and one timed training run of a contender on a backend.

Per backend (XGBoost, LightGBM), on the same data and parameters:

1. ``builtin_unaware``: the built-in objective (``multi:softprob`` / ``multiclass``) on
   data without the mask, what most users run today; its test probabilities are
   renormalised over each row's valid classes for the masked metrics;
2. ``builtin_masked``: the built-in objective with the mask as a -1e30 margin offset
   (``base_margin`` / ``init_score``): the native masked model, pure C++;
3. ``boostobj``: boostobj's numba objective (``xgboost_objective()`` /
   ``lightgbm_objective()``) on the same offset data;
4. ``python_loop``: the classic per-row Python loop objective
   (:class:`~boostobj._bench.gradients.LoopObjective`);
5. ``numpy``: the vectorised NumPy objective (:class:`~boostobj._bench.gradients.NumpyObjective`).

Contenders 2 to 5 train the same model (same start margins, same gradient and Hessian):
their test probabilities agree up to float32 rounding.

With ``--losses``, boostobj's other losses join (``LOSS_CONTENDERS``, 6 to 12): the focal
loss, label smoothing, the focal loss written with ``make_loss`` (derived derivatives),
the cross-entropy written as a ``make_loss`` margins-form row function (both derivatives
by the complex step), the grouped softmax with one group (the same model as 3, through the
segment kernels), the choice loss on the workload in long format (one row per valid
(row, class) pair, the class a feature: another model of the same choices) and the
multi-label loss on one-hot targets. They are there for their time per round and per
entry (``ns/entry``: objective time per round over the margins it received).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..losses import masked_softmax
from ..metrics import masked_log_loss
from ..predict import predict_margin
from .gradients import LoopObjective, NumpyObjective
from .measure import PeakMemory, TimedObjective
from .workloads import Workload

__all__ = [
    "BACKENDS",
    "CONTENDERS",
    "LOSS_CONTENDERS",
    "Contender",
    "Settings",
    "Fit",
    "Scores",
    "make_objective",
    "fit",
]

#: Training rows on which the models' probabilities are compared (the first ones).
TRAIN_ROWS_SCORED = 20_000

#: Backends, and the name of each one's built-in multiclass objective.
BACKENDS = {"xgboost": "multi:softprob", "lightgbm": "multiclass"}


@dataclass(frozen=True)
class Contender:
    """One way of training the masked multiclass model.

    Attributes
    ----------
    number : str
        Its number in the issue and the table ("1" to "5").
    key : str
        Its name in the JSON output.
    label : str
        Short description; ``{builtin}`` stands for the backend's built-in objective.
    """

    number: str
    key: str
    label: str

    def describe(self, backend: str) -> str:
        return self.label.format(builtin=BACKENDS[backend])


CONTENDERS = (
    Contender("1", "builtin_unaware", "{builtin}, no mask*"),
    Contender("2", "builtin_masked", "{builtin}, -1e30 offset"),
    Contender("3", "boostobj", "boostobj objective"),
    Contender("4", "python_loop", "Python per-row loop"),
    Contender("5", "numpy", "NumPy vectorised"),
)
#: boostobj's other losses (``boostobj bench --losses``), each through the same adapter.
LOSS_CONTENDERS = (
    Contender("6", "focal", "boostobj FocalLoss(gamma=2)"),
    Contender("7", "label_smoothing", "boostobj LabelSmoothingLoss(0.1)"),
    Contender("8", "make_loss_focal", "boostobj make_loss focal, derived"),
    Contender("9", "make_loss_rows", "boostobj make_loss CE rows, derived"),
    Contender("10", "grouped", "boostobj GroupedSoftmaxLoss, one group"),
    Contender("11", "choice", "boostobj ChoiceLoss, long format"),
    Contender("12", "multilabel", "boostobj MultiLabelLoss, one-hot"),
)
BY_KEY = {c.key: c for c in CONTENDERS + LOSS_CONTENDERS}


def _focal_of_q(q: Any) -> Any:
    return -((1.0 - q) ** 2) * np.log(q)


def _cross_entropy_row(f: Any, classes: Any, y: int) -> Any:
    """The softmax cross-entropy as a user's margins-form row function (complex-step safe)."""
    shift = np.max(np.real(f))
    return np.log(np.sum(np.exp(f - shift))) + shift - f[y]


def make_loss_of(key: str, n_classes: int = 2) -> Any:
    """The boostobj loss of contender ``key`` (3 and 6 to 12; ``n_classes`` for 10)."""
    from ..choice import ChoiceLoss
    from ..custom import make_loss
    from ..focal import FocalLoss
    from ..grouped import GroupedSoftmaxLoss
    from ..losses import SoftmaxLoss
    from ..multilabel import MultiLabelLoss
    from ..smoothing import LabelSmoothingLoss

    return {
        "boostobj": SoftmaxLoss,
        "focal": lambda: FocalLoss(gamma=2.0),
        "label_smoothing": lambda: LabelSmoothingLoss(0.1),
        "make_loss_focal": lambda: make_loss(_focal_of_q, of="label_probability", name="focal"),
        "make_loss_rows": lambda: make_loss(_cross_entropy_row, hessian_kind="exact", name="ce_rows"),
        "grouped": lambda: GroupedSoftmaxLoss([n_classes]),
        "choice": ChoiceLoss,
        "multilabel": MultiLabelLoss,
    }[key]()


def long_format(
    X: np.ndarray, y: np.ndarray | None, mask: Any
) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray]:
    """The workload in long format (contender 11): one row per valid (row, class) pair, its
    features plus the class as a feature; ``(X_long, chosen, rows, classes)``."""
    rows = mask._row_ids()
    classes = mask.indices.astype(np.int64)
    X_long = np.column_stack([X[rows], classes.astype(X.dtype)])
    chosen = None if y is None else (classes == y[rows]).astype(np.float64)
    return X_long, chosen, rows, classes


@dataclass(frozen=True)
class Settings:
    """Training parameters shared by every contender.

    ``threads`` serves the backend (``nthread`` / ``num_threads``); the caller sets
    boostobj's kernel threads.
    """

    rounds: int
    depth: int
    learning_rate: float
    threads: int


@dataclass
class Fit:
    """What one training run measured.

    Attributes
    ----------
    seconds : float
        Wall time of ``xgboost.train`` / ``lightgbm.train`` (data set construction excluded).
    rounds : int
        Boosting rounds actually trained.
    objective_seconds : float or None
        Time inside the objective callable; None for a built-in objective.
    objective_entries : int or None
        Margins per objective call (rows x margins per row); None for a built-in objective.
    peak_bytes : int or None
        See :class:`~boostobj._bench.measure.PeakMemory`.
    scores : Scores or None
        The model's predictions and metrics (when asked for).
    """

    seconds: float
    rounds: int
    objective_seconds: float | None
    peak_bytes: int | None
    scores: Scores | None
    objective_entries: int | None = None


@dataclass
class Scores:
    """Predictions of a trained model, 0 on invalid classes (renormalised for contender 1).

    Attributes
    ----------
    proba_test : ndarray of shape (n_test, K)
    proba_train : ndarray of shape (min(n, TRAIN_ROWS_SCORED), K)
        On the first training rows: models that make the same splits agree there to
        rounding, even where a split's threshold is a tie-break between equivalent
        thresholds (same training rows on each side), which test rows can reveal.
    log_loss, accuracy : float
        Masked log-loss and accuracy on the test set.
    """

    proba_test: np.ndarray
    proba_train: np.ndarray
    log_loss: float
    accuracy: float


def make_objective(key: str, backend: str, mask: Any) -> Any:
    """The objective callable of contender ``key`` for ``backend``; None for a built-in.

    ``mask`` is the training rows' ``ClassMask`` (bound by contenders 4 and 5; boostobj's
    objective reads it from the margins' -1e30 offset).
    """
    if key in ("builtin_unaware", "builtin_masked"):
        return None
    if key == "boostobj" or key in (c.key for c in LOSS_CONTENDERS):
        from .. import lgb, xgb

        loss = make_loss_of(key, mask.n_classes)
        return xgb.xgboost_objective(loss) if backend == "xgboost" else lgb.lightgbm_objective(loss)
    if key == "python_loop":
        return LoopObjective(mask, backend)
    if key == "numpy":
        return NumpyObjective(mask, backend)
    raise ValueError(f"key: expected one of {list(BY_KEY)}; got {key!r}")


def fit(key: str, backend: str, workload: Workload, settings: Settings, *, score: bool = True) -> Fit:
    """Train contender ``key`` on ``backend``; with ``score``, predict and score it too.

    Timed: the training call only. Contender 1's data carries no mask; the others' carry
    it as a -1e30 margin offset.
    """
    objective = make_objective(key, backend, workload.mask)
    timed = None if objective is None else TimedObjective(objective)
    train = _train_xgboost if backend == "xgboost" else _train_lightgbm
    booster, seconds, rounds, peak = train(key, workload, settings, timed)
    return Fit(
        seconds=seconds,
        rounds=rounds,
        objective_seconds=None if timed is None else timed.seconds,
        objective_entries=None if timed is None else timed.entries,
        peak_bytes=peak,
        scores=_score(key, backend, booster, workload, settings) if score else None,
    )


def _score(key: str, backend: str, booster: Any, workload: Workload, settings: Settings) -> Scores:
    train_rows = np.arange(min(workload.n_rows, TRAIN_ROWS_SCORED))
    train_mask = workload.mask.take(train_rows)
    margin_test = _margin(key, backend, booster, workload.X_test, workload.mask_test, settings.threads)
    margin_train = _margin(key, backend, booster, workload.X[train_rows], train_mask, settings.threads)
    proba_test = masked_softmax(margin_test, mask=workload.mask_test)
    return Scores(
        proba_test=proba_test,
        proba_train=masked_softmax(margin_train, mask=train_mask),
        log_loss=masked_log_loss(workload.y_test, margin_test, mask=workload.mask_test),
        accuracy=float(np.mean(proba_test.argmax(axis=1) == workload.y_test)),
    )


def _margin(key: str, backend: str, booster: Any, X: np.ndarray, mask: Any, threads: int) -> np.ndarray:
    """Margins of ``X``'s rows; their softmax over ``mask``'s valid classes is the prediction."""
    if key == "choice":  # one margin per valid (row, class): back to the wide layout
        X_long, _, rows, classes = long_format(X, None, mask)
        wide = np.full((X.shape[0], mask.n_classes), -1e30)
        wide[rows, classes] = predict_margin(booster, X_long)
        return wide
    if backend == "xgboost" and key == "builtin_unaware":
        import xgboost as xgb

        # trained without base_margin: predict from a plain DMatrix, keeping its learned
        # base_score (the softmax over valid classes then renormalises)
        return predict_margin(booster, xgb.DMatrix(X, nthread=threads))
    # the start margins (-1e30 offset) the booster was trained with, added back; for
    # LightGBM's contender 1 (trained without them) this is the renormalisation
    return predict_margin(booster, X, mask=mask)


def _timed_train(train: Any) -> tuple[Any, float, int | None]:
    import time

    with PeakMemory() as memory:
        start = time.perf_counter()
        booster = train()
        seconds = time.perf_counter() - start
    return booster, seconds, memory.peak_bytes


def _train_xgboost(
    key: str, workload: Workload, settings: Settings, objective: TimedObjective | None
) -> tuple[Any, float, int, int | None]:
    import xgboost as xgb

    from ..xgb import xgboost_dmatrix

    params: dict[str, Any] = {
        "num_class": workload.n_classes,
        "tree_method": "hist",
        "max_depth": settings.depth,
        "eta": settings.learning_rate,
        "nthread": settings.threads,
        "verbosity": 0,
    }
    if objective is None:
        params["objective"] = "multi:softprob"
    else:
        params["disable_default_eval_metric"] = 1
    if key == "builtin_unaware":
        dtrain = xgb.DMatrix(workload.X, label=workload.y, nthread=settings.threads)
    else:
        X, y, kwargs = _data_of(key, "xgboost", workload)
        if key == "choice":
            del params["num_class"]  # one margin per row
        dtrain = xgboost_dmatrix(X, y, nthread=settings.threads, **kwargs)
    booster, seconds, peak = _timed_train(lambda: xgb.train(params, dtrain, settings.rounds, obj=objective))
    return booster, seconds, booster.num_boosted_rounds(), peak


def _train_lightgbm(
    key: str, workload: Workload, settings: Settings, objective: TimedObjective | None
) -> tuple[Any, float, int, int | None]:
    import lightgbm as lgb

    from ..lgb import lightgbm_dataset

    quiet = {"verbose": -1, "num_threads": settings.threads}
    params: dict[str, Any] = {
        "num_class": workload.n_classes,
        "max_depth": settings.depth,
        "num_leaves": max(2, 2**settings.depth - 1),
        "learning_rate": settings.learning_rate,
        "objective": "multiclass" if objective is None else objective,
        **quiet,
    }
    if key == "builtin_unaware":
        dtrain = lgb.Dataset(workload.X, label=workload.y, params=quiet)
    else:
        X, y, kwargs = _data_of(key, "lightgbm", workload)
        if key == "choice":
            del params["num_class"]
        dtrain = lightgbm_dataset(X, y, params=quiet, **kwargs)
    dtrain.construct()
    booster, seconds, peak = _timed_train(lambda: lgb.train(params, dtrain, settings.rounds))
    return booster, seconds, booster.current_iteration(), peak


def _data_of(key: str, backend: str, workload: Workload) -> tuple[np.ndarray, Any, dict]:
    """``(X, y, keyword arguments)`` of the data set of contender ``key``: the workload as
    it is, with its labels in the form the contender's loss reads."""
    if key not in ("grouped", "choice", "multilabel"):
        return workload.X, workload.y, {"mask": workload.mask}
    loss = make_loss_of(key, workload.n_classes)
    if key == "grouped":
        return workload.X, workload.y[:, None], {"mask": workload.mask, "loss": loss}
    if key == "multilabel":
        onehot = np.eye(workload.n_classes, dtype=np.int64)[workload.y]
        return workload.X, onehot, {"mask": workload.mask, "loss": loss}
    X_long, chosen, rows, _ = long_format(workload.X, workload.y, workload.mask)
    groups = {"qid": rows} if backend == "xgboost" else {"group": workload.mask.n_valid}
    return X_long, chosen, {**groups, "loss": loss}
