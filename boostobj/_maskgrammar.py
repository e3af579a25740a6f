"""The mask grammar: how :meth:`ClassMask.coerce` reads a mask from any container.

One reading per input, decided by what the values *are*, never by how they are nested:

1. A ``ClassMask`` is taken as is.
2. A scipy sparse ``(n_rows, n_classes)`` matrix or array: stored True or positive
   entries are the valid classes.
3. A DataFrame (pandas, polars, a pyarrow ``Table``): one column per class, matched to
   the classes by column label (any order); boolean values, or 0/1 numbers. Missing or
   unknown class columns and missing values are errors.
4. Anything else (NumPy arrays of any dtype, nested lists or tuples, lists of arrays or
   of sets, object arrays, pandas/polars Series of lists, pyarrow list arrays) is read
   row by row, and the kind of its values decides:

   * booleans: a dense mask, one column per class (rows of equal length);
   * integers: each row lists its valid classes, as class indices ``0 <= j < K``, or as
     class labels when the caller knows the labels (an estimator's ``classes_``); rows
     may be ragged, repeat a class, or come in any order;
   * floats: a dense 0/1 mask (floats never name classes), unless the class labels
     themselves are floats;
   * other values (strings, ...): class labels, when the labels are known.

   Booleans mixed with other values, missing values (None, NaN, ``pd.NA``) and 1-D data
   (one value per row) are errors. Integer data that fits both readings (rows of equal
   length ``K`` holding only 0 and 1, where 0 and 1 are classes) is an error that says
   how to choose: booleans for a dense mask, :meth:`ClassMask.from_lists` for indices.

The functions here only read containers; ``ClassMask`` validates and canonicalises.
Rows are read by position, never by an index label: :func:`check_aligned` is the check,
for every function that takes features and a mask together, that a pandas mask lists the
same rows as pandas features.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Python types of missing values in containers (pandas' NA and NaT by name: pandas is optional).
_MISSING_TYPES = ("NoneType", "NAType", "NaTType")

_HOW_TO_CHOOSE = (
    "pass booleans (e.g. mask.astype(bool)) for a dense mask, or ClassMask.from_lists(mask, n_classes) "
    "for per-row class indices"
)


@dataclass
class Dense:
    """A dense boolean or numeric ``(n_rows, n_classes)`` array, columns in class order."""

    values: np.ndarray


@dataclass
class Lists:
    """Per-row class indices: row ``i`` holds ``indices[start_i : start_i + counts[i]]``."""

    indices: np.ndarray  # (nnz,) int64, unchecked range, may repeat
    counts: np.ndarray  # (n_rows,) int64
    n_classes: int


@dataclass
class Sparse:
    """A scipy sparse matrix, for ``ClassMask.from_csr``."""

    matrix: Any


def read(mask: Any, n_classes: int | None, classes: np.ndarray | None) -> Dense | Lists | Sparse:
    """Read ``mask`` by the grammar (module docstring).

    Parameters
    ----------
    mask : any supported container (not a ``ClassMask``)
    n_classes : int or None
        ``K`` when known; ``len(classes)`` when ``classes`` is given.
    classes : ndarray of shape (K,), or None
        Class labels: per-row values are then labels, encoded to their positions.
    """
    if hasattr(mask, "tocsr") and hasattr(mask, "shape"):
        return Sparse(mask)
    if (
        isinstance(mask, (str, bytes, Mapping))
        or not (hasattr(mask, "__len__") or hasattr(mask, "__array__") or hasattr(mask, "to_pylist"))
        or isinstance(mask, np.generic)
        or getattr(mask, "ndim", None) == 0
    ):
        raise TypeError(
            f"mask: expected a ClassMask, a dense boolean array, a scipy sparse matrix, a DataFrame with "
            f"one column per class, or per-row lists of classes; got {type(mask).__name__}"
        )
    if isinstance(mask, np.ma.MaskedArray):
        if np.ma.getmaskarray(mask).any():
            raise ValueError("mask: a masked array with masked (missing) entries; a mask cannot have gaps")
        mask = mask.filled()
    frame = _frame_columns(mask)
    if frame is not None:
        return _read_frame(*frame, n_classes, classes)
    if isinstance(mask, np.ndarray) and mask.dtype != object:
        if mask.ndim != 2:
            raise _not_rows_error(mask.shape)
        return _read_values(
            mask, mask.dtype, [mask.shape[1]] * mask.shape[0], n_classes, classes, mask.shape[1]
        )
    rows = _rows_of(mask)
    return _read_rows(rows, n_classes, classes)


# ---------------------------------------------------------------------- alignment
def check_aligned(X: Any, mask: Any, name: str) -> None:
    """Raise a ``ValueError`` when ``X`` and ``mask`` both have an index and they differ.

    Masks are matched to rows by position (the grammar never reads an index), so a pandas
    mask indexed unlike pandas features (shuffled, or sliced from another frame) would give
    each row another row's classes. Only two indexed containers are compared (pandas, or
    any ``index`` with an ``equals`` method); NumPy arrays, lists, polars and Arrow data, a
    DMatrix or a ``ClassMask`` have no index, and pass.

    Parameters
    ----------
    X : features (array-like, DataFrame, DMatrix, ...)
    mask : mask-like
    name : str
        The mask's argument, for the message (``"mask"``, ``"valid_mask"``, ...).
    """
    x_index, mask_index = _index_of(X), _index_of(mask)
    if x_index is None or mask_index is None or x_index.equals(mask_index):
        return
    if len(x_index) == len(mask_index) and np.array_equal(  # the same labels in other dtypes
        np.asarray(x_index, dtype=object), np.asarray(mask_index, dtype=object)
    ):
        return
    raise ValueError(
        f"{name}: its index differs from X's; masks are matched to rows by position, so align "
        f"them first (e.g. mask.loc[X.index]) or pass plain arrays"
    )


def _index_of(data: Any) -> Any:
    """A pandas-like row index of ``data``, or None (``list.index`` is a method, not an index)."""
    index = getattr(data, "index", None)
    return index if hasattr(index, "equals") else None


# ---------------------------------------------------------------------- rows
def _rows_of(mask: Any) -> list:
    """The rows of a row container (list, tuple, object array, Series, Arrow array)."""
    module = type(mask).__module__.split(".")[0]
    if module in ("polars", "pyarrow") and hasattr(mask, "to_list" if module == "polars" else "to_pylist"):
        return mask.to_list() if module == "polars" else mask.to_pylist()
    if module == "pandas" and hasattr(mask, "to_numpy"):
        values = mask.to_numpy()
        if values.dtype != object:
            raise _not_rows_error(values.shape)
        return list(values)
    if isinstance(mask, np.ndarray):  # object dtype
        if mask.ndim not in (1, 2):
            raise ValueError(f"mask: expected 2-D data or per-row lists; got an array of shape {mask.shape}")
        return list(mask)
    return list(mask)


def _read_rows(rows: list, n_classes: int | None, classes: np.ndarray | None) -> Dense | Lists:
    if not rows:
        return _read_values(np.zeros(0, dtype=np.int64), np.dtype(np.int64), [], n_classes, classes)
    arrays = all(isinstance(row, np.ndarray) and row.ndim == 1 and row.dtype != object for row in rows)
    kinds = {row.dtype.kind for row in rows if row.size} if arrays else set()
    if kinds == {"b"} or (kinds and kinds <= set("iuf")):  # a list of 1-D numeric arrays: no Python loop
        if kinds <= set("iu"):
            big = [
                row
                for row in rows
                if row.dtype.kind == "u" and row.size and row.max() > np.iinfo(np.int64).max
            ]
            if big:
                raise ValueError(f"mask: class index {int(big[0].max())} is out of range")
            flat = np.concatenate([row.astype(np.int64) for row in rows])
        else:
            flat = np.concatenate([row for row in rows if row.size] or [np.zeros(0, bool)])
        return _read_values(flat, flat.dtype, [row.size for row in rows], n_classes, classes)
    lengths = []
    scalars = 0
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes, Mapping)) or not hasattr(row, "__iter__"):
            scalars += 1
            if scalars != i + 1:
                raise TypeError(
                    f"mask: row {i} must be a sequence of classes or booleans; got {type(row).__name__} "
                    f"{row!r}"
                )
            continue
        if scalars:
            break
        if isinstance(row, np.ndarray) and row.ndim != 1:
            raise ValueError(
                f"mask: row {i} must be a flat sequence of classes or booleans; got an array of shape "
                f"{row.shape}"
            )
        lengths.append(len(row) if hasattr(row, "__len__") else None)
    if scalars:
        if scalars == len(rows):
            raise _not_rows_error((len(rows),))
        raise TypeError(
            f"mask: row {scalars} must be a scalar like rows 0..{scalars - 1}, or every row a sequence; "
            f"got {type(rows[scalars]).__name__}"
        )
    rows = [list(row) if length is None else row for row, length in zip(rows, lengths, strict=True)]
    lengths = [len(row) for row in rows]
    flat = list(itertools.chain.from_iterable(rows))
    for pos, value in enumerate(flat):  # nested sequences: a row of rows
        if isinstance(value, (list, tuple, set, np.ndarray)):
            raise TypeError(
                f"mask: row {_row_of(pos, lengths)} must be a flat sequence of classes or booleans; it "
                f"holds {type(value).__name__} {value!r}"
            )
    kind = _kind_of_values(flat, lengths)
    if kind == "b":
        values = np.array(flat, dtype=bool)
    elif kind == "O":
        values = np.empty(len(flat), dtype=object)
        values[:] = flat
    else:
        values = np.asarray(flat) if flat else np.zeros(0, dtype=np.int64)  # no values: no float guess
    return _read_values(values, values.dtype, lengths, n_classes, classes)


def _row_of(pos: int, lengths: Any) -> int:
    """The row of flat position ``pos`` in rows of ``lengths``."""
    return int(np.searchsorted(np.cumsum(lengths), pos, side="right"))


def _kind_of_values(flat: list, lengths: list[int]) -> str:
    """The kind of per-row Python values: 'b', 'i', 'f', 'U' or 'O'; errors for mixes and missing."""
    types = set(map(type, flat))
    kinds = set()
    for t in types:
        if t.__name__ in _MISSING_TYPES:
            raise _missing_error(flat, lengths, lambda v, t=t: type(v) is t)
        if issubclass(t, (bool, np.bool_)):
            kinds.add("b")
        elif issubclass(t, (int, np.integer)):
            kinds.add("i")
        elif issubclass(t, (float, np.floating)):
            kinds.add("f")
        elif issubclass(t, (str, np.str_)):
            kinds.add("U")
        else:
            kinds.add("O")
    if "b" in kinds and len(kinds) > 1:
        raise _mixed_error()
    if "f" in kinds:
        nan = [v != v for v in flat if isinstance(v, (float, np.floating))]
        if any(nan):
            raise _missing_error(flat, lengths, lambda v: isinstance(v, (float, np.floating)) and v != v)
    if not kinds:
        return "i"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"i", "f"}:
        return "f"
    return "O"


# ---------------------------------------------------------------------- values
def _read_values(
    flat: np.ndarray,
    dtype: np.dtype,
    lengths: list[int],
    n_classes: int | None,
    classes: np.ndarray | None,
    width: int | None = None,
) -> Dense | Lists:
    """Decide the reading of values ``flat`` (2-D or flat) in rows of ``lengths``
    (``width``: the column count of a 2-D array, known even without rows)."""
    n_rows = len(lengths)
    rectangular = n_rows > 0 and min(lengths) == max(lengths)
    width = lengths[0] if rectangular else width
    kind = dtype.kind
    if kind == "b" or (kind == "f" and (classes is None or classes.dtype.kind != "f")):
        if not rectangular and n_rows:
            what = "booleans make" if kind == "b" else "floats make (they never name classes; use integers)"
            raise ValueError(
                f"mask: {what} a dense mask, one column per class, so its rows must have equal "
                f"lengths; got lengths {sorted(set(lengths))[:5]}"
            )
        if kind == "f" and np.isnan(flat).any():
            raise _missing_error(np.ravel(flat).tolist(), lengths, lambda v: v != v)
        if width is None and n_classes is None:
            raise ValueError("mask: a dense mask with no rows needs n_classes (it has no columns to count)")
        return Dense(np.reshape(flat, (n_rows, n_classes if width is None else width)))
    flat = np.ravel(flat)
    if kind not in "iu" and classes is None:
        raise TypeError(
            f"mask: expected booleans (a dense mask) or integer class indices; got values of dtype "
            f"{dtype} (e.g. {flat[:3].tolist()}); class labels are read only where the classes are "
            f"known (the estimators' valid_mask)"
        )
    k = len(classes) if classes is not None else n_classes
    if rectangular and k is not None and _looks_dense(flat, kind, width, k, classes):
        raise ValueError(
            f"mask: rows of {width} values that are all 0 or 1 read two ways (a dense 0/1 mask, or the "
            f"valid classes of each row); {_HOW_TO_CHOOSE}"
        )
    if k is None:
        if rectangular and width >= 2 and _only_zero_one(flat, kind):
            raise ValueError(f"mask: integer rows of 0s and 1s read two ways and give no K; {_HOW_TO_CHOOSE}")
        raise ValueError(
            "mask: per-row lists of class indices need n_classes; pass "
            "ClassMask.from_lists(lists, n_classes) or a dense boolean array"
        )
    counts = np.asarray(lengths, dtype=np.int64)
    if classes is not None:
        indices = encode_labels(flat, classes, "mask", row_lengths=counts)
    else:
        indices = flat.astype(np.int64)
    return Lists(indices, counts, k)


def _looks_dense(flat: np.ndarray, kind: str, width: int, k: int, classes: np.ndarray | None) -> bool:
    """Integer rows that a dense 0/1 reading fits as well: equal lengths, only 0s and 1s, and
    either one per class, or more than two (a row listing 0 and 1 over and over), or 0 and 1
    are not both class labels (so the label reading cannot be meant)."""
    if width < 2 or not _only_zero_one(flat, kind):
        return False
    if classes is not None and not {0, 1} <= {
        c for c in classes.tolist() if isinstance(c, (int, np.integer))
    }:
        return True
    return width == k or width > 2


def _only_zero_one(flat: np.ndarray, kind: str) -> bool:
    if kind not in "iuf" or flat.size == 0:
        return False
    return bool(((flat == 0) | (flat == 1)).all())


def encode_labels(
    labels: Any, classes: np.ndarray, name: str, *, row_lengths: np.ndarray | None = None
) -> np.ndarray:
    """Labels as int64 positions in ``classes``; a ``ValueError`` naming the first unknown one.

    ``row_lengths`` (per-row counts of a flat array) lets the message name the row.
    """
    labels = np.asarray(labels)
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    try:
        pos = np.searchsorted(sorted_classes, labels)
    except TypeError:
        raise ValueError(
            f"{name}: labels of type {labels.dtype} do not match the classes {classes.tolist()}"
        ) from None
    pos = np.clip(pos, 0, len(sorted_classes) - 1)
    unknown = sorted_classes[pos] != labels
    if np.any(unknown):
        at = int(np.flatnonzero(unknown)[0])
        first = labels[at]
        first = first.item() if isinstance(first, np.generic) else first
        where = ""
        if row_lengths is not None:
            where = f" in row {_row_of(at, row_lengths)}"
        raise ValueError(f"{name}: unknown class {first!r}{where}; the classes are {classes.tolist()}")
    return order[pos].astype(np.int64)


# ---------------------------------------------------------------------- data frames
def _frame_columns(mask: Any) -> tuple[list, list[np.ndarray]] | None:
    """``(column labels, column values)`` of a pandas/polars DataFrame or pyarrow Table, else None."""
    module = type(mask).__module__.split(".")[0]
    name = type(mask).__name__
    if module == "pandas" and name == "DataFrame":
        labels = list(mask.columns)
        cols = [mask.iloc[:, j] for j in range(mask.shape[1])]
        nulls = [bool(col.isna().any()) for col in cols]
        return labels, [
            _column(col, null, labels[j]) for j, (col, null) in enumerate(zip(cols, nulls, strict=True))
        ]
    if module == "polars" and name == "DataFrame":
        labels = list(mask.columns)
        return labels, [_column(mask.get_column(c), mask.get_column(c).null_count() > 0, c) for c in labels]
    if module == "pyarrow" and name in ("Table", "RecordBatch"):
        labels = list(mask.column_names)
        return labels, [_column(mask.column(c), mask.column(c).null_count > 0, c) for c in labels]
    return None


def _column(col: Any, has_null: bool, label: Any) -> np.ndarray:
    if has_null:
        raise ValueError(f"mask: column {label!r} has missing values; a mask needs True or False everywhere")
    if type(col).__module__.startswith("pyarrow"):
        return np.asarray(col.to_pylist())
    values = np.asarray(col.to_numpy())
    if values.dtype == object:
        values = np.asarray(values.tolist())
    return values


def _read_frame(
    labels: list, columns: list[np.ndarray], n_classes: int | None, classes: np.ndarray | None
) -> Dense:
    """A DataFrame's columns, matched to the classes by label, as a dense array in class order."""
    order = column_order(labels, n_classes, classes)
    for j in order:
        if columns[j].dtype.kind not in "biuf":
            raise TypeError(
                f"mask: column {labels[j]!r} must hold booleans (or 0/1); got dtype {columns[j].dtype}"
            )
    kinds = {columns[j].dtype.kind for j in order}
    if "b" in kinds and len(kinds) > 1:
        raise _mixed_error()
    n_rows = len(columns[0]) if columns else 0
    if not order:
        return Dense(np.zeros((n_rows, 0), dtype=bool))
    return Dense(np.column_stack([columns[j] for j in order]))  # promoted to one dtype, values kept


