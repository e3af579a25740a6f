"""Tests of ``boostobj.ClassMask`` (and of ``boostobj.datasets.make_transition_data``).

Every expectation is computed independently, by deliberately slow pure-Python code
working on lists and sets (``_ref_*`` below), never by the code under test.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from boostobj import ClassMask
from boostobj.datasets import make_transition_data

INVALID = -1e30  # the documented margin of an invalid class
INVALID_BELOW = -1e29  # documented: a margin <= this marks an invalid class


# ---------------------------------------------------------------------- slow references
def _ref_canonical(rows):
    """Each row's classes as a sorted list without duplicates."""
    return [sorted({int(v) for v in row}) for row in rows]


def _ref_dense(canon, k):
    return np.array([[j in set(row) for j in range(k)] for row in canon], dtype=bool).reshape(len(canon), k)


def _ref_indptr_indices(canon):
    indptr = [0]
    indices = []
    for row in canon:
        indptr.append(indptr[-1] + len(row))
        indices.extend(row)
    return indptr, indices


def _ref_offset(canon, k):
    return [[0.0 if j in set(row) else INVALID for j in range(k)] for row in canon]


def _rows_of(mask):
    """The mask back as Python lists, read slowly from its CSR arrays."""
    out = []
    for i in range(len(mask.indptr) - 1):
        out.append([int(v) for v in mask.indices[int(mask.indptr[i]) : int(mask.indptr[i + 1])]])
    return out


def _assert_matches(mask, canon, k):
    """``mask`` holds exactly the rows ``canon`` of ``k`` classes, in canonical form."""
    indptr, indices = _ref_indptr_indices(canon)
    assert mask.n_classes == k
    assert len(mask) == len(canon)
    assert mask.indptr.dtype == np.int64
    assert mask.indices.dtype == np.int32
    assert mask.indptr.tolist() == indptr
    assert mask.indices.tolist() == indices
    assert _rows_of(mask) == canon


RAGGED = [[2, 0], [1], [0, 1, 2], [2]]
RAGGED_CANON = [[0, 2], [1], [0, 1, 2], [2]]


# ---------------------------------------------------------------------- hypothesis
@st.composite
def ragged_masks(draw, max_rows=30):
    """(rows, k): k in 1..10, 0..max_rows rows, each a non-empty, possibly unsorted
    list of class indices, possibly with duplicates."""
    k = draw(st.integers(1, 10))
    n = draw(st.integers(0, max_rows))
    row = st.lists(st.integers(0, k - 1), min_size=1, max_size=2 * k)
    rows = draw(st.lists(row, min_size=n, max_size=n))
    return rows, k


HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ====================================================================== constructors
class TestFromLists:
    def test_ragged_lists(self):
        mask = ClassMask.from_lists(RAGGED, n_classes=3)
        _assert_matches(mask, RAGGED_CANON, 3)

    def test_rows_as_numpy_arrays(self):
        rows = [np.array(r, dtype=np.int16) for r in RAGGED]
        _assert_matches(ClassMask.from_lists(rows, 3), RAGGED_CANON, 3)

    def test_tuple_of_tuples(self):
        rows = tuple(tuple(r) for r in RAGGED)
        _assert_matches(ClassMask.from_lists(rows, 3), RAGGED_CANON, 3)

    @pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
    def test_2d_int_array(self, dtype):
        arr = np.array([[0, 3], [2, 1], [1, 1], [3, 0]], dtype=dtype)
        mask = ClassMask.from_lists(arr, 4)
        _assert_matches(mask, _ref_canonical(arr.tolist()), 4)

    def test_2d_int_array_fortran_order(self):
        arr = np.asfortranarray(np.array([[0, 3, 1], [2, 1, 0]]))
        _assert_matches(ClassMask.from_lists(arr, 4), [[0, 1, 3], [0, 1, 2]], 4)

    def test_unsorted_rows_are_sorted(self):
        mask = ClassMask.from_lists([[4, 1, 3], [2, 0]], 5)
        _assert_matches(mask, [[1, 3, 4], [0, 2]], 5)

    def test_duplicates_are_dropped(self):
        mask = ClassMask.from_lists([[1, 1, 1], [0, 2, 0, 2], [3]], 4)
        _assert_matches(mask, [[1], [0, 2], [3]], 4)

    def test_duplicates_in_2d_array(self):
        mask = ClassMask.from_lists(np.array([[2, 2], [0, 1]]), 3)
        _assert_matches(mask, [[2], [0, 1]], 3)

    def test_no_rows(self):
        mask = ClassMask.from_lists([], 3)
        _assert_matches(mask, [], 3)
        assert mask.to_dense().shape == (0, 3)

    def test_numpy_integer_n_classes(self):
        _assert_matches(ClassMask.from_lists([[0], [1]], np.int64(2)), [[0], [1]], 2)

    def test_does_not_alias_or_freeze_the_input(self):
        arr = np.array([[0, 1], [1, 2]], dtype=np.int32)
        mask = ClassMask.from_lists(arr, 3)
        assert arr.flags.writeable
        arr[0, 0] = 2
        assert _rows_of(mask) == [[0, 1], [1, 2]]

    @HYP
    @given(ragged_masks())
    def test_matches_reference(self, data):
        rows, k = data
        _assert_matches(ClassMask.from_lists(rows, k), _ref_canonical(rows), k)


