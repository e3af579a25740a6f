"""What a boostobj data set remembers beside its start margins, and the check that uses it.

``xgboost_dmatrix`` and ``lightgbm_dataset`` put the mask's ``-1e30`` offset plus the
intercept into the data set's start margins (``base_margin`` / ``init_score``), where it
travels with the rows. The start margins can still be lost on the way:

* ``lightgbm.train(..., init_model=booster)`` replaces ``init_score`` with the booster's
  raw predictions (no offset, no intercept) on the training and validation sets, and a
  later ``lightgbm.train`` without ``init_model`` on the same Dataset resets it to 0;
* a user can call ``set_base_margin`` / ``set_init_score`` on the data set.

So each data set boostobj builds also carries a :class:`StartRecord` (a Python attribute,
which survives both backends' continuation): the mask and the intercept it was built
with. The objective and metric callables ask :func:`margins_of` for the margins to use:

* start margins intact (the offset where the mask says, valid margins in range): the
  backend's margins, unchanged (the normal case; checked once per change of the start
  margins, not every round);
* LightGBM continuation (``init_score`` is the init model's raw score) or LightGBM's reset
  to 0: the backend's margins plus the recorded start margins, which are exactly the
  margins of one straight run;
* anything else: a ``ValueError`` naming the cause.

XGBoost keeps ``base_margin`` through ``xgb_model=`` continuation; its setters on a data
set boostobj built are wrapped to count changes, so that a replaced ``base_margin`` is
checked before the next round uses it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .masks import INVALID_BELOW, ClassMask

#: Attribute holding the record on an xgboost.DMatrix / lightgbm.Dataset.
ATTRIBUTE = "_boostobj_start"
#: Largest |margin| a start margin (intercept, base_margin, init_score) may have on a valid
#: class: far from the -1e30 offset, and small enough that float32 (XGBoost's margins) still
#: resolves the trees' updates to ~6e-5 (at 1e6 a uniform intercept moved probabilities by
#: 0.11). Log-odds never need more; larger values are errors, never a silent change.
START_LIMIT = 1e3
#: Rows of the margins compared with the mask at every call (a fixed, evenly spread sample).
SAMPLE_ROWS = 256
_XGB_SETTERS = ("set_base_margin", "set_float_info", "set_float_info_npy2d")


class StartRecord:
    """The mask and intercept a data set was built with.

    Parameters
    ----------
    mask : ClassMask or None
    intercept : ndarray of shape (K,) or (1,), or None
    n_rows : int
    width : int
        Margins per row (K, or 1 for a one-margin model).
    """

    def __init__(self, mask: ClassMask | None, intercept: np.ndarray | None, n_rows: int, width: int) -> None:
        self.mask = mask
        self.intercept = intercept
        self.n_rows = n_rows
        self.width = width
        self.version = 0  # bumped by the data set's wrapped setters (XGBoost)
        self._checked: Any = None  # the start margins' state when last checked
        self._restore = False  # LightGBM: whether the backend's margins lack the start margins
        self._start: np.ndarray | None = None
        self._sample: tuple[np.ndarray, np.ndarray] | None = None

    def start(self) -> np.ndarray:
        """The recorded start margins, float64, shape (n_rows, width), F order (cached)."""
        if self._start is None:
            if self.mask is None:
                start = np.empty((self.n_rows, self.width), order="F")
                start[:] = self.intercept
            else:
                start = self.mask.margin_offset(dtype=np.float64, order="F")
                if self.intercept is not None:
                    start += self.intercept
            self._start = start
        return self._start

    def sample_agrees(self, raw: np.ndarray, probabilities: bool) -> bool:
        """Whether a fixed sample of at most ``SAMPLE_ROWS`` rows of ``raw`` shows the mask:
        margins above ``-1e29`` exactly on valid classes, or probabilities exactly 0 on
        invalid ones."""
        if self.mask is None or raw.ndim != 2:
            return True
        if self._sample is None:
            rows = np.unique(np.linspace(0, self.n_rows - 1, min(SAMPLE_ROWS, self.n_rows)).astype(np.int64))
            self._sample = (rows, self.mask.take(rows).to_dense())
        rows, valid = self._sample
        seen = raw[rows]
        if probabilities:
            return bool((seen[~valid] == 0).all())
        return bool(np.array_equal(seen > INVALID_BELOW, valid))

    def take(self, rows: Any) -> StartRecord:
        """The record of a subset of rows (a LightGBM ``Dataset.subset``, e.g. ``lightgbm.cv``)."""
        rows = np.asarray(rows, dtype=np.int64)
        mask = None if self.mask is None else self.mask.take(rows)
        return StartRecord(mask, self.intercept, rows.size, self.width)


def attach(data: Any, mask: ClassMask | None, intercept: np.ndarray | None, n_rows: int) -> Any:
    """Attach a record to a data set built with a mask and/or an intercept; returns ``data``."""
    if mask is None and intercept is None:
        return data
    width = mask.n_classes if mask is not None else int(intercept.size)
    record = StartRecord(mask, intercept, n_rows, width)
    setattr(data, ATTRIBUTE, record)
    for name in _XGB_SETTERS:
        setter = getattr(data, name, None)
        if setter is not None:
            setattr(data, name, _counting(setter, record))
    return data


def _counting(setter: Any, record: StartRecord) -> Any:
    @functools.wraps(setter)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        record.version += 1
        return setter(*args, **kwargs)

    return wrapped


def record_of(data: Any) -> StartRecord | None:
    """The record of a boostobj data set, of a LightGBM subset of one (at any depth), or None."""
    record = getattr(data, ATTRIBUTE, None)
    if record is not None or data is None:
        return record
    parent = getattr(data, "reference", None)
    rows = getattr(data, "used_indices", None)
    if rows is None or parent is None:
        return None
    parent_record = record_of(parent)
    if parent_record is None:
        return None
    record = parent_record.take(rows)
    setattr(data, ATTRIBUTE, record)
    return record


def margins_of(raw: np.ndarray, data: Any, backend: str, *, probabilities: bool = False) -> np.ndarray:
    """The margins an objective or metric must use for ``raw`` from data set ``data``.

    Parameters
    ----------
    raw : ndarray of shape (n, K) or (n,)
        What the backend passed: margins, or probabilities (``probabilities=True``, a
        built-in objective's predictions given to a metric).
    data : xgboost.DMatrix, lightgbm.Dataset or None
    backend : {"xgboost", "lightgbm"}

    Returns
    -------
    ``raw`` itself, or, after a LightGBM continuation or reset, ``raw`` plus the recorded
    start margins. Raises ``ValueError`` when the start margins were replaced by something
    else, or lost under a built-in objective (whose probabilities cannot be mended).

    The start margins are read back from the backend (an O(n K) copy) only when the data
    set's Python state changed (``set_init_score``, an init model, XGBoost's setters) or
    when a fixed sample of rows shows ``raw`` without the mask (``Dataset.set_field``, or
    any other way around the Python state); otherwise a call costs O(K) per sampled row.
    """
    record = record_of(data)
    if record is None or raw.shape[0] != record.n_rows:
        return raw
    state = (
        (getattr(data, "init_score", None), getattr(data, "_predictor", None))
        if backend == "lightgbm"
        else (record.version,)
    )
    if record._checked is None or not all(
        a is b or (type(a) is int and a == b) for a, b in zip(state, record._checked, strict=True)
    ):
        record._restore = _restores(data, backend, record)
        record._checked = state
    elif not record._restore and not record.sample_agrees(raw, probabilities):
        record._restore = _restores(data, backend, record)  # the backend's own copy decides
        if not record._restore:
            raise ValueError(
                f"predt: the margins {backend} passed do not carry the data set's mask although its "
                f"start margins do; were they computed from another data set?"
            )
    if not record._restore:
        return raw
    if probabilities:
        raise ValueError(
            "init_score: LightGBM replaced the data set's init_score, which carried the mask and "
            "intercept (init_model continuation does this); with a built-in objective the "
            "probabilities cannot be mended: continue training with boostobj's objective "
            "(lightgbm_objective()), which restores them exactly"
        )
    return raw + record.start().reshape(raw.shape, order="F")


def check_carried(data: Any, backend: str) -> None:
    """Raise unless a data set boostobj built still carries, in its start margins, the mask
    and intercept it was built with (for predicting from it); nothing for other data sets."""
    record = record_of(data)
    if record is not None and backend == "xgboost":
        _restores(data, backend, record)


def _restores(data: Any, backend: str, record: StartRecord) -> bool:
    """Whether the backend's margins need the recorded start margins added back (LightGBM's
    continuation or reset); False when its start margins carry them; else a ``ValueError``."""
    if backend == "xgboost":
        start = data.get_base_margin()
        if start is None or np.size(start) != record.n_rows * record.width:
            raise _replaced_error("base_margin", "xgboost_dmatrix", "it was removed")
        start = np.asarray(start, dtype=np.float64).reshape(record.n_rows, record.width)
        check_start(start, record, "base_margin")
        return False
    if getattr(data, "_predictor", None) is not None:
        return True  # continuation: init_score is the init model's raw score
    constructed = getattr(data, "_handle", None) is not None
    current = data.get_field("init_score") if constructed else data.get_init_score()
    if current is None:
        raise _replaced_error("init_score", "lightgbm_dataset", "it was removed")
    current = np.asarray(current, dtype=np.float64)
    if current.size and not current.any():
        return True  # LightGBM's reset to 0 after an earlier init_model continuation
    if current.size != record.n_rows * record.width:
        raise _replaced_error("init_score", "lightgbm_dataset", f"it has {current.size} values")
    check_start(current.reshape(record.n_rows, record.width, order="F"), record, "init_score")
    return False


def check_start(start: np.ndarray, record: StartRecord, name: str) -> None:
    """Raise unless start margins (n, width) carry the record's mask and stay in range."""
    if record.mask is not None:
        valid = start > INVALID_BELOW
        expected = record.mask.to_dense()
        if not np.array_equal(valid, expected):
            row, col = np.argwhere(valid != expected)[0]
            was = "valid" if expected[row, col] else "invalid"
            raise _replaced_error(
                name,
                "lightgbm_dataset" if name == "init_score" else "xgboost_dmatrix",
                f"class {col} of row {row} was {was} in the mask but the margin there is {start[row, col]:g}",
            )
    else:
        valid = np.ones(start.shape, dtype=bool)
    big = valid & ~(np.abs(start) <= START_LIMIT)
    if big.any():
        row, col = np.argwhere(big)[0]
        raise ValueError(
            f"{name}: the start margin of row {row}, class {col} is {start[row, col]:g}; start margins "
            f"of valid classes must be finite with |margin| <= {START_LIMIT:g}"
        )


def _replaced_error(name: str, builder: str, detail: str) -> ValueError:
    return ValueError(
        f"{name}: the data set no longer carries the mask and intercept it was built with ({detail}); "
        f"was its {name} replaced? Build a new one with {builder}(..., mask=..., init_score=...)"
    )
