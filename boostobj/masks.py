"""``ClassMask``: which classes are valid in each row, parsed and validated in one place.

Users hold masks as ragged lists of valid class indices, dense boolean ``(n, K)``
arrays, scipy sparse matrices, or margins carrying a ``-1e30`` offset. ``ClassMask``
turns each of them, once, into one canonical form (CSR: ``indptr``, ``indices``; each
row's classes sorted and unique, every row non-empty, every index in ``[0, K)``), and
everything downstream (losses, adapters, estimators) only ever sees a ``ClassMask``.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _maskgrammar as _grammar
from ._kernels.softmax import INVALID_BELOW, INVALID_OFFSET
from ._params import ParamsMixin

__all__ = ["ClassMask", "TransitionMask", "INVALID_OFFSET", "INVALID_BELOW"]


class ClassMask:
    """The valid classes of each of ``n_rows`` rows, out of ``n_classes``.

    Build one with a ``from_*`` constructor or :meth:`full`; the plain constructor takes
    CSR arrays and validates them. Instances are immutable and picklable.

    Parameters
    ----------
    indptr : array-like of int, shape (n_rows + 1,)
        Row ``i``'s valid classes are ``indices[indptr[i]:indptr[i + 1]]``.
    indices : array-like of int, shape (nnz,)
        Valid class indices, strictly increasing within each row.
    n_classes : int
        Number of classes ``K``; every index lies in ``[0, K)``.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_rows + 1,)
    indices : ndarray of int32, shape (nnz,)
    n_classes : int

    Examples
    --------
    >>> mask = ClassMask.from_lists([[0, 2], [1], [0, 1, 2]], n_classes=3)
    >>> len(mask), mask.n_classes
    (3, 3)
    >>> mask.to_dense().astype(int)
    array([[1, 0, 1],
           [0, 1, 0],
           [1, 1, 1]])
    """

    def __init__(self, indptr: Any, indices: Any, n_classes: int) -> None:
        n_classes = _check_n_classes(n_classes)
        indptr = _as_int_array(indptr, "indptr")
        indices = _as_int_array(indices, "indices")
        if indptr.ndim != 1 or indptr.size < 1 or indptr[0] != 0:
            raise ValueError(
                f"mask: indptr must be 1-D, start at 0 and have n_rows + 1 entries; "
                f"got shape {indptr.shape} starting at {indptr[:1].tolist()}"
            )
        if indices.ndim != 1:
            raise ValueError(f"mask: indices must be 1-D; got shape {indices.shape}")
        if indptr[-1] != indices.size:
            raise ValueError(
                f"mask: indptr[-1] must equal len(indices); got {int(indptr[-1])} and {indices.size}"
            )
        counts = np.diff(indptr)
        if (counts < 0).any():
            row = int(np.flatnonzero(counts < 0)[0])
            raise ValueError(f"mask: indptr must be non-decreasing; it decreases at row {row}")
        _check_rows_nonempty(counts)
        _check_index_range(indices, counts, n_classes)
        row_ids = np.repeat(np.arange(counts.size), counts)
        same_row = row_ids[1:] == row_ids[:-1]
        if (np.diff(indices)[same_row] <= 0).any():
            row = int(row_ids[1:][same_row & (np.diff(indices) <= 0)][0])
            raise ValueError(
                f"mask: the classes of each row must be strictly increasing; row {row} "
                f"has {indices[indptr[row] : indptr[row + 1]].tolist()} (use from_lists to "
                f"sort and de-duplicate)"
            )
        self._set(indptr, indices, n_classes)

    def _set(self, indptr: np.ndarray, indices: np.ndarray, n_classes: int) -> None:
        indptr = np.array(indptr, dtype=np.int64)  # own copies: frozen below, never shared
        indices = np.array(indices, dtype=np.int32)
        indptr.flags.writeable = False
        indices.flags.writeable = False
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "n_classes", int(n_classes))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ClassMask is immutable; cannot set {name!r}")

    @classmethod
    def _trusted(cls, indptr: np.ndarray, indices: np.ndarray, n_classes: int) -> ClassMask:
        """Wrap CSR arrays already known to be canonical (no checks)."""
        mask = cls.__new__(cls)
        mask._set(indptr, indices, n_classes)
        return mask

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[int]] | np.ndarray, n_classes: int) -> ClassMask:
        """From each row's valid class indices (ragged lists or arrays, or a 2-D int array).

        Indices within a row may come in any order; duplicates are dropped.

        Parameters
        ----------
        lists : sequence of sequences of int, or ndarray of int, shape (n_rows, m)
            ``lists[i]`` holds the valid classes of row ``i``.
        n_classes : int
            Number of classes ``K``.

        Raises
        ------
        TypeError
            If an index is not an integer or a row is not a sequence.
        ValueError
            If an index is negative or ``>= n_classes``, or a row is empty.
        """
        n_classes = _check_n_classes(n_classes)
        if isinstance(lists, np.ndarray) and lists.ndim != 2 and lists.dtype != object:
            raise TypeError(
                f"mask: expected per-row lists or a 2-D array of class indices; got an array of "
                f"shape {lists.shape}"
            )
        if isinstance(lists, np.ndarray) and lists.ndim == 2:
            flat = lists.ravel()
            counts = np.full(lists.shape[0], lists.shape[1], dtype=np.int64)
        else:
            if isinstance(lists, (str, bytes)) or not hasattr(lists, "__len__"):
                raise TypeError(
                    f"mask: expected a sequence of per-row class-index lists, got {type(lists).__name__}"
                )
            if hasattr(lists, "to_pylist") or type(lists).__module__.split(".")[0] == "polars":
                lists = lists.to_pylist() if hasattr(lists, "to_pylist") else lists.to_list()
            rows = [sorted(row) if isinstance(row, (set, frozenset)) else row for row in lists]
            counts = np.empty(len(rows), dtype=np.int64)
            for i, row in enumerate(rows):
                if (
                    isinstance(row, (str, bytes))
                    or not hasattr(row, "__len__")
                    or getattr(row, "ndim", 1) != 1
                    or (len(row) and hasattr(row[0], "__len__") and not isinstance(row[0], (str, bytes)))
                ):
                    raise TypeError(
                        f"mask: row {i} must be a flat sequence of class indices, got "
                        f"{type(row).__name__} {row!r}"
                    )
                counts[i] = len(row)
            flat = np.asarray(list(itertools.chain.from_iterable(rows)))
            if flat.size == 0:
                flat = flat.astype(np.int64)
        if flat.dtype.kind not in "iu":
            raise TypeError(
                f"mask: class indices must be integers, got dtype {flat.dtype} "
                f"(e.g. {flat.ravel()[:3].tolist()})"
            )
        return cls._from_flat(flat, counts, n_classes)

    @classmethod
    def _from_flat(cls, flat: np.ndarray, counts: np.ndarray, n_classes: int) -> ClassMask:
        """From integer indices ``flat`` in rows of ``counts`` (any order, duplicates allowed)."""
        _check_rows_nonempty(counts)
        _check_index_range(flat, counts, n_classes)
        flat = flat.astype(np.int64, copy=False)
        row_ids = np.repeat(np.arange(counts.size), counts)
        same_row = row_ids[1:] == row_ids[:-1]
        if not (np.diff(flat)[same_row] > 0).all():  # sort within rows, drop duplicates
            order = np.lexsort((flat, row_ids))
            flat, row_ids = flat[order], row_ids[order]
            keep = np.ones(flat.size, dtype=bool)
            keep[1:] = (flat[1:] != flat[:-1]) | (row_ids[1:] != row_ids[:-1])
            flat, row_ids = flat[keep], row_ids[keep]
            counts = np.bincount(row_ids, minlength=counts.size)
        return cls._trusted(_indptr(counts), flat, n_classes)

    @classmethod
    def from_dense(cls, dense: Any) -> ClassMask:
        """From a dense ``(n_rows, n_classes)`` array: True (or 1) marks a valid class.

        Raises
        ------
        TypeError
            If the array is not boolean or numeric.
        ValueError
            If it is not 2-D, holds values other than 0/1, or a row has no valid class.
        """
        frame = _grammar._frame_columns(dense)
        if frame is not None:  # a DataFrame's columns are the classes 0..K-1, matched by label
            dense = _grammar._read_frame(*frame, None, None).values
        dense = cls._check_dense(dense)
        _check_n_classes(dense.shape[1])
        counts = np.count_nonzero(dense, axis=1).astype(np.int64)
        _check_rows_nonempty(counts)
        _, cols = np.nonzero(dense)
        return cls._trusted(_indptr(counts), cols, dense.shape[1])

    @staticmethod
    def _check_dense(dense: Any) -> np.ndarray:
        """A dense 2-D boolean or 0/1 mask as a boolean array (errors for anything else)."""
        dense = np.asarray(dense)
        if dense.ndim != 2:
            raise ValueError(f"mask: a dense mask must be 2-D (n_rows, n_classes); got shape {dense.shape}")
        if dense.dtype != bool:
            if dense.dtype.kind not in "iuf":
                raise TypeError(f"mask: a dense mask must be boolean or 0/1; got dtype {dense.dtype}")
            bad = (dense != 0) & (dense != 1)
            if bad.any():
                row, col = np.argwhere(bad)[0]
                hint = (
                    "; for per-row class indices use ClassMask.from_lists(array, n_classes)"
                    if dense.dtype.kind in "iu"
                    else ""
                )
                raise ValueError(
                    f"mask: a dense mask must be boolean or 0/1; got {dense[row, col].item()!r} "
                    f"at row {row}, class {col}{hint}"
                )
            dense = dense == 1
        return dense

    @classmethod
    def from_csr(cls, matrix: Any) -> ClassMask:
        """From a scipy sparse ``(n_rows, n_classes)`` matrix or array.

        Stored entries that are True or positive (duplicates summed, as scipy does) are
        valid classes; explicit zeros are not; negative, NaN or infinite values are errors.
        """
        if not hasattr(matrix, "tocsr") or not hasattr(matrix, "shape"):
            raise TypeError(f"mask: expected a scipy sparse matrix, got {type(matrix).__name__}")
        csr = matrix.tocsr(copy=True)
        if len(csr.shape) != 2:
            raise ValueError(f"mask: a sparse mask must be 2-D; got shape {csr.shape}")
        csr.sum_duplicates()
        csr.eliminate_zeros()
        csr.sort_indices()
        if csr.dtype != bool:
            if csr.dtype.kind not in "iuf":
                raise TypeError(f"mask: a sparse mask must be boolean or numeric; got dtype {csr.dtype}")
            bad = ~np.isfinite(csr.data) | (csr.data < 0)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                row = int(np.searchsorted(csr.indptr, pos, side="right")) - 1
                raise ValueError(
                    f"mask: a sparse mask must hold True/positive values on valid classes; got "
                    f"{csr.data[pos].item()!r} at row {row}, class {int(csr.indices[pos])}"
                )
        counts = np.diff(csr.indptr).astype(np.int64)
        _check_n_classes(csr.shape[1])
        _check_rows_nonempty(counts)
        return cls._trusted(_indptr(counts), csr.indices, csr.shape[1])

    @classmethod
    def full(cls, n_rows: int, n_classes: int) -> ClassMask:
        """Every class valid in every row: the ordinary multiclass problem."""
        n_classes = _check_n_classes(n_classes)
        if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < 0:
            raise ValueError(f"mask: n_rows must be a non-negative integer; got {n_rows!r}")
        indices = np.tile(np.arange(n_classes, dtype=np.int32), int(n_rows))
        return cls._trusted(np.arange(0, (n_rows + 1) * n_classes, n_classes), indices, n_classes)

    @classmethod
    def from_margin(cls, raw: Any) -> ClassMask:
        """From margins carrying an offset: class ``j`` of row ``i`` is valid iff
        ``raw[i, j] > -1e29`` (see :meth:`margin_offset`; ``-inf`` is invalid too).

        Raises
        ------
        ValueError
            If ``raw`` is not 2-D, holds NaN or ``+inf``, or a row has no valid class.
        """
        raw = np.asarray(raw)
        if raw.dtype.kind not in "iuf":
            raise TypeError(f"raw_prediction: expected real numbers, got dtype {raw.dtype}")
        if raw.ndim != 2:
            raise ValueError(f"raw_prediction: expected 2-D (n_samples, n_classes); got shape {raw.shape}")
        bad = np.isnan(raw) | (raw == np.inf)
        if bad.any():
            row = int(np.argwhere(bad)[0, 0])
            raise ValueError(
                f"raw_prediction: row {row} has a NaN or +inf margin; margins must be finite, "
                f"or <= {INVALID_BELOW:g} to mark an invalid class (the offset is {INVALID_OFFSET:g})"
            )
        return cls.from_dense(raw > INVALID_BELOW)

    @classmethod
    def coerce(cls, mask: Any, n_classes: int | None = None, *, classes: Any = None) -> ClassMask:
        """Read a mask in any supported container, by one grammar (a ``ClassMask`` is returned as is).

        The kind of the values decides the reading, never the nesting:

        * a scipy sparse ``(n_rows, n_classes)`` matrix: True or positive entries are valid;
        * a DataFrame (pandas, polars, pyarrow ``Table``): one boolean (or 0/1) column per
          class, matched to the classes by column label, in any order;
        * booleans in any other container (NumPy, nested lists, lists of arrays, object
          arrays): a dense ``(n_rows, n_classes)`` mask;
        * integers: each row lists its valid classes (indices ``0..K-1``, or labels of
          ``classes``), ragged, in any order;
        * floats: a dense 0/1 mask (unless ``classes`` are floats: then labels);
        * strings and other values: labels of ``classes``.

        Errors, never a guess: booleans mixed with numbers, missing values, 1-D data, and
        integer rows that fit both readings (``K`` values per row, all 0 or 1).

        Parameters
        ----------
        mask : ClassMask or any container above
        n_classes : int, optional
            ``K``; needed for per-row class indices, checked for every other form.
        classes : array-like of shape (K,), optional
            Class labels (e.g. an estimator's ``classes_``): per-row values and DataFrame
            columns name these labels. Implies ``n_classes = len(classes)``.

        Examples
        --------
        >>> dense = ClassMask.coerce([[True, False, True], [False, True, False]])
        >>> dense == ClassMask.coerce([[0, 2], [1]], 3)
        True
        >>> ClassMask.coerce([["b"], ["a", "c"]], classes=["a", "b", "c"]).to_dense().astype(int)
        array([[0, 1, 0],
               [1, 0, 1]])
        """
        n_classes, labels = _classes_of(n_classes, classes)
        out = cls._read(mask, n_classes, labels)
        if n_classes is not None and out.n_classes != n_classes:
            named = "" if labels is None else f" (classes {labels.tolist()[:10]})"
            raise ValueError(f"mask: expected {n_classes} classes{named}, got a mask of {out.n_classes}")
        return out

    @classmethod
    def from_invalid(cls, invalid: Any, n_classes: int | None = None, *, classes: Any = None) -> ClassMask:
        """From each row's *invalid* classes (e.g. a transition model's ``invalid_transitions``).

        ``invalid`` is read by the grammar of :meth:`coerce` (per-row lists of class
        indices or labels, which may be empty; or a dense boolean array, True on invalid
        classes); every class not listed is valid.

        Raises
        ------
        ValueError
            If a row lists every class as invalid.

        Examples
        --------
        >>> ClassMask.from_invalid([[1], [], [0, 2]], 3).to_dense().astype(int)
        array([[1, 0, 1],
               [1, 1, 1],
               [0, 1, 0]])
        """
        n_classes, labels = _classes_of(n_classes, classes)
        if isinstance(invalid, ClassMask):
            if n_classes is not None and invalid.n_classes != n_classes:
                raise ValueError(f"mask: expected {n_classes} classes, got a mask of {invalid.n_classes}")
            return cls.from_dense(~invalid.to_dense())
        reading = _grammar.read(invalid, n_classes, labels)
        if isinstance(reading, _grammar.Sparse):
            invalid_dense = _dense_of_sparse(reading.matrix)
        elif isinstance(reading, _grammar.Dense):
            invalid_dense = cls._check_dense(reading.values)
        else:
            k = reading.n_classes
            _check_index_range(reading.indices, reading.counts, k)
            invalid_dense = np.zeros((reading.counts.size, k), dtype=bool)
            invalid_dense[np.repeat(np.arange(reading.counts.size), reading.counts), reading.indices] = True
        if n_classes is not None and invalid_dense.shape[1] != n_classes:
            raise ValueError(f"mask: expected {n_classes} classes, got a mask of {invalid_dense.shape[1]}")
        return cls.from_dense(~invalid_dense)

    @classmethod
    def _read(cls, mask: Any, n_classes: int | None = None, labels: np.ndarray | None = None) -> ClassMask:
        """:meth:`coerce` without its final check of K: ``n_classes`` only serves readings
        that need it (class indices), so a caller can report a mismatch in its own terms."""
        if isinstance(mask, ClassMask):
            return mask
        return cls._from_reading(_grammar.read(mask, n_classes, labels))

    @classmethod
    def _from_reading(cls, reading: Any) -> ClassMask:
        if isinstance(reading, _grammar.Sparse):
            return cls.from_csr(reading.matrix)
        if isinstance(reading, _grammar.Dense):
            return cls.from_dense(reading.values)
        return cls._from_flat(reading.indices, reading.counts, reading.n_classes)

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return self.indptr.size - 1

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rows, n_classes)``, as for the equivalent dense mask."""
        return (len(self), self.n_classes)

    def __getitem__(self, rows: Any) -> ClassMask:
        """``mask[rows]``: the same as :meth:`take` (rows only; also ``mask[rows, ...]``).

        This is what lets scikit-learn's cross-validation split a mask passed as
        routed metadata, row by row, like any other sample-aligned array.
        """
        if isinstance(rows, tuple):
            if len(rows) != 2 or rows[1] is not Ellipsis:
                raise IndexError("ClassMask: only rows can be selected, as mask[rows] or mask[rows, ...]")
            rows = rows[0]
        return self.take(rows)

    @property
    def n_valid(self) -> np.ndarray:
        """(n_rows,) int64: the number of valid classes in each row."""
        return np.diff(self.indptr)

    @property
    def is_full(self) -> bool:
        """Whether every class is valid in every row."""
        return self.indices.size == len(self) * self.n_classes

    def _row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(len(self)), self.n_valid)

    def to_dense(self) -> np.ndarray:
        """(n_rows, n_classes) bool array, True on valid classes."""
        dense = np.zeros((len(self), self.n_classes), dtype=bool)
        dense[self._row_ids(), self.indices] = True
        return dense

    def to_csr(self) -> Any:
        """A ``scipy.sparse.csr_array`` of shape (n_rows, n_classes) with True on valid classes."""
        from scipy import sparse

        data = np.ones(self.indices.size, dtype=bool)
        return sparse.csr_array(
            (data, self.indices.copy(), self.indptr.copy()), shape=(len(self), self.n_classes)
        )

    def margin_offset(self, dtype: Any = np.float32, order: str = "C") -> np.ndarray:
        """(n_rows, n_classes) array: 0 on valid classes, ``-1e30`` on invalid ones.

        Added to the margins (XGBoost ``base_margin``, LightGBM ``init_score``), the offset
        makes the backends' own softmax ignore invalid classes, and lets any objective or
        metric recover the mask as ``raw > -1e29``.
        """
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype: expected float32 or float64 (to hold -1e30); got {dtype}")
        offset = np.full((len(self), self.n_classes), INVALID_OFFSET, dtype=dtype, order=order)
        offset[self._row_ids(), self.indices] = 0
        return offset

    def take(self, rows: Any) -> ClassMask:
        """The mask of a subset of rows (integer indices, a boolean mask or a slice)."""
        rows = np.arange(len(self))[rows] if isinstance(rows, slice) else np.asarray(rows)
        if rows.size == 0:
            rows = rows.astype(np.int64)
        if rows.dtype == bool:
            if rows.shape != (len(self),):
                raise ValueError(f"rows: boolean selector must have shape ({len(self)},); got {rows.shape}")
            rows = np.flatnonzero(rows)
        if rows.dtype.kind not in "iu":
            raise TypeError(
                f"rows: expected integer indices, a boolean mask or a slice; got dtype {rows.dtype}"
            )
        rows = rows.ravel()
        if rows.size and (rows.min() < -len(self) or rows.max() >= len(self)):
            raise IndexError(f"rows: index out of range for a mask of {len(self)} rows")
        rows = np.where(rows < 0, rows + len(self), rows)
        counts = self.n_valid[rows]
        indptr = _indptr(counts)
        starts = np.repeat(self.indptr[:-1][rows] - indptr[:-1], counts)
        indices = self.indices[starts + np.arange(indptr[-1])]
        return ClassMask._trusted(indptr, indices, self.n_classes)

    def contains(self, y: Any) -> np.ndarray:
        """(n_rows,) bool: whether label ``y[i]`` is a valid class of row ``i``."""
        y = np.asarray(y)
        if y.shape != (len(self),):
            raise ValueError(f"y: expected shape ({len(self)},) to match the mask; got {y.shape}")
        if y.dtype.kind not in "iuf":
            raise TypeError(f"y: expected integer class indices, got dtype {y.dtype}")
        if y.dtype.kind == "f":
            bad = ~np.isfinite(y) | (y != np.round(y))
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(f"y: expected integer class indices; row {row} has {y[row].item()!r}")
        y = y.astype(np.int64)
        inside = (y >= 0) & (y < self.n_classes)
        keys = self._row_ids() * self.n_classes + self.indices  # ascending
        wanted = np.arange(len(self)) * self.n_classes + np.clip(y, 0, self.n_classes - 1)
        pos = np.minimum(np.searchsorted(keys, wanted), max(keys.size - 1, 0))
        return inside & (keys[pos] == wanted) if keys.size else np.zeros(len(self), dtype=bool)

    def check_rows(self, n_rows: int, what: str = "the data") -> None:
        """Raise ``ValueError`` unless the mask has ``n_rows`` rows."""
        if len(self) != n_rows:
            raise ValueError(f"mask: has {len(self)} rows but {what} has {n_rows}; they must match")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClassMask):
            return NotImplemented
        return (
            self.n_classes == other.n_classes
            and np.array_equal(self.indptr, other.indptr)
            and np.array_equal(self.indices, other.indices)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        mean = self.indices.size / len(self) if len(self) else 0.0
        return f"ClassMask(n_rows={len(self)}, n_classes={self.n_classes}, mean_valid={mean:.3g})"

    def __getstate__(self) -> dict:
        return {
            "indptr": np.array(self.indptr),
            "indices": np.array(self.indices),
            "n_classes": self.n_classes,
        }

    def __setstate__(self, state: dict) -> None:
        self._set(state["indptr"], state["indices"], state["n_classes"])


def _check_table_index(allowed: Any, states: Any) -> None:
    """Refuse a pandas ``allowed`` whose index does not say what its rows are read as: the
    rows are the states by position (``0..n_states-1``, or ``states`` in order), so an index
    that names them otherwise (e.g. the table's rows reordered) would pick other rows."""
    if not (hasattr(allowed, "iloc") and hasattr(allowed, "index")):
        return
    index = list(allowed.index)
    default = type(allowed.index).__name__ == "RangeIndex" and index == list(range(len(index)))
    if default or (states is None and index == list(range(len(index)))):
        return  # no labels, or labels that are the positions: the rows are the states in order
    if states is None:
        raise ValueError(
            f"allowed: its index ({index[:10]}) is not the states 0..{len(index) - 1} in order, and its "
            f"rows are read by position; pass states=list(allowed.index) to name the states by the index, "
            f"or reset_index(drop=True)"
        )
    if list(np.asarray(states, dtype=object).reshape(-1)) != index:
        raise ValueError(
            f"allowed: its index ({index[:10]}) differs from states ({list(states)[:10]}); its rows are "
            f"read by position, as the states in order: align them (e.g. allowed.loc[states])"
        )


class TransitionMask(ParamsMixin):
    """A mask rule: the valid classes of a row are the allowed next states of its state.

    ``TransitionMask(column, allowed)(X)`` reads each row's current state from column
    ``column`` of ``X`` and returns the rows of ``allowed`` they pick, as a ``ClassMask``.
    Given as an estimator's ``mask_from=``, the mask then needs no routing at all, so
    scorers, ``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` work unchanged.

    Parameters
    ----------
    column : int or str
        Position of the state column (or its name, for a pandas or polars DataFrame ``X``).
    allowed : mask-like, one row per state
        ``allowed[s]`` is the set of classes that may follow state ``s``, read by
        :meth:`ClassMask.coerce`: a boolean ``(n_states, n_classes)`` table (True when
        class ``j``, in the estimator's ``classes_`` order, may follow), a ``ClassMask``, a
        sparse matrix, or per-state lists of class indices (which need ``n_classes``).
        Its rows are read by position; a pandas table's index must therefore be
        ``0..n_states-1`` in order, or equal ``states``.
    n_classes : int, optional
        Number of classes, for ``allowed`` given as per-state lists of class indices.
    states : sequence, optional
        The state labels, in the order of the rows of ``allowed`` (strings, categories,
        any values). Default: the states are the integers ``0 <= s < n_states``.

    Examples
    --------
    >>> import numpy as np
    >>> rule = TransitionMask(0, np.array([[True, True, False], [False, True, True]]))
    >>> rule(np.array([[1.0, 5.2], [0.0, 1.1]])).to_dense().astype(int)
    array([[0, 1, 1],
           [1, 1, 0]])
    >>> import pandas as pd
    >>> rule = TransitionMask("state", [[0, 1], [1, 2]], n_classes=3, states=["idle", "busy"])
    >>> rule(pd.DataFrame({"state": ["busy", "idle"]})).to_dense().astype(int)
    array([[0, 1, 1],
           [1, 1, 0]])
    """

    def __init__(
        self, column: int | str, allowed: Any, n_classes: int | None = None, states: Any = None
    ) -> None:
        if not isinstance(column, (int, np.integer, str)) or isinstance(column, bool):
            raise TypeError(f"column: expected a column position or name; got {column!r}")
        self.column = column
        self.allowed = allowed
        try:
            self._table = ClassMask.coerce(allowed, n_classes)
        except (TypeError, ValueError) as error:
            text = str(error)
            raise type(error)(f"allowed: {text[6:]}" if text.startswith("mask: ") else text) from None
        #: Number of classes of the masks this rule makes.
        self.n_classes = self._table.n_classes if n_classes is None else n_classes
        self.states = states
        self._states = None
        _check_table_index(allowed, states)
        if states is not None:
            labels = np.asarray(states, dtype=object)
            if (
                labels.ndim != 1
                or len(set(labels.tolist())) != labels.size
                or labels.size != len(self._table)
            ):
                raise ValueError(
                    f"states: expected {len(self._table)} distinct labels, one per row of allowed; "
                    f"got {states!r}"
                )
            self._states = {label: i for i, label in enumerate(labels.tolist())}

    def __call__(self, X: Any) -> ClassMask:
        """The mask of the rows of ``X``: ``allowed[state of each row]``."""
        values = self._state_column(X)
        if self._states is not None:
            positions = np.empty(values.size, dtype=np.int64)
            for row, value in enumerate(values.tolist()):
                at = self._states.get(value)
                if at is None:
                    raise ValueError(
                        f"X: row {row} has state {value!r} in column {self.column!r}, which is not one of "
                        f"states ({list(self._states)[:10]})"
                    )
                positions[row] = at
            return self._table.take(positions)
        n_states = len(self._table)
        if values.dtype.kind not in "iuf":
            raise TypeError(
                f"X: the state column {self.column!r} must hold integer states (or give states=[...] to "
                f"name them); got dtype {values.dtype}"
            )
        bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0) | (values >= n_states)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"X: row {row} has state {values[row].item()!r} in column {self.column!r}; expected an "
                f"integer 0 <= state < {n_states} (the rows of allowed)"
            )
        return self._table.take(values.astype(np.int64))

    def _state_column(self, X: Any) -> np.ndarray:
        """The state column of ``X`` as a 1-D array (categorical columns as their values)."""
        if isinstance(self.column, str):
            if not hasattr(X, "columns"):
                raise TypeError(
                    f"column: a column name ({self.column!r}) needs a DataFrame X; got {type(X).__name__}"
                )
            if self.column not in list(X.columns):
                raise ValueError(f"column: X has no column {self.column!r}")
            column = X[self.column]
        elif hasattr(X, "iloc"):
            column = X.iloc[:, self._position(X.shape[1])]
        elif type(X).__module__.split(".")[0] == "polars":
            column = X.to_series(self._position(X.width))
        elif hasattr(X, "tocsc"):
            column = X.tocsc()[:, [self._position(X.shape[1])]].toarray()
        else:
            X = np.asarray(X) if not isinstance(X, np.ndarray) else X
            if X.ndim != 2:
                raise ValueError(f"X: expected a 2-D feature matrix; got shape {X.shape}")
            column = X[:, self._position(X.shape[1])]
        if hasattr(column, "isna") and bool(np.asarray(column.isna()).any()):
            row = int(np.flatnonzero(np.asarray(column.isna()))[0])
            raise ValueError(f"X: row {row} has no state (a missing value) in column {self.column!r}")
        values = np.asarray(column.to_numpy() if hasattr(column, "to_numpy") else column).reshape(-1)
        return values

    def _position(self, n_columns: int) -> int:
        if not -n_columns <= int(self.column) < n_columns:
            raise ValueError(f"column: {self.column} is out of range for X with {n_columns} columns")
        return int(self.column)