def column_order(labels: list, n_classes: int | None, classes: Any = None) -> list[int]:
    """Positions of the class columns among a DataFrame's column ``labels``, in class order.

    The classes are ``classes`` (labels) or ``0..n_classes-1`` (or ``0..len(labels)-1``);
    string column labels also match the classes' ``str`` (polars names every column by a
    string). Duplicate, missing and unknown columns are errors naming them.
    """
    if len(set(map(_key, labels))) != len(labels):
        raise ValueError(f"mask: the DataFrame has duplicate column labels {labels}")
    if classes is None:
        classes = np.arange(n_classes if n_classes is not None else len(labels))
    classes = np.asarray(classes)
    position = {_key(label): j for j, label in enumerate(labels)}
    wanted = [_key(c) for c in classes.tolist()]
    if not all(w in position for w in wanted) and all(isinstance(label, str) for label in labels):
        wanted = [str(c) for c in classes.tolist()]
    missing = [c for c, w in zip(classes.tolist(), wanted, strict=True) if w not in position]
    unknown = [label for label in labels if _key(label) not in set(wanted)]
    if missing or unknown:
        raise ValueError(
            f"mask: a DataFrame mask has one column per class, matched by column label; "
            f"missing class columns {missing[:10]}, unknown columns {unknown[:10]} "
            f"(the classes are {classes.tolist()[:20]}); rename the columns, or pass "
            f"frame.to_numpy(dtype=bool) to take them in order"
        )
    return [position[w] for w in wanted]


def _key(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


# ---------------------------------------------------------------------- errors
def _not_rows_error(shape: tuple) -> ValueError:
    return ValueError(
        f"mask: expected one row per sample (a 2-D (n_rows, n_classes) boolean mask, or per-row lists of "
        f"classes); got 1-D data of shape {shape}"
        if len(shape) == 1
        else f"mask: expected 2-D data (n_rows, n_classes) or per-row lists; got shape {shape}"
    )


def _mixed_error() -> TypeError:
    return TypeError(
        "mask: mixes booleans with numbers; booleans make a dense mask and integers list classes, so "
        "use one kind"
    )


def _missing_error(flat: list, lengths: list[int], is_missing: Any) -> ValueError:
    pos = next(i for i, v in enumerate(flat) if is_missing(v))
    return ValueError(
        f"mask: row {_row_of(pos, lengths)} has a missing value ({flat[pos]!r}); a mask cannot have gaps"
    )