class TestFromDense:
    DENSE = [[1, 0, 1], [0, 1, 0], [1, 1, 1]]

    @pytest.mark.parametrize("dtype", [bool, np.int8, np.int64, np.uint8, np.float32, np.float64])
    def test_dtypes(self, dtype):
        mask = ClassMask.from_dense(np.array(self.DENSE, dtype=dtype))
        _assert_matches(mask, [[0, 2], [1], [0, 1, 2]], 3)

    def test_nested_list(self):
        _assert_matches(ClassMask.from_dense(self.DENSE), [[0, 2], [1], [0, 1, 2]], 3)

    def test_fortran_and_non_contiguous(self):
        dense = np.asfortranarray(np.array(self.DENSE, dtype=bool))
        _assert_matches(ClassMask.from_dense(dense), [[0, 2], [1], [0, 1, 2]], 3)
        wide = np.zeros((3, 6), dtype=bool)
        wide[:, ::2] = self.DENSE
        _assert_matches(ClassMask.from_dense(wide[:, ::2]), [[0, 2], [1], [0, 1, 2]], 3)

    def test_no_rows(self):
        mask = ClassMask.from_dense(np.zeros((0, 4), dtype=bool))
        assert len(mask) == 0 and mask.n_classes == 4

    def test_single_class(self):
        _assert_matches(ClassMask.from_dense(np.ones((3, 1))), [[0], [0], [0]], 1)

    def test_non_binary_values_rejected(self):
        with pytest.raises(ValueError, match=r"boolean or 0/1.*row 1, class 0"):
            ClassMask.from_dense(np.array([[1.0, 0.0], [0.5, 1.0]]))

    @HYP
    @given(ragged_masks())
    def test_matches_reference(self, data):
        rows, k = data
        canon = _ref_canonical(rows)
        _assert_matches(ClassMask.from_dense(_ref_dense(canon, k)), canon, k)


class TestFromCsr:
    DENSE = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1]])
    CANON = [[0, 2], [1], [0, 1, 2]]

    @pytest.mark.parametrize(
        "make",
        [
            sparse.csr_matrix,
            sparse.csr_array,
            sparse.coo_matrix,
            sparse.coo_array,
            sparse.csc_array,
            sparse.lil_matrix,
        ],
    )
    def test_formats(self, make):
        _assert_matches(ClassMask.from_csr(make(self.DENSE)), self.CANON, 3)

    def test_bool_data(self):
        _assert_matches(ClassMask.from_csr(sparse.csr_array(self.DENSE.astype(bool))), self.CANON, 3)

    def test_explicit_zeros_are_invalid(self):
        data = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
        indices = np.array([0, 2, 1, 0, 2])
        indptr = np.array([0, 2, 3, 5])
        csr = sparse.csr_matrix((data, indices, indptr), shape=(3, 3))
        assert csr.nnz == 5  # the zeros really are stored
        _assert_matches(ClassMask.from_csr(csr), [[0], [1], [0]], 3)

    def test_unsorted_indices_are_sorted(self):
        csr = sparse.csr_array((np.ones(3), np.array([2, 0, 1]), np.array([0, 2, 3])), shape=(2, 3))
        assert not csr.has_sorted_indices
        _assert_matches(ClassMask.from_csr(csr), [[0, 2], [1]], 3)

    def test_coo_duplicates_are_merged(self):
        coo = sparse.coo_array((np.ones(4), (np.array([0, 0, 1, 0]), np.array([1, 1, 0, 2]))), shape=(2, 3))
        _assert_matches(ClassMask.from_csr(coo), [[1, 2], [0]], 3)

    def test_input_untouched(self):
        data = (np.array([1.0, 0.0, 1.0]), np.array([2, 0, 1]), np.array([0, 2, 3]))
        csr = sparse.csr_array(data, shape=(2, 3))
        before = (csr.data.copy(), csr.indices.copy(), csr.indptr.copy())
        ClassMask.from_csr(csr)
        assert csr.nnz == 3
        for a, b in zip(before, (csr.data, csr.indices, csr.indptr), strict=True):
            np.testing.assert_array_equal(a, b)
        assert csr.indices.flags.writeable

    def test_not_sparse(self):
        with pytest.raises(TypeError, match=r"mask: expected a scipy sparse matrix, got ndarray"):
            ClassMask.from_csr(np.eye(2))

    @HYP
    @given(ragged_masks())
    def test_matches_reference(self, data):
        rows, k = data
        canon = _ref_canonical(rows)
        csr = sparse.csr_array(_ref_dense(canon, k).astype(np.float64), shape=(len(canon), k))
        _assert_matches(ClassMask.from_csr(csr), canon, k)