def _classes_of(n_classes: Any, classes: Any) -> tuple[int | None, np.ndarray | None]:
    """``(K, labels)`` from ``n_classes`` and/or ``classes`` (checked to agree)."""
    if classes is None:
        return (None if n_classes is None else _check_n_classes(n_classes)), None
    labels = np.asarray(classes)
    try:
        distinct = len(np.unique(labels)) == labels.size
    except TypeError:  # labels of types that do not compare (e.g. 1 and "a")
        raise TypeError(f"classes: expected labels of one comparable type; got {classes!r}") from None
    if labels.ndim != 1 or labels.size == 0 or not distinct:
        raise ValueError(f"classes: expected a 1-D array of distinct labels; got {classes!r}")
    if n_classes is not None and _check_n_classes(n_classes) != labels.size:
        raise ValueError(f"n_classes: {n_classes} disagrees with the {labels.size} classes given")
    return labels.size, labels


def _dense_of_sparse(matrix: Any) -> np.ndarray:
    return ClassMask._check_dense(np.asarray(matrix.toarray()))


def _indptr(counts: np.ndarray) -> np.ndarray:
    indptr = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


def _check_n_classes(n_classes: Any) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"mask: n_classes must be an integer; got {type(n_classes).__name__}")
    if n_classes < 1:
        raise ValueError(f"mask: n_classes must be >= 1; got {n_classes}")
    return int(n_classes)


def _as_int_array(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"mask: {name} must hold integers; got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _check_rows_nonempty(counts: np.ndarray) -> None:
    if (counts == 0).any():
        row = int(np.flatnonzero(counts == 0)[0])
        raise ValueError(f"mask: row {row} has no valid class; every row needs at least one")


def _check_index_range(flat: np.ndarray, counts: np.ndarray, n_classes: int) -> None:
    bad = (flat < 0) | (flat >= n_classes)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(np.cumsum(counts), pos, side="right"))
        raise ValueError(
            f"mask: class index {int(flat[pos])} in row {row} is out of range; expected "
            f"0 <= index < n_classes={n_classes}"
        )
