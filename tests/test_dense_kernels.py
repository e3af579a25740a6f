"""The dense kernels against the gathering ones through the public losses: regressions
found by review (outputs written over the margins, weights of -0.0).

A dense kernel must give what the gathering kernel gives (bitwise, same errors) on the
public path with the mask read from the margins; the kernels themselves are compared
directly, with hypothesis, in test_kernels.py, test_grouped.py and test_multilabel.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import boostobj


def _margins():
    raw = np.array([[0.5, -1e30, 1.0, 2.0]] * 5)  # class 1 invalid in every row: dense path
    y = np.array([0, 1, 0, 0, 0])  # row 1: its label is an invalid class
    return raw, y


@pytest.mark.parametrize("order", ["C", "F"])  # the row-wise and the column-wise dense kernel
@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
def test_label_on_an_invalid_class_raises_when_an_output_is_the_margins(out, order):
    """Writing the results over the margins (in place) is accepted, and worked with the
    gathering kernel; the dense kernel re-read ``raw[i, y[i]]`` after writing row ``i``
    and so missed the invalid label (returned gradient -w on an invalid class)."""
    raw, y = _margins()
    raw = np.asarray(raw, order=order)
    with pytest.raises(ValueError, match="the label 1 of row 1 is not one of its valid classes"):
        boostobj.SoftmaxLoss().gradient_hessian(y, raw, **{out: raw})


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
def test_in_place_outputs_equal_fresh_outputs(out, order):
    rng = np.random.default_rng(0)
    raw = np.asarray(rng.normal(size=(2600, 6)), order=order)  # several blocks of either kernel
    raw[rng.random(raw.shape) < 0.3] = -1e30
    raw[:, 0] = 0.25
    y = np.zeros(len(raw), np.int64)
    grad, hess = boostobj.SoftmaxLoss().gradient_hessian(y, raw)
    inplace = raw.copy()
    g, h = boostobj.SoftmaxLoss().gradient_hessian(y, inplace, **{out: inplace})
    np.testing.assert_array_equal(g, grad)
    np.testing.assert_array_equal(h, hess)


@pytest.mark.parametrize("order", ["C", "F"])
def test_negative_zero_weight_gives_the_gathering_kernels_bits(order):
    """A weight of -0.0 passes validation (it is not < 0). The gathering kernel writes +0.0
    on invalid classes; the dense one wrote ``0 * w = -0.0``."""
    raw = np.array([[0.5, -1e30, 1.0, -np.inf]] * 3, order=order)
    y = np.zeros(3, np.int64)
    w = np.full(3, -0.0)
    loss = boostobj.SoftmaxLoss()
    dense = loss.gradient_hessian(y, raw, sample_weight=w)  # no mask: dense kernel
    gathered = loss.gradient_hessian(y, raw, sample_weight=w, mask=raw > -1e29)  # gathering kernel
    for a, b in zip(dense, gathered, strict=True):
        assert a.tobytes() == b.tobytes(), (a, b)


def test_grouped_negative_zero_weights_and_in_place_outputs():
    from boostobj.grouped import GroupedSoftmaxLoss

    rng = np.random.default_rng(1)
    raw = rng.normal(size=(300, 6))
    raw[rng.random(raw.shape) < 0.2] = -1e30
    raw[:, [0, 3]] = 0.5  # labels 0 and 3 valid in every row
    y = np.zeros((300, 2), np.int64)
    loss = GroupedSoftmaxLoss([3, 3], class_weight=[-0.0, 1, 1, 1, 1, 1])
    w = np.where(np.arange(300) % 2 == 0, -0.0, 1.0)
    dense = loss.gradient_hessian(y, raw, sample_weight=w)
    gathered = loss.gradient_hessian(y, raw, sample_weight=w, mask=raw > -1e29)
    for a, b in zip(dense, gathered, strict=True):
        assert a.tobytes() == b.tobytes()
    inplace = raw.copy()
    for a, b in zip(
        loss.gradient_hessian(y, inplace, sample_weight=w, gradient_out=inplace), dense, strict=True
    ):
        np.testing.assert_array_equal(a, b)
    bad = raw.copy()
    bad[7, 0] = -1e30  # row 7's label of group 0 is no longer valid
    with pytest.raises(ValueError, match="row 7"):
        loss.gradient_hessian(y, bad, gradient_out=bad)


def test_multilabel_in_place_outputs_equal_fresh_outputs():
    rng = np.random.default_rng(2)
    raw = rng.normal(size=(300, 5))
    raw[rng.random(raw.shape) < 0.3] = -1e30
    y = (rng.random((300, 5)) < 0.5).astype(float)
    loss = boostobj.MultiLabelLoss()
    fresh = loss.gradient_hessian(y, raw)
    for out in ("gradient_out", "hessian_out"):
        inplace = raw.copy()
        for a, b in zip(loss.gradient_hessian(y, inplace, **{out: inplace}), fresh, strict=True):
            np.testing.assert_array_equal(a, b)


def _in_place_cases():
    """(name, loss, labels) for every loss whose outputs have the margins' (n, K) shape."""
    from boostobj.grouped import GroupedSoftmaxLoss

    rng = np.random.default_rng(5)
    y = np.zeros(700, np.int64)  # class 0 (and 3) stay valid in every row
    return [
        ("softmax", boostobj.SoftmaxLoss(), y),
        ("focal", boostobj.FocalLoss(gamma=2.0), y),
        ("smoothing", boostobj.LabelSmoothingLoss(0.1), y),
        ("grouped", GroupedSoftmaxLoss([3, 3]), np.zeros((700, 2), np.int64)),  # classes 0 and 3
        ("multilabel", boostobj.MultiLabelLoss(), (rng.random((700, 6)) < 0.5).astype(float)),
        ("custom", boostobj.make_loss(lambda q: -np.log(q), of="label_probability"), y),
    ]