class TestFull:
    @pytest.mark.parametrize("n, k", [(0, 1), (0, 3), (1, 1), (4, 3), (5, 7)])
    def test_full(self, n, k):
        mask = ClassMask.full(n, k)
        _assert_matches(mask, [list(range(k)) for _ in range(n)], k)
        assert mask.is_full

    def test_numpy_integers(self):
        _assert_matches(ClassMask.full(np.int32(2), np.int64(2)), [[0, 1], [0, 1]], 2)

    def test_negative_rows(self):
        with pytest.raises(ValueError, match=r"n_rows must be a non-negative integer; got -1"):
            ClassMask.full(-1, 3)


class TestFromMargin:
    def test_offset_margins(self):
        raw = np.array([[0.3, INVALID, -2.0], [INVALID, 5.0, INVALID]])
        _assert_matches(ClassMask.from_margin(raw), [[0, 2], [1]], 3)

    def test_threshold(self):
        # documented: valid iff raw > -1e29
        raw = np.array([[INVALID_BELOW, 0.0], [-9.9e28, 0.0], [-1e29 * 1.0000001, 0.0]])
        _assert_matches(ClassMask.from_margin(raw), [[1], [0, 1], [1]], 2)

    def test_large_negative_finite_margins_stay_valid(self):
        raw = np.array([[-1e4, -1e20, 1e4]])
        _assert_matches(ClassMask.from_margin(raw), [[0, 1, 2]], 3)

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("order", ["C", "F"])
    def test_dtypes_orders(self, dtype, order):
        raw = np.array([[0.0, INVALID], [1.0, 2.0], [INVALID, -1.0]], dtype=dtype, order=order)
        _assert_matches(ClassMask.from_margin(raw), [[0], [0, 1], [1]], 2)

    def test_all_invalid_row(self):
        with pytest.raises(ValueError, match=r"row 1 has no valid class"):
            ClassMask.from_margin(np.array([[0.0, 0.0], [INVALID, INVALID]]))

    @pytest.mark.parametrize("bad", [np.nan, np.inf])
    def test_non_finite(self, bad):
        raw = np.zeros((3, 2))
        raw[2, 1] = bad
        with pytest.raises(ValueError, match=r"raw_prediction: row 2 has a NaN or \+inf margin"):
            ClassMask.from_margin(raw)

    def test_minus_inf_is_invalid(self):
        raw = np.zeros((3, 2))
        raw[2, 1] = -np.inf
        assert ClassMask.from_margin(raw) == ClassMask.from_lists([[0, 1], [0, 1], [0]], 2)

    @HYP
    @given(ragged_masks(), st.integers(0, 2**32 - 1))
    def test_offset_plus_finite_margins(self, data, seed):
        rows, k = data
        canon = _ref_canonical(rows)
        noise = np.random.default_rng(seed).uniform(-50, 50, size=(len(canon), k))
        raw = np.array(_ref_offset(canon, k)).reshape(len(canon), k) + noise
        _assert_matches(ClassMask.from_margin(raw), canon, k)


