"""Class labels: the one-pass jitted check against a plain Python reading of the rule."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import boostobj
from boostobj import _inputs
from boostobj._inputs import check_labels
from boostobj._kernels.labels import labels_as_int64

LIMIT = 1 << 62  # the one-pass check's bound for n_classes=None
CHECK_LIMIT = 1 << 63  # check_labels' bound for n_classes=None: int64


def _not_integer(v):
    v = v.item()
    return isinstance(v, float) and (math.isnan(v) or math.isinf(v) or v != int(v))


def first_bad_row(values, limit):
    """The first row that is not an integer in [0, limit), by Python's exact arithmetic."""
    for i, v in enumerate(values):
        if _not_integer(v) or not 0 <= int(v.item()) < limit:
            return i
    return -1


def reported_row(values, limit):
    """The row ``check_labels`` names: the first that is not an integer, else the first out
    of range."""
    rows = [i for i, v in enumerate(values) if _not_integer(v)]
    return rows[0] if rows else first_bad_row(values, limit)


FLOATS = st.one_of(
    st.integers(-3, 12).map(float),
    st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 0.5, 2.5, 1e300, -1e300, 2.0**62, 2.0**63, 4.9999999]),
)
INTS = st.one_of(st.integers(-3, 12), st.sampled_from([2**31 - 1, -(2**31), 2**62 - 1, 2**62, 2**63 - 1]))


@st.composite
def labels(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int32, np.int64]))
    elements = FLOATS if np.dtype(dtype).kind == "f" else INTS
    if dtype == np.int32:
        elements = elements.filter(lambda v: -(2**31) <= v < 2**31)
    if dtype == np.float32:
        elements = elements.filter(lambda v: not abs(v) > 3e38)
    return draw(hnp.arrays(dtype, st.integers(0, 40), elements=elements))


@settings(max_examples=300, deadline=None)
@given(y=labels(), limit=st.sampled_from([1, 3, 10, LIMIT]))
def test_one_pass_check_is_the_rule(y, limit):
    out = np.full(len(y), -7, np.int64)
    row = labels_as_int64(y, limit, out)
    assert row == first_bad_row(y, limit)
    if row < 0:
        assert out.tolist() == [int(v) for v in y.tolist()]


@pytest.mark.parametrize("jitted", [True, False])  # the one-pass check from any size, or never
@settings(max_examples=200, deadline=None)
@given(y=labels(), n_classes=st.sampled_from([2, 5, 10, None]))
def test_check_labels_returns_the_labels_or_names_the_first_bad_row(jitted, y, n_classes):
    row = reported_row(y, CHECK_LIMIT if n_classes is None else n_classes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_inputs, "FAST_LABELS_MIN_ROWS", 0 if jitted else 1 << 62)
        if row < 0:
            out = check_labels(y, len(y), n_classes)
            assert out.dtype == np.int64 and out.tolist() == [int(v) for v in y.tolist()]
        else:
            with pytest.raises(ValueError, match=rf"^y_true: .*\brow {row}\b"):
                check_labels(y, len(y), n_classes)


@pytest.mark.parametrize(
    ("y", "n_classes", "message"),
    [
        (np.array([0.0, 1.0, 1e300]), 3, "label 1e+300 in row 2 is out of range"),  # was -9223372036854775808
        (np.array([0, 1, 2**63], np.uint64), None, "label 9223372036854775808 in row 2 is out of range"),
        (
            np.array([0.0, 2.0**63]),
            None,
            "row 1 is out of range; expected non-negative integer class indices below",
        ),
        (np.array([0.0, np.nan]), 3, "row 1 has nan"),
        (np.array([0, 1, 5], np.int16), 3, "label 5 in row 2 is out of range"),  # NumPy's path
    ],
)
def test_out_of_range_labels_are_named_as_given(y, n_classes, message, recwarn, monkeypatch):
    monkeypatch.setattr(_inputs, "FAST_LABELS_MIN_ROWS", 0)
    with pytest.raises(ValueError, match=re.escape(message)):
        check_labels(y, len(y), n_classes)
    assert not [w for w in recwarn if "invalid value encountered in cast" in str(w.message)]


@pytest.mark.parametrize("jitted", [True, False])
def test_labels_up_to_the_int64_maximum_are_taken_without_n_classes(jitted, monkeypatch):
    monkeypatch.setattr(_inputs, "FAST_LABELS_MIN_ROWS", 0 if jitted else 1 << 62)
    y = np.array([0, 2**62, 2**63 - 1], np.int64)
    assert check_labels(y, 3, None).tolist() == y.tolist()
    assert check_labels(y.astype(np.float64)[:2], 2, None).tolist() == [0, 2**62]


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float64, np.int32, np.int64, np.int8, np.uint16, np.float16, bool]
)
def test_every_label_dtype_gives_a_fresh_int64_array(dtype, monkeypatch):
    monkeypatch.setattr(_inputs, "FAST_LABELS_MIN_ROWS", 0)
    y = np.array([1, 0, 1, 1], dtype=dtype)
    out = check_labels(y, 4, 2)
    assert out.dtype == np.int64 and out.tolist() == [1, 0, 1, 1]
    out[0] = 0  # the caller's labels are never written through the result
    assert y[0] == 1


def test_the_one_pass_check_runs_from_fast_labels_min_rows(monkeypatch):
    calls = []
    monkeypatch.setattr(_inputs._labels, "labels_as_int64", lambda *a: calls.append(len(a[0])) or -1)
    n = _inputs.FAST_LABELS_MIN_ROWS
    check_labels(np.zeros(n - 1, np.float32), n - 1, 3)
    check_labels(np.zeros(n, np.float32), n, 3)
    check_labels(np.zeros(n, np.int8), n, 3)  # not a dtype the kernel takes
    assert sum(calls) == n  # in one chunk per thread share (see the test below)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("bad_rows", [[], [0], [131071], [131072, 400000], [524287], [5, 524287]])
def test_labels_checked_in_chunks_name_the_first_bad_row(bad_rows, threads):
    n = 1 << 19  # chunks of the kernels' threads (run_rows)
    rng = np.random.default_rng(len(bad_rows))
    y = rng.integers(0, 5, n).astype(np.float32)
    for i, row in enumerate(bad_rows):
        y[row] = [7.0, 2.5][i % 2]
    before = boostobj.get_num_threads()
    boostobj.set_num_threads(threads)
    try:
        if not bad_rows:
            out = check_labels(y, n, 5)
            assert out.dtype == np.int64 and np.array_equal(out, y.astype(np.int64))
            return
        with pytest.raises(ValueError, match=rf"row {reported_row(y[: max(bad_rows) + 1], 5)} "):
            check_labels(y, n, 5)
    finally:
        boostobj.set_num_threads(before)