@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("out", ["gradient_out", "hessian_out"])
@pytest.mark.parametrize("case", range(6))
def test_every_loss_writes_over_its_margins_as_into_fresh_arrays(case, out, order, with_mask):
    """Outputs may be the margins themselves: every kernel reads what it needs of a row
    before it writes there (the multi-label kernel for a given mask did not: it filled a
    row with the Hessian floor, then read that floor back as margins)."""
    name, loss, y = _in_place_cases()[case]
    rng = np.random.default_rng(case)
    raw = rng.normal(size=(700, 6))
    valid = rng.random(raw.shape) < 0.7
    valid[:, [0, 3]] = True
    kwargs = {"mask": valid} if with_mask else {}
    raw = np.asarray(np.where(valid, raw, -1e30) if not with_mask else raw, order=order)
    fresh = loss.gradient_hessian(y, raw, **kwargs)
    inplace = raw.copy(order="A")
    result = loss.gradient_hessian(y, inplace, **kwargs, **{out: inplace})
    assert result[0 if out == "gradient_out" else 1] is inplace
    for a, b in zip(result, fresh, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("loss", ["softmax", "grouped"])
def test_the_error_reported_does_not_depend_on_the_thread_count(order, loss):
    """Kernels report the first error block of 256 rows by block (in a block, NaN before an
    invalid label); threads used to start their chunks mid-block, so two threads could name
    another row than one. Chunks now start at multiples of 256 rows."""
    from boostobj.grouped import GroupedSoftmaxLoss

    n, k = 2**17 + 300, 4  # two threads split the rows near 65,686, inside block 65,536-65,791
    raw = np.zeros((n, k), order=order)
    raw[65680, 0] = -1e30  # row 65,680: its label (class 0) is invalid
    raw[65690, 1] = np.nan  # row 65,690: NaN, in the same block
    if loss == "softmax":
        call, y = boostobj.SoftmaxLoss().gradient_hessian, np.zeros(n, np.int64)
        expected = r"^raw_prediction: row 65690 has a NaN"
    else:  # the grouped kernels report the first (row, group) with a problem, in row order
        call, y = GroupedSoftmaxLoss([2, 2]).gradient_hessian, np.zeros((n, 2), np.int64)
        expected = r"^y_true: row 65680, group 0 has a label that is not one of its valid classes"
    before = boostobj.get_num_threads()
    try:
        for threads in (1, 2):
            boostobj.set_num_threads(threads)
            with pytest.raises(ValueError, match=expected):
                call(y, raw)
    finally:
        boostobj.set_num_threads(before)