class TestPlainConstructor:
    def test_valid(self):
        mask = ClassMask([0, 2, 3, 6], [0, 2, 1, 0, 1, 2], 3)
        _assert_matches(mask, [[0, 2], [1], [0, 1, 2]], 3)

    def test_numpy_inputs_of_other_int_dtypes(self):
        mask = ClassMask(np.array([0, 1, 3], dtype=np.uint8), np.array([4, 0, 3], dtype=np.int16), 5)
        _assert_matches(mask, [[4], [0, 3]], 5)

    def test_no_rows(self):
        _assert_matches(ClassMask([0], [], 4), [], 4)

    def test_does_not_alias_inputs(self):
        indptr = np.array([0, 1, 2], dtype=np.int64)
        indices = np.array([0, 1], dtype=np.int32)
        mask = ClassMask(indptr, indices, 2)
        assert indptr.flags.writeable and indices.flags.writeable
        indices[:] = 1
        indptr[1] = 2
        _assert_matches(mask, [[0], [1]], 2)

    def test_unsorted_rejected(self):
        with pytest.raises(ValueError, match=r"strictly increasing; row 1 has \[2, 1\]"):
            ClassMask([0, 1, 3], [0, 2, 1], 3)

    def test_duplicates_rejected(self):
        with pytest.raises(ValueError, match=r"strictly increasing; row 0 has \[1, 1\]"):
            ClassMask([0, 2], [1, 1], 3)

    def test_decrease_across_rows_is_fine(self):
        _assert_matches(ClassMask([0, 2, 3], [1, 2, 0], 3), [[1, 2], [0]], 3)

    @HYP
    @given(ragged_masks())
    def test_round_trip_from_canonical_arrays(self, data):
        rows, k = data
        canon = _ref_canonical(rows)
        indptr, indices = _ref_indptr_indices(canon)
        mask = ClassMask(indptr, np.array(indices, dtype=np.int64), k)
        _assert_matches(mask, canon, k)
        assert mask == ClassMask.from_lists(rows, k)


