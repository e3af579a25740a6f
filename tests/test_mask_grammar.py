"""The mask grammar (``ClassMask.coerce``): every container of the same logical mask reads
as the same ``ClassMask``, or raises the documented error; never as a different mask.

Expected masks come from a slow pure-Python reference (sets of valid classes per row),
never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from boostobj import ClassMask

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

AMBIGUOUS = "read two ways"


@st.composite
def logical_masks(draw, max_rows=12, max_classes=6):
    """(rows, K): each row a non-empty set of valid classes."""
    k = draw(st.integers(1, max_classes))
    n = draw(st.integers(0, max_rows))
    rows = [draw(st.sets(st.integers(0, k - 1), min_size=1, max_size=k)) for _ in range(n)]
    return rows, k


def _dense(rows, k):
    return np.array([[j in row for j in range(k)] for row in rows], dtype=bool).reshape(len(rows), k)


def _expected(rows, k):
    return ClassMask.from_dense(_dense(rows, k))  # from_dense of booleans: pinned by test_masks.py


def _boolean_forms(rows, k, rng):
    """Containers of the dense boolean reading."""
    dense = _dense(rows, k)
    order = rng.permutation(k)
    names = [str(j) for j in range(k)]
    forms = {
        "ndarray": dense,
        "F-order": np.asfortranarray(dense),
        "strided": np.repeat(dense, 2, axis=1)[:, ::2],
        "nested lists": dense.tolist(),
        "tuples": tuple(tuple(r) for r in dense.tolist()),
        "list of arrays": list(dense),
        "0/1 floats": dense.astype(np.float64),
        "float lists": dense.astype(float).tolist(),
        "sparse bool": sparse.csr_array(dense),
        "sparse int": sparse.csr_matrix(dense.astype(np.int8)),
        "pandas": pd.DataFrame(dense),
        "pandas reordered": pd.DataFrame(dense)[list(order)],
        "pandas boolean": pd.DataFrame(dense).astype("boolean"),
        "pandas arrow": pd.DataFrame(dense).astype("bool[pyarrow]"),
        "polars": pl.DataFrame({names[j]: dense[:, j] for j in order}),
        "pyarrow": pa.table({names[j]: dense[:, j] for j in order}),
    }
    if len(rows):
        forms["object 2-D"] = np.array(dense.tolist(), dtype=object)
        forms["numpy bools in lists"] = [list(r) for r in dense]
    return forms


def _index_forms(rows, k, rng):
    """Containers of the per-row class-index reading (rows shuffled, some repeated)."""
    lists = []
    for row in rows:
        values = list(row) + list(rng.choice(sorted(row), size=int(rng.integers(0, 2))))
        rng.shuffle(values)
        lists.append([int(v) for v in values])
    forms = {
        "lists": lists,
        "sets": [set(r) for r in lists],
        "tuples": [tuple(r) for r in lists],
        "int32 arrays": [np.array(r, dtype=np.int32) for r in lists],
        "uint8 arrays": [np.array(r, dtype=np.uint8) for r in lists],
        "pandas Series of lists": pd.Series(lists, dtype=object),
        "polars Series of lists": pl.Series(lists, dtype=pl.List(pl.Int64)),
        "pyarrow list array": pa.array(lists, type=pa.list_(pa.int64())),
    }
    if len(lists):
        objects = np.empty(len(lists), dtype=object)
        objects[:] = lists
        forms["object array of lists"] = objects
        if len({len(r) for r in lists}) == 1:
            forms["2-D int array"] = np.array(lists)
    return forms


def _is_ambiguous(rows_as_values, k):
    """The documented ambiguity: equal-length rows of only 0s and 1s, of width K (>= 2) or
    wider than 2 (a dense 0/1 reading fits them as well as class indices)."""
    lengths = {len(r) for r in rows_as_values}
    values = {int(v) for r in rows_as_values for v in r}
    if not rows_as_values or len(lengths) != 1 or not values <= {0, 1}:
        return False
    width = lengths.pop()
    return width >= 2 and (width == k or width > 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logical_masks(), st.integers(0, 2**31 - 1))
def test_every_container_reads_as_the_same_mask(case, seed):
    rows, k = case
    rng = np.random.default_rng(seed)
    expected = _expected(rows, k)
    for name, form in _boolean_forms(rows, k, rng).items():
        assert ClassMask.coerce(form, k) == expected, name
        if len(rows) and not isinstance(form, (pd.DataFrame, pl.DataFrame, pa.Table)):
            assert ClassMask.coerce(form) == expected, name  # booleans know K
    for name, form in _index_forms(rows, k, rng).items():
        values = [list(r) for r in form] if not hasattr(form, "to_pylist") else form.to_pylist()
        if _is_ambiguous(values, k):
            with pytest.raises(ValueError, match=AMBIGUOUS):
                ClassMask.coerce(form, k)
        else:
            assert ClassMask.coerce(form, k) == expected, name


@settings(max_examples=40, deadline=None)
@given(logical_masks(max_classes=5), st.integers(0, 2**31 - 1))
def test_labels_read_through_the_classes(case, seed):
    rows, k = case
    rng = np.random.default_rng(seed)
    labels = np.array(["c", "a", "e", "b", "d"][:k])  # classes_ order, not sorted
    expected = _expected(rows, k)
    lists = [[labels[j] for j in sorted(row)] for row in rows]
    assert ClassMask.coerce(lists, classes=labels) == expected
    assert ClassMask.coerce([set(r) for r in lists], classes=labels) == expected
    frame = pd.DataFrame(_dense(rows, k), columns=labels)[list(labels[rng.permutation(k)])]
    assert ClassMask.coerce(frame, classes=labels) == expected
    ints = np.array([10, 30, 20, 50, 40][:k])
    int_lists = [[int(ints[j]) for j in sorted(row)] for row in rows]
    assert ClassMask.coerce(int_lists, classes=ints) == expected


@settings(max_examples=40, deadline=None)
@given(logical_masks(), st.integers(0, 2**31 - 1))
def test_invalid_lists_are_the_complement(case, seed):
    rows, k = case
    invalid = [sorted(set(range(k)) - row) for row in rows]
    assert ClassMask.from_invalid(invalid, k) == _expected(rows, k)
    assert ClassMask.from_invalid(~_dense(rows, k)) == _expected(rows, k) if rows else True


# ---------------------------------------------------------------------- the cases
def test_dense_lists_are_not_read_as_labels():
    """Issue: dense.tolist() was read as class labels True/False -> 1/0."""
    dense = np.array([[False, True, True, False], [True, False, False, True]])
    assert ClassMask.coerce(dense.tolist(), 4) == ClassMask.from_lists([[1, 2], [0, 3]], 4)
    assert ClassMask.coerce(list(dense), 4) == ClassMask.from_lists([[1, 2], [0, 3]], 4)


def test_square_dataframe_is_matched_by_column_label():
    """Issue: with n == K and class-named columns every row got only 'its own' class."""
    dense = np.array([[True, True, False], [False, True, True], [True, False, True]])
    frame = pd.DataFrame(dense, columns=["x", "y", "z"])
    mask = ClassMask.coerce(frame[["z", "x", "y"]], classes=np.array(["x", "y", "z"]))
    assert mask == ClassMask.from_dense(dense)


@pytest.mark.parametrize(
    "mask, kwargs, error, message",
    [
        (
            [[1, 0, 1], [0, 1, 0]],
            {"n_classes": 3},
            ValueError,
            "mask: rows of 3 values that are all 0 or 1 read two ways",
        ),
        (np.array([[1, 0], [0, 1]]), {"n_classes": 2}, ValueError, "read two ways"),
        ([[1, 0, 1], [0, 1, 1]], {"n_classes": 2}, ValueError, "read two ways"),  # dense, one class short
        ([[1, 0], [1, 1]], {"classes": [10, 20]}, ValueError, "read two ways"),  # 0 and 1 are no classes
        (np.zeros((0, 3), dtype=bool), {}, None, None),  # no rows, but 3 columns
        (
            [np.array([1]), np.array([2]), np.array([], dtype=float)],
            {"n_classes": 3},
            ValueError,
            "row 2 has no valid class",
        ),
        (
            np.ma.masked_array([[True, False]], mask=[[False, True]]),
            {},
            ValueError,
            "masked (missing) entries",
        ),
        (np.bool_(True), {}, TypeError, "mask: expected a ClassMask"),
        (
            pd.DataFrame({0: np.array([1], dtype=np.int8), 1: np.array([256])}),
            {},
            ValueError,
            "must be boolean or 0/1",
        ),
        (
            pd.DataFrame({0: [True], 1: pd.to_datetime(["2020-01-01"])}),
            {},
            TypeError,
            "column 1 must hold booleans",
        ),
        ([[1, 0, 1]], {}, ValueError, "mask: integer rows of 0s and 1s read two ways and give no K"),
        ([[0], [2, 1]], {}, ValueError, "mask: per-row lists of class indices need n_classes"),
        ([[True, 1]], {"n_classes": 2}, TypeError, "mask: mixes booleans with numbers"),
        ([np.array([True]), np.array([1])], {"n_classes": 2}, TypeError, "mixes booleans"),
        ([[0, None]], {"n_classes": 2}, ValueError, "mask: row 0 has a missing value (None)"),
        ([[0], [1, pd.NA]], {"n_classes": 2}, ValueError, "mask: row 1 has a missing value (<NA>)"),
        ([[0.0, float("nan")]], {"n_classes": 2}, ValueError, "mask: row 0 has a missing value (nan)"),
        ([True, False, True], {"n_classes": 2}, ValueError, "got 1-D data of shape (3,)"),
        (np.array([1, 2, 3]), {"n_classes": 4}, ValueError, "got 1-D data of shape (3,)"),
        (pd.Series([True, False]), {"n_classes": 2}, ValueError, "got 1-D data of shape (2,)"),
        ([[True, False], [True]], {}, ValueError, "must have equal lengths"),
        ([[True, False]], {"n_classes": 3}, ValueError, "mask: expected 3 classes, got a mask of 2"),
        ([["a"]], {"n_classes": 2}, TypeError, "class labels are read only where the classes are known"),
        ([["a"], ["z"]], {"classes": ["a", "b"]}, ValueError, "mask: unknown class 'z' in row 1"),
        ([[[0, 1]]], {"n_classes": 2}, TypeError, "mask: row 0 must be a flat sequence"),
        ([[0], 1], {"n_classes": 2}, TypeError, "mask: row 1 must be a sequence"),
        ("01", {"n_classes": 2}, TypeError, "mask: expected a ClassMask"),
        ({"a": [0]}, {"n_classes": 2}, TypeError, "mask: expected a ClassMask"),
        (
            pd.DataFrame({0: [True], 2: [True]}),
            {"n_classes": 2},
            ValueError,
            "missing class columns [1], unknown columns [2]",
        ),
        (
            pd.DataFrame([[True, False]], columns=[0, 0]),
            {"n_classes": 2},
            ValueError,
            "duplicate column labels",
        ),
        (
            pd.DataFrame({0: [True, None], 1: [True, True]}, dtype="boolean"),
            {"n_classes": 2},
            ValueError,
            "column 0 has missing values",
        ),
        (pd.DataFrame({0: ["yes"], 1: ["no"]}), {"n_classes": 2}, TypeError, "must hold booleans"),
        (pd.DataFrame({0: [2], 1: [1]}), {"n_classes": 2}, ValueError, "must be boolean or 0/1"),
    ],
)
def test_errors(mask, kwargs, error, message):
    if error is None:  # the cases that used to fail and must not
        ClassMask.coerce(mask, **kwargs)
        return
    with pytest.raises(error) as info:
        ClassMask.coerce(mask, **kwargs)
    assert message in str(info.value)


def test_from_invalid_refuses_a_row_with_every_class_invalid():
    with pytest.raises(ValueError, match="mask: row 1 has no valid class"):
        ClassMask.from_invalid([[0], [0, 1]], 2)


def test_from_invalid_with_labels():
    mask = ClassMask.from_invalid([["b"], []], classes=["a", "b", "c"])
    assert mask == ClassMask.from_lists([[0, 2], [0, 1, 2]], 3)


def test_classes_must_be_distinct():
    with pytest.raises(ValueError, match="classes: expected a 1-D array of distinct labels"):
        ClassMask.coerce([[0]], classes=[0, 0])