class TestCoerce:
    def test_classmask_returned_as_is(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        assert ClassMask.coerce(mask) is mask
        assert ClassMask.coerce(mask, 3) is mask

    def test_sparse(self):
        mask = ClassMask.coerce(sparse.csr_array(_ref_dense(RAGGED_CANON, 3)))
        _assert_matches(mask, RAGGED_CANON, 3)

    def test_dense(self):
        _assert_matches(ClassMask.coerce(_ref_dense(RAGGED_CANON, 3)), RAGGED_CANON, 3)
        _assert_matches(ClassMask.coerce(_ref_dense(RAGGED_CANON, 3).astype(float), 3), RAGGED_CANON, 3)

    def test_lists(self):
        _assert_matches(ClassMask.coerce(RAGGED, 3), RAGGED_CANON, 3)

    def test_lists_need_n_classes(self):
        with pytest.raises(ValueError, match=r"per-row lists of class indices need n_classes"):
            ClassMask.coerce(RAGGED)

    @pytest.mark.parametrize(
        "make",
        [
            lambda: ClassMask.full(2, 3),
            lambda: np.ones((2, 3), bool),
            lambda: sparse.csr_array(np.ones((2, 3))),
        ],
    )
    def test_n_classes_mismatch(self, make):
        with pytest.raises(ValueError, match=r"mask: expected 4 classes, got a mask of 3"):
            ClassMask.coerce(make(), 4)


# ====================================================================== methods
class TestQueries:
    def test_len_n_rows_n_classes(self):
        mask = ClassMask.from_lists(RAGGED, 5)
        assert len(mask) == mask.n_rows == 4
        assert mask.n_classes == 5
        assert isinstance(mask.n_classes, int)

    def test_n_valid(self):
        mask = ClassMask.from_lists([[0, 0, 1], [2], [2, 1, 0]], 3)
        np.testing.assert_array_equal(mask.n_valid, [2, 1, 3])
        assert mask.n_valid.dtype.kind == "i"

    def test_is_full(self):
        assert ClassMask.full(3, 2).is_full
        assert ClassMask.from_lists([[1, 0], [0, 1, 1]], 2).is_full
        assert not ClassMask.from_lists([[1, 0], [0]], 2).is_full
        assert ClassMask.from_lists([[0], [0]], 1).is_full

    def test_to_dense(self):
        dense = ClassMask.from_lists(RAGGED, 4).to_dense()
        assert dense.dtype == bool and dense.shape == (4, 4)
        np.testing.assert_array_equal(dense, _ref_dense(RAGGED_CANON, 4))

    def test_to_dense_is_a_writable_copy(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        dense = mask.to_dense()
        dense[:] = False
        np.testing.assert_array_equal(mask.to_dense(), _ref_dense(RAGGED_CANON, 3))

    def test_to_csr(self):
        mask = ClassMask.from_lists(RAGGED, 4)
        csr = mask.to_csr()
        assert sparse.issparse(csr) and csr.format == "csr"
        assert csr.shape == (4, 4)
        np.testing.assert_array_equal(csr.toarray().astype(bool), _ref_dense(RAGGED_CANON, 4))
        assert csr.nnz == sum(len(r) for r in RAGGED_CANON)

    def test_to_csr_is_a_copy(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        csr = mask.to_csr()
        csr.indices[:] = 0
        csr.indptr[1] = 0
        _assert_matches(mask, RAGGED_CANON, 3)

    def test_margin_offset_default(self):
        offset = ClassMask.from_lists(RAGGED, 4).margin_offset()
        assert offset.dtype == np.float32
        assert offset.flags.c_contiguous
        np.testing.assert_array_equal(offset, np.array(_ref_offset(RAGGED_CANON, 4), dtype=np.float32))
        assert set(np.unique(offset).tolist()) == {0.0, float(np.float32(INVALID))}

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("order", ["C", "F"])
    def test_margin_offset_dtype_order(self, dtype, order):
        offset = ClassMask.from_lists(RAGGED, 4).margin_offset(dtype=dtype, order=order)
        assert offset.dtype == dtype
        assert offset.flags.c_contiguous if order == "C" else offset.flags.f_contiguous
        np.testing.assert_array_equal(offset, np.array(_ref_offset(RAGGED_CANON, 4), dtype=dtype))
        assert np.isfinite(offset).all()

    def test_margin_offset_marks_invalid_below_threshold(self):
        offset = ClassMask.from_lists(RAGGED, 4).margin_offset(dtype=np.float64)
        dense = _ref_dense(RAGGED_CANON, 4)
        assert (offset[~dense] <= INVALID_BELOW).all()
        assert (offset[dense] == 0).all()

    def test_contains(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        y = np.array([2, 0, 1, 2])
        expected = [int(v) in set(r) for v, r in zip(y, RAGGED_CANON, strict=True)]
        np.testing.assert_array_equal(mask.contains(y), expected)
        assert mask.contains(y).dtype == bool

    def test_contains_out_of_range_labels_are_false(self):
        mask = ClassMask.full(3, 3)
        np.testing.assert_array_equal(mask.contains([-1, 3, 100]), [False, False, False])

    def test_contains_integer_valued_floats(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        y = np.array([2.0, 0.0, 1.0, 2.0])
        np.testing.assert_array_equal(mask.contains(y), [True, False, True, True])

    def test_contains_no_rows(self):
        assert ClassMask.from_lists([], 3).contains(np.array([], dtype=int)).shape == (0,)

    def test_contains_wrong_shape(self):
        with pytest.raises(ValueError, match=r"y: expected shape \(4,\) to match the mask; got \(3,\)"):
            ClassMask.from_lists(RAGGED, 3).contains([0, 1, 2])

    @HYP
    @given(ragged_masks(), st.integers(0, 2**32 - 1))
    def test_contains_matches_reference(self, data, seed):
        rows, k = data
        canon = _ref_canonical(rows)
        y = np.random.default_rng(seed).integers(-1, k + 1, size=len(canon))
        expected = [int(v) in set(r) for v, r in zip(y, canon, strict=True)]
        np.testing.assert_array_equal(ClassMask.from_lists(rows, k).contains(y), np.array(expected, bool))

    def test_check_rows(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        assert mask.check_rows(4) is None
        with pytest.raises(ValueError, match=r"mask: has 4 rows but the test matrix has 5; they must match"):
            mask.check_rows(5, "the test matrix")

    def test_repr(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        text = repr(mask)
        assert text.startswith("ClassMask(")
        assert "n_rows=4" in text and "n_classes=3" in text
        mean = float(re.search(r"mean_valid=([0-9.e+-]+)", text).group(1))
        assert mean == pytest.approx(sum(len(r) for r in RAGGED_CANON) / len(RAGGED_CANON), rel=1e-3)

    def test_repr_no_rows(self):
        text = repr(ClassMask.from_lists([], 3))
        assert "n_rows=0" in text and "n_classes=3" in text


class TestTake:
    MASK_ROWS = [[0], [1, 2], [0, 2], [1], [0, 1, 2]]

    def _mask(self):
        return ClassMask.from_lists(self.MASK_ROWS, 3)

    @pytest.mark.parametrize(
        "rows",
        [
            [0, 2],
            [4, 0, 4],
            np.array([3], dtype=np.int8),
            np.array([1, 1, 1], dtype=np.uint16),
            [-1, -5],
            [0, -1, 2],
        ],
    )
    def test_int_indices(self, rows):
        expected = [self.MASK_ROWS[int(i)] for i in np.asarray(rows)]
        _assert_matches(self._mask().take(rows), _ref_canonical(expected), 3)

    def test_bool(self):
        sel = [True, False, False, True, True]
        expected = [r for r, keep in zip(self.MASK_ROWS, sel, strict=True) if keep]
        _assert_matches(self._mask().take(np.array(sel)), expected, 3)
        _assert_matches(self._mask().take(sel), expected, 3)

    @pytest.mark.parametrize(
        "sl",
        [slice(None), slice(1, 4), slice(None, None, 2), slice(None, None, -1), slice(-2, None), slice(3, 1)],
    )
    def test_slice(self, sl):
        _assert_matches(self._mask().take(sl), self.MASK_ROWS[sl], 3)

    def test_empty_int_array(self):
        _assert_matches(self._mask().take(np.array([], dtype=np.int64)), [], 3)

    def test_empty_list(self):
        _assert_matches(self._mask().take([]), [], 3)

    @pytest.mark.parametrize("rows", [[5], [-6], [0, 7]])
    def test_out_of_range(self, rows):
        with pytest.raises(IndexError, match=r"rows: index out of range for a mask of 5 rows"):
            self._mask().take(rows)

    def test_bool_wrong_length(self):
        with pytest.raises(ValueError, match=r"boolean selector must have shape \(5,\); got \(4,\)"):
            self._mask().take(np.ones(4, dtype=bool))

    def test_float_indices(self):
        with pytest.raises(TypeError, match=r"rows: expected integer indices.*got dtype float64"):
            self._mask().take([1.0])

    def test_result_is_independent(self):
        mask = self._mask()
        sub = mask.take([1, 2])
        assert not sub.indices.flags.writeable
        _assert_matches(mask, self.MASK_ROWS, 3)

    @HYP
    @given(ragged_masks(), st.data())
    def test_matches_reference(self, data, draw):
        rows, k = data
        canon = _ref_canonical(rows)
        n = len(canon)
        if n:
            idx = draw.draw(st.lists(st.integers(-n, n - 1), max_size=2 * n))
            sel = np.array(idx, dtype=np.int64)
            expected = [canon[i] for i in idx]
        else:
            sel = np.array([], dtype=np.int64)
            expected = []
        _assert_matches(ClassMask.from_lists(rows, k).take(sel), expected, k)
        keep = draw.draw(st.lists(st.booleans(), min_size=n, max_size=n))
        expected_bool = [r for r, kp in zip(canon, keep, strict=True) if kp]
        _assert_matches(ClassMask.from_lists(rows, k).take(np.array(keep, dtype=bool)), expected_bool, k)


# ====================================================================== equality, pickle, immutability
class TestEqualityPickleImmutability:
    def test_equal_across_constructors(self):
        k = 3
        dense = _ref_dense(RAGGED_CANON, k)
        indptr, indices = _ref_indptr_indices(RAGGED_CANON)
        masks = [
            ClassMask.from_lists(RAGGED, k),
            ClassMask.from_dense(dense),
            ClassMask.from_csr(sparse.csr_matrix(dense)),
            ClassMask.from_margin(np.array(_ref_offset(RAGGED_CANON, k))),
            ClassMask(indptr, indices, k),
        ]
        for m in masks:
            assert m == masks[0]
            assert not (m != masks[0])

    def test_not_equal(self):
        base = ClassMask.from_lists([[0], [1]], 2)
        assert base != ClassMask.from_lists([[0], [1]], 3)  # same arrays, other K
        assert base != ClassMask.from_lists([[0], [0]], 2)
        assert base != ClassMask.from_lists([[0], [1], [0]], 2)
        assert base != ClassMask.from_lists([[0, 1], [1]], 2)
        assert (base == "mask") is False
        assert base != 5

    def test_unhashable(self):
        with pytest.raises(TypeError):
            hash(ClassMask.full(1, 1))

    @pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
    def test_pickle_round_trip(self, protocol):
        mask = ClassMask.from_lists(RAGGED, 4)
        back = pickle.loads(pickle.dumps(mask, protocol=protocol))
        assert back == mask
        _assert_matches(back, RAGGED_CANON, 4)
        assert not back.indptr.flags.writeable
        assert not back.indices.flags.writeable

    @HYP
    @given(ragged_masks())
    def test_pickle_round_trip_property(self, data):
        rows, k = data
        mask = ClassMask.from_lists(rows, k)
        assert pickle.loads(pickle.dumps(mask)) == mask

    @pytest.mark.parametrize(
        "make",
        [
            lambda: ClassMask.from_lists(RAGGED, 3),
            lambda: ClassMask.from_dense(_ref_dense(RAGGED_CANON, 3)),
            lambda: ClassMask.from_csr(sparse.csr_array(_ref_dense(RAGGED_CANON, 3))),
            lambda: ClassMask.full(4, 3),
            lambda: ClassMask.from_margin(np.zeros((4, 3))),
            lambda: ClassMask([0, 1, 2], [0, 1], 3),
            lambda: ClassMask.from_lists(RAGGED, 3).take([0, 1]),
            lambda: pickle.loads(pickle.dumps(ClassMask.full(2, 3))),
        ],
    )
    def test_arrays_are_read_only(self, make):
        mask = make()
        with pytest.raises(ValueError, match="read-only"):
            mask.indptr[0] = 1
        with pytest.raises(ValueError, match="read-only"):
            mask.indices[0] = 2
        assert mask.indptr.dtype == np.int64 and mask.indices.dtype == np.int32

    def test_derived_arrays_do_not_open_a_write_path(self):
        mask = ClassMask.from_lists(RAGGED, 3)
        for arr in (mask.n_valid, mask.to_dense(), mask.margin_offset()):
            if arr.flags.writeable:
                arr[...] = 0
        _assert_matches(mask, RAGGED_CANON, 3)

    def test_attributes_cannot_be_rebound(self):
        mask = ClassMask.full(2, 3)
        with pytest.raises(AttributeError):
            mask.indptr = np.array([0, 3, 5])
        with pytest.raises(AttributeError):
            mask.n_classes = 7


# ====================================================================== round trips
def _round_trip_all(rows, k):
    """lists -> dense -> csr -> margin -> lists, checking each step against the reference."""
    canon = _ref_canonical(rows)
    m_lists = ClassMask.from_lists(rows, k)
    _assert_matches(m_lists, canon, k)
    dense = m_lists.to_dense()
    np.testing.assert_array_equal(dense, _ref_dense(canon, k))
    m_dense = ClassMask.from_dense(dense)
    csr = m_dense.to_csr()
    np.testing.assert_array_equal(csr.toarray().astype(bool), _ref_dense(canon, k))
    m_csr = ClassMask.from_csr(csr)
    m_margin32 = ClassMask.from_margin(m_csr.margin_offset())
    m_margin64 = ClassMask.from_margin(m_csr.margin_offset(dtype=np.float64, order="F"))
    m_back = ClassMask.from_lists(_rows_of(m_margin64), k) if canon else ClassMask.from_lists([], k)
    indptr, indices = _ref_indptr_indices(canon)
    m_plain = ClassMask(indptr, np.array(indices, dtype=np.int64), k)
    for m in (m_dense, m_csr, m_margin32, m_margin64, m_back, m_plain):
        assert m == m_lists
        _assert_matches(m, canon, k)


def test_round_trip_example():
    _round_trip_all(RAGGED, 3)
    _round_trip_all(RAGGED, 6)


@HYP
@given(ragged_masks())
def test_round_trip_property(data):
    rows, k = data
    _round_trip_all(rows, k)


@HYP
@given(ragged_masks())
def test_coerce_property(data):
    rows, k = data
    ref = ClassMask.from_lists(rows, k)
    dense = _ref_dense(_ref_canonical(rows), k)
    # (integer 0/1 data is not a dense mask: tests/test_mask_grammar.py pins its reading)
    for form in (ref, dense, dense.astype(np.float32), sparse.csr_array(dense, shape=dense.shape)):
        assert ClassMask.coerce(form, k) == ref
    widths = {len(r) for r in rows}
    width = widths.pop() if len(widths) == 1 else None
    zero_one = {v for r in rows for v in r} <= {0, 1}
    if width is not None and width >= 2 and (width == k or width > 2) and zero_one:
        # equal-length rows of only 0s and 1s fit the dense reading too: refused, not guessed
        with pytest.raises(ValueError, match="read two ways"):
            ClassMask.coerce(rows, k)
    else:
        assert ClassMask.coerce(rows, k) == ref


@HYP
@given(ragged_masks())
def test_counts_property(data):
    rows, k = data
    canon = _ref_canonical(rows)
    mask = ClassMask.from_lists(rows, k)
    np.testing.assert_array_equal(mask.n_valid, np.array([len(r) for r in canon], dtype=np.int64))
    assert mask.is_full == all(len(r) == k for r in canon)
    assert len(mask) == len(canon)


# ====================================================================== make_transition_data
class TestMakeTransitionData:
    def test_shapes_and_dtypes(self):
        X, y, mask, allowed = make_transition_data(
            n_samples=200, n_classes=7, n_valid=3, n_features=4, random_state=0, return_allowed=True
        )
        assert X.shape == (200, 4) and X.dtype == np.float64
        assert y.shape == (200,) and y.dtype.kind == "i"
        assert isinstance(mask, ClassMask) and len(mask) == 200 and mask.n_classes == 7
        assert allowed.shape == (7, 7) and allowed.dtype == bool
        assert len(make_transition_data(n_samples=10, random_state=0)) == 3

    def test_state_column_and_mask(self):
        k, n_valid = 6, 2
        X, y, mask, allowed = make_transition_data(
            n_samples=150, n_classes=k, n_valid=n_valid, n_features=3, random_state=1, return_allowed=True
        )
        state = X[:, 0]
        assert np.array_equal(state, np.round(state))
        assert state.min() >= 0 and state.max() < k
        state = state.astype(int)
        for s in range(k):
            assert allowed[s, s], "each state allows itself"
            assert allowed[s].sum() == n_valid
        dense = mask.to_dense()
        for i in range(len(y)):
            assert dense[i].tolist() == allowed[state[i]].tolist()

    def test_labels_valid_under_mask(self):
        X, y, mask = make_transition_data(n_samples=300, n_classes=8, n_valid=3, random_state=2)
        dense = mask.to_dense()
        for i, label in enumerate(y):
            assert 0 <= label < 8
            assert dense[i, label], f"row {i}: label {label} not allowed"

    def test_single_valid_state_means_staying(self):
        X, y, mask = make_transition_data(n_samples=50, n_classes=4, n_valid=1, n_features=2, random_state=3)
        np.testing.assert_array_equal(y, X[:, 0].astype(int))

    def test_reproducible(self):
        a = make_transition_data(n_samples=80, n_classes=5, n_valid=2, random_state=42, return_allowed=True)
        b = make_transition_data(n_samples=80, n_classes=5, n_valid=2, random_state=42, return_allowed=True)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert a[2] == b[2]
        np.testing.assert_array_equal(a[3], b[3])
        g1 = make_transition_data(n_samples=80, n_classes=5, n_valid=2, random_state=np.random.default_rng(7))
        g2 = make_transition_data(n_samples=80, n_classes=5, n_valid=2, random_state=np.random.default_rng(7))
        np.testing.assert_array_equal(g1[0], g2[0])
        np.testing.assert_array_equal(g1[1], g2[1])

    def test_different_seeds_differ(self):
        a = make_transition_data(n_samples=80, n_classes=5, n_valid=2, random_state=1)
        b = make_transition_data(n_samples=80, n_classes=5, n_valid=2, random_state=2)
        assert not np.array_equal(a[0], b[0])

    def test_no_samples(self):
        X, y, mask = make_transition_data(n_samples=0, n_classes=3, n_valid=2, n_features=2, random_state=0)
        assert X.shape == (0, 2) and y.shape == (0,) and len(mask) == 0

    @pytest.mark.parametrize(
        "kwargs, pattern",
        [
            (dict(n_samples=-1), r"n_samples: expected an integer >= 0; got -1"),
            (dict(n_samples=2.5), r"n_samples: expected an integer >= 0; got 2.5"),
            (dict(n_classes=1), r"n_classes: expected an integer >= 2; got 1"),
            (dict(n_classes=True), r"n_classes: expected an integer >= 2; got True"),
            (dict(n_valid=0), r"n_valid: expected an integer >= 1; got 0"),
            (dict(n_classes=4, n_valid=5), r"n_valid: expected <= n_classes=4; got 5"),
            (dict(n_features=1), r"n_features: expected an integer >= 2; got 1"),
        ],
    )
    def test_bad_arguments(self, kwargs, pattern):
        with pytest.raises(ValueError, match=pattern):
            make_transition_data(**{"n_samples": 10, "random_state": 0, **kwargs})

    @pytest.mark.parametrize("noise", [np.nan, np.inf])
    def test_bad_noise(self, noise):
        with pytest.raises(ValueError, match=r"noise"):
            make_transition_data(n_samples=10, noise=noise, random_state=0)
