"""Validation of user inputs and their conversion to the arrays the kernels take.

Every public entry point (losses, metrics, adapters) goes through these functions, so
each bad input is caught once, with one message naming the argument, what was
expected and what was found. Kernels only ever receive clean, contiguous arrays.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._kernels import labels as _labels
from ._kernels import multiclass as _mk
from ._kernels import softmax as _sm
from ._threads import run_rows
from .masks import ClassMask

_NO_INDPTR = np.zeros(1, dtype=np.int64)
_NO_INDICES = np.zeros(0, dtype=np.int32)
_FLOATS = (np.float32, np.float64)
#: Label dtypes checked in one jitted pass (``_kernels.labels``) from FAST_LABELS_MIN_ROWS
#: rows on; others, and fewer rows, go through NumPy. The pass saves about 1 ms per million
#: float labels a call and compiles once, in 0.13 s: below 2**18 rows it would save less
#: than 0.25 ms a call, hundreds of calls to win back the compile.
_FAST_LABELS = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64))
FAST_LABELS_MIN_ROWS = 1 << 18
#: With ``n_classes=None`` the one-pass check takes labels below this (float labels below
#: it convert to int64 exactly) and leaves larger ones to NumPy, which takes any label
#: that fits int64.
_FAST_NO_CLASS_LIMIT = 1 << 62
#: Share of valid entries from which the dense gradient kernel is used, judged on the first
#: DENSE_SAMPLE_ROWS rows. Measured with bench/profile_kernels.py: dense is faster at K=24
#: with 6 valid (0.25) and with all valid, slower at K=100 with 10 (0.1), K=1000 with 20.
DENSE_MIN_VALID_SHARE = 0.2
DENSE_SAMPLE_ROWS = 256
_unit_weights = np.ones(0)
#: ``unit_weights`` shares its ones up to this many rows (32 MiB kept for the process's
#: life at most); larger calls get new ones, as before the sharing.
UNIT_WEIGHTS_MAX_ROWS = 1 << 22
#: Effective weights must stay below the outputs' largest float over this: the gradient
#: and Hessian of a loss are at most a few times the weight.
WEIGHT_HEADROOM = 16.0


def check_raw_prediction(raw: Any, *, multiclass: bool, name: str = "raw_prediction") -> np.ndarray:
    """Margins as a float32/float64 array, C or F contiguous, of shape (n, K) or (n,).

    Float32 and float64 keep their dtype and memory order (so the kernels read
    XGBoost's float32 C arrays and LightGBM's float64 F arrays without copies), in native
    byte order; any other real dtype becomes float64.
    """
    if not hasattr(raw, "__array__") and not isinstance(raw, (list, tuple)):
        raise TypeError(f"{name}: expected an array of margins, got {type(raw).__name__}")
    arr = np.asarray(raw)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.dtype.type not in _FLOATS:
        arr = arr.astype(np.float64)
    elif not arr.dtype.isnative:  # big-endian data: the kernels read native floats
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if multiclass:
        if arr.ndim != 2:
            hint = (
                "; reshape flat backend output with raw.reshape(n_samples, n_classes)"
                if arr.ndim == 1
                else ""
            )
            raise ValueError(
                f"{name}: expected a 2-D array (n_samples, n_classes); got shape {arr.shape}{hint}"
            )
        if arr.shape[1] < 2:
            raise ValueError(f"{name}: a multiclass loss needs at least 2 classes; got shape {arr.shape}")
    else:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{name}: expected a 1-D array (n_samples,) of margins; got shape {arr.shape}")
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    return arr


def check_labels(y: Any, n_rows: int, n_classes: int | None, name: str = "y_true") -> np.ndarray:
    """Labels as an int64 array of shape (n_rows,), each in ``[0, n_classes)``.

    Integer-valued floats (XGBoost and LightGBM store labels as floats) are accepted.
    ``n_classes=None`` checks only that labels are non-negative integers (below 2**63,
    to fit int64).
    """
    expected = (
        "non-negative integer class indices"
        if n_classes is None
        else f"integer class indices 0..{n_classes - 1}"
    )
    if y is None:
        raise ValueError(f"{name}: labels are required")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n_rows,):
        raise ValueError(f"{name}: expected shape ({n_rows},) to match the margins; got {arr.shape}")
    if arr.dtype in _FAST_LABELS and n_rows >= FAST_LABELS_MIN_ROWS:  # native byte order
        out = np.empty(n_rows, dtype=np.int64)
        limit = _FAST_NO_CLASS_LIMIT if n_classes is None else n_classes
        if run_rows(_labels_chunk, n_rows, 1, arr, limit, out)[0] == _sm.OK:
            return out
        # a bad label: the checks below name it
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected {expected}, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: expected {expected}; row {row} has {arr[row].item()!r}")
    # the range is checked before the cast, which would wrap labels beyond int64
    bad = (arr < 0) | (arr >= (2**63 if n_classes is None else n_classes))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = arr[row].item()  # an integer, or an integer-valued float (checked above)
        text = repr(int(value)) if abs(value) < 1e15 else repr(value)
        if n_classes is None and not value < 0:
            expected += " below 2**63 (int64)"
        raise ValueError(f"{name}: label {text} in row {row} is out of range; expected {expected}")
    return arr.astype(np.int64)


def _labels_chunk(arr: np.ndarray, limit: int, out: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """``labels_as_int64`` on rows ``lo <= i < hi``, as a ``run_rows`` kernel: the labels
    of a large call are checked on the kernels' threads (about 1.2 ms per million float32
    labels on one thread, every boosting round)."""
    row = _labels.labels_as_int64(arr[lo:hi], limit, out[lo:hi])
    return (_sm.OK, -1) if row < 0 else (_sm.ERR_LABEL_INVALID, lo + row)


def unit_weights(n_rows: int) -> np.ndarray:
    """Float64 ones of shape (n_rows,), shared: the weights of a call without sample or
    class weights. Never write into them.

    One array of the largest ``n_rows`` asked for so far (up to ``UNIT_WEIGHTS_MAX_ROWS``)
    is kept and sliced, so that unweighted calls (every boosting round) neither allocate
    nor fault in 8 bytes per row each time (0.75 ms per million rows here), and
    ``outputs`` skips their overflow check. Not flagged read-only: numba compiles
    read-only arrays as a type of their own, so every kernel would be compiled twice, for
    weighted and unweighted calls; ``tests/test_inputs.py`` checks that they are still all
    ones after every kind of call.
    """
    global _unit_weights
    if n_rows > UNIT_WEIGHTS_MAX_ROWS:
        return np.ones(n_rows)
    ones = _unit_weights
    if ones.shape[0] < n_rows:
        ones = np.ones(n_rows)
        _unit_weights = ones
    return ones[:n_rows]


def is_unit_weights(weight: np.ndarray) -> bool:
    """Whether ``weight`` was made by ``unit_weights`` (all ones, nothing to check)."""
    return weight.base is not None and weight.base is _unit_weights


def check_labels_valid(y: np.ndarray, mask: ClassMask, name: str = "y_true") -> None:
    """Raise unless each label is one of its row's valid classes."""
    ok = mask.contains(y)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise invalid_label_error(name, y, row, mask.indices[mask.indptr[row] : mask.indptr[row + 1]])


def invalid_label_error(name: str, y: np.ndarray, row: int, valid: Any) -> ValueError:
    """The error for a label that is not one of its row's valid classes."""
    valid = np.asarray(valid).tolist()
    return ValueError(f"{name}: the label {int(y[row])} of row {row} is not one of its valid classes {valid}")


def n_rows_of(X: Any) -> int:
    """The number of rows of a feature matrix (array, DataFrame, sparse matrix)."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        raise TypeError(f"X: expected a 2-D feature matrix, got {type(X).__name__}") from None


def check_sample_weight(
    sample_weight: Any, n_rows: int, name: str = "sample_weight", dtype: Any = np.float64
) -> np.ndarray | None:
    """``None`` or a float64 array of shape (n_rows,) of finite, non-negative weights.

    ``dtype``: the precision the backend will read them in (float32 for XGBoost); the
    weights must stay finite in it.
    """
    if sample_weight is None:
        return None
    arr = np.asarray(sample_weight)
    if arr.dtype.kind not in "iufb":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64).reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr.astype(np.float64)
    if arr.shape != (n_rows,):
        raise ValueError(f"{name}: expected shape ({n_rows},); got {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: weights must be finite and >= 0; row {row} has {arr[row].item()!r}")
    limit = float(np.finfo(dtype).max) / WEIGHT_HEADROOM
    if arr.size and arr.max() > limit:
        row = int(np.argmax(arr))
        raise ValueError(
            f"{name}: row {row} has {arr[row].item()!r}; in {np.dtype(dtype).name} (the precision the "
            f"backend reads weights in) the gradients overflow for weights above {limit:g}; scale the "
            f"weights down"
        )
    arr += 0.0  # -0.0 becomes +0.0 (it passes the check): 0 * w is then +0.0 in every kernel
    return arr


def check_mask(mask: Any, n_rows: int, n_classes: int, what: str = "raw_prediction") -> ClassMask | None:
    """``None`` or a ``ClassMask`` with ``n_rows`` rows and ``n_classes`` classes."""
    if mask is None:
        return None
    mask = ClassMask.coerce(mask, n_classes=None if isinstance(mask, ClassMask) else n_classes)
    if mask.n_classes != n_classes:
        raise ValueError(
            f"mask: has {mask.n_classes} classes but {what} has {n_classes} columns "
            f"(num_class); they must match"
        )
    mask.check_rows(n_rows, what)
    return mask


def check_out(out: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    """A caller-supplied output array: right shape, float32/float64, C or F contiguous."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}; got {out.shape}")
    if out.dtype.type not in _FLOATS:
        raise TypeError(f"{name}: expected float32 or float64; got {out.dtype}")
    if not out.dtype.isnative:
        raise TypeError(
            f"{name}: expected float32 or float64 in this machine's byte order; got {out.dtype.str} "
            f"(write into a new array, then convert it)"
        )
    if not (out.flags.c_contiguous or out.flags.f_contiguous) or not out.flags.writeable:
        raise ValueError(f"{name}: must be a writeable C- or F-contiguous array")
    return out


def is_f_only(raw: np.ndarray) -> bool:
    """Fortran-ordered and not also C-ordered (a 2-D array kept in column order)."""
    return bool(raw.flags.f_contiguous and not raw.flags.c_contiguous)


def new_like(raw: np.ndarray, dtype: Any = None) -> np.ndarray:
    """An uninitialised array of ``raw``'s shape, in its memory order."""
    order = "F" if raw.ndim == 2 and is_f_only(raw) else "C"
    return np.empty(raw.shape, dtype=dtype or raw.dtype, order=order)


def check_positive_number(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number; got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number; got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: expected a number {'>=' if allow_zero else '>'} 0; got {value!r}")
    return float(value)


def explicit_class_weight(spec: Any, n_classes: int, name: str = "class_weight") -> np.ndarray:
    """A dict or array-like class-weight specification as a (K,) float64 array."""
    if isinstance(spec, dict):
        weights = np.ones(n_classes)
        for cls, value in spec.items():
            if isinstance(cls, bool) or not isinstance(cls, (int, np.integer)) or not 0 <= cls < n_classes:
                raise ValueError(f"{name}: keys must be class indices 0..{n_classes - 1}; got {cls!r}")
            weights[cls] = value
        return weights + 0.0  # -0.0 becomes +0.0, as in check_sample_weight
    weights = np.asarray(spec, dtype=np.float64)
    if weights.shape != (n_classes,):
        raise ValueError(f"{name}: expected shape ({n_classes},); got {weights.shape}")
    return weights + 0.0  # -0.0 becomes +0.0, as in check_sample_weight


def apply_class_weight(
    w: np.ndarray,
    spec: Any,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    n_classes: int,
    name: str = "class_weight",
) -> np.ndarray:
    """Per-row weights ``w * class_weight[y]`` (a new array), computed without overflow.

    ``spec``: None, ``"balanced"`` (``sum(w) / (n_present_classes * sum(w of class k))``,
    from these labels and sample weights) or an explicit dict/array. ``"balanced"`` is
    applied as ``(w / count[y]) * (total / n_present)``: with tiny sample weights the class
    weight itself can overflow although the product cannot.
    """
    if spec is None:
        return w.copy()
    if isinstance(spec, str):
        counts = np.bincount(y, weights=sample_weight, minlength=n_classes)
        present = counts > 0
        total = counts.sum() / max(int(present.sum()), 1)  # no weight at all: every row keeps w = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(w > 0, w / np.where(present, counts, 1.0)[y], 0.0) * total
    else:
        out = w * explicit_class_weight(spec, n_classes, name=name)[y]
    if not np.isfinite(out).all():
        row = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(
            f"{name}: sample weight times class weight overflows in row {row}; scale the weights down"
        )
    return out


def check_class_weight_spec(spec: Any, name: str = "class_weight") -> None:
    if spec is None:
        return
    if isinstance(spec, str):
        if spec != "balanced":
            raise ValueError(f"{name}: expected None, 'balanced', a dict or an array; got {spec!r}")
        return
    values = list(spec.values()) if isinstance(spec, dict) else spec
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers; got {spec!r}") from None
    if arr.ndim != 1 or not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name}: weights must be a 1-D set of finite numbers >= 0; got {spec!r}")


def dense_pays(raw: np.ndarray) -> bool:
    """Whether a dense kernel (every entry through straight loops) beats a gathering one
    (only the valid entries) on margins that carry the mask: when at least
    ``DENSE_MIN_VALID_SHARE`` of the entries of the first rows are valid. The dense
    kernel exponentiates every entry but skips the gather and the scatter."""
    sample = raw[:DENSE_SAMPLE_ROWS]
    return np.count_nonzero(sample > _sm.INVALID_BELOW) >= DENSE_MIN_VALID_SHARE * sample.size


def dense_softmax_kernel(raw: np.ndarray, grad: np.ndarray) -> Callable[..., Any] | None:
    """The dense softmax gradient kernel for margins that carry the mask, or ``None`` when
    the gathering one (``softmax_grad_hess``) is faster. All give bitwise the same outputs.

    Column-major outputs (LightGBM's layout): ``softmax_grad_hess_dense_cols``, faster than
    gathering even with 2% of the classes valid, except for at most ``SMALL_K`` classes,
    where the row-major dense kernel, compiled for the exact K, runs (0.69x the time at
    K = 2 to 0.93x at K = 7 on one machine, 0.94x to 1.23x on another: ``python
    bench/small_k.py``'s second table); row-major outputs:
    ``softmax_grad_hess_dense`` when ``dense_pays`` (measured with bench/profile_kernels.py).
    """
    if grad.strides[0] < grad.strides[1]:  # column-major
        small = raw.shape[1] <= _mk.SMALL_K
        return _mk.softmax_grad_hess_dense if small else _mk.softmax_grad_hess_dense_cols
    return _mk.softmax_grad_hess_dense if dense_pays(raw) else None


@dataclass
class MulticlassBatch:
    """Kernel-ready inputs of a multiclass call.

    raw : (n, K) float32/float64, C or F contiguous; y : (n,) int64 or None;
    weight : (n,) float64 (sample weight times class weight; ones if neither);
    indptr, indices : the CSR mask, or placeholders when ``from_margin``;
    mask : the ``ClassMask`` or ``None`` (read from the margins).
    """

    raw: np.ndarray
    y: np.ndarray | None
    weight: np.ndarray
    mask: ClassMask | None

    @property
    def n_rows(self) -> int:
        return self.raw.shape[0]

    @property
    def n_classes(self) -> int:
        return self.raw.shape[1]

    @property
    def from_margin(self) -> bool:
        return self.mask is None

    @property
    def indptr(self) -> np.ndarray:
        return _NO_INDPTR if self.mask is None else self.mask.indptr

    @property
    def indices(self) -> np.ndarray:
        return _NO_INDICES if self.mask is None else self.mask.indices

    def valid_classes(self, row: int) -> list[int]:
        """The valid classes of one row (for error messages)."""
        if self.mask is None:
            return np.flatnonzero(self.raw[row] > _sm.INVALID_BELOW).tolist()
        return self.mask.indices[self.mask.indptr[row] : self.mask.indptr[row + 1]].tolist()

    def check_labels_valid(self) -> None:
        """Raise unless each label is valid in its row (for callers that run no label kernel)."""
        if self.mask is not None:
            check_labels_valid(self.y, self.mask, "y_true")
            return
        bad = self.raw[np.arange(self.n_rows), self.y] <= _sm.INVALID_BELOW
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise invalid_label_error("y_true", self.y, row, self.valid_classes(row))

    def dense_kernel(self, grad: np.ndarray) -> Callable[..., Any] | None:
        """The dense gradient kernel for this batch writing into ``grad``, or ``None`` for
        the gathering one: only masks read from the margins (the training path) go dense,
        see ``dense_softmax_kernel``."""
        return dense_softmax_kernel(self.raw, grad) if self.mask is None else None

    def run(self, kernel: Callable[..., Any], *args: Any) -> None:
        """Run a row kernel (threaded by policy) and turn its status into an error."""
        status, row = run_rows(kernel, self.n_rows, self.n_classes, *args)
        if status != _sm.OK:
            raise_for_status(status, row, self)


def multiclass_batch(
    y_true: Any,
    raw_prediction: Any,
    sample_weight: Any,
    mask: Any,
    class_weight: Any = None,
    *,
    need_labels: bool = True,
    ignore_index: int | None = None,
) -> MulticlassBatch:
    """Validate a multiclass call's inputs (see ``MulticlassBatch``).

    ``class_weight`` is a specification (see ``apply_class_weight``), resolved
    against this call's labels and sample weights. Rows labelled ``ignore_index`` get
    weight 0 (so gradient 0, Hessian at its floor, loss 0) and, for the kernels, the
    first valid class of their row as a stand-in label.
    """
    raw = check_raw_prediction(raw_prediction, multiclass=True)
    n, k = raw.shape
    ignored = None
    if need_labels and ignore_index is not None and y_true is not None:
        labels = np.asarray(y_true)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        ignored = labels == ignore_index
        if ignored.shape == (n,) and ignored.any():
            y_true = np.where(ignored, 0, labels)
        else:
            ignored = None
    y = check_labels(y_true, n, k) if need_labels else None
    sw = check_sample_weight(sample_weight, n)
    cmask = check_mask(mask, n, k)
    if ignored is not None:
        sw = np.ones(n) if sw is None else sw.copy()
        sw[ignored] = 0.0
        y[ignored] = _first_valid(raw, cmask, np.flatnonzero(ignored))
    weight = unit_weights(n) if sw is None else sw
    if class_weight is not None and y is not None:
        weight = apply_class_weight(weight, class_weight, y, sw, k)
    return MulticlassBatch(raw, y, weight, cmask)


def _first_valid(raw: np.ndarray, mask: ClassMask | None, rows: np.ndarray) -> np.ndarray:
    """The first valid class of each of ``rows`` (a stand-in label for ignored rows)."""
    if mask is not None:
        return mask.indices[mask.indptr[rows]].astype(np.int64)
    return np.argmax(raw[rows] > _sm.INVALID_BELOW, axis=1).astype(np.int64)


def check_ignore_index(value: Any) -> int | None:
    """``None`` or an integer label meaning "no label" (PyTorch's ``ignore_index``)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise TypeError(f"ignore_index: expected an integer or None; got {value!r}")
    return value


def raise_for_status(status: int, row: int, batch: MulticlassBatch | None = None) -> None:
    """Turn a kernel's ``(status, row)`` into a clear ``ValueError``."""
    if status == _sm.ERR_NONFINITE:
        raise ValueError(
            f"raw_prediction: row {row} has a NaN or infinite margin; margins must be finite "
            f"on valid classes (with no mask, a margin <= {_sm.INVALID_BELOW:g}, such as the "
            f"{_sm.INVALID_OFFSET:g} offset or -inf, marks an invalid class; NaN never does)"
        )
    if status == _sm.ERR_EMPTY_ROW:
        raise ValueError(
            f"raw_prediction: row {row} has no valid class (every margin <= "
            f"{_sm.INVALID_BELOW:g}); every row needs at least one"
        )
    if status == _sm.ERR_LABEL_INVALID and batch is not None and batch.y is not None:
        raise invalid_label_error("y_true", batch.y, row, batch.valid_classes(row))
    raise RuntimeError(f"kernel failed with status {status} at row {row}")  # pragma: no cover


def unshared(array: np.ndarray, grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """``array`` (an input of the call: margins, soft targets), or a copy of it in the same
    memory order when it shares memory with an output, which the kernels may write
    before they have read all of it."""
    if np.shares_memory(array, grad) or np.shares_memory(array, hess):
        return array.copy(order="K")
    return array


def outputs(
    gradient_out: Any, hessian_out: Any, raw: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Caller-supplied (validated, distinct) or new output arrays of ``raw``'s shape and
    order, and the margins for the kernels to read: ``raw``, or a copy of it (same memory
    order) when an output shares memory with it. Such a call (``gradient_out=raw``)
    would otherwise have the kernels read margins they have already overwritten (a
    gathering kernel writes a block's rows before it checks their labels), and its error
    messages (a row's valid classes or margins, read after the kernel ran) describe
    overwritten margins.

    ``weight``: the call's effective per-row weights (sample times class weight), which
    scale the gradient and Hessian; they must leave room in the outputs' precision
    (float32 for the backends: XGBoost and LightGBM would train on an overflowed inf).
    """
    grad = new_like(raw) if gradient_out is None else check_out(gradient_out, raw.shape, "gradient_out")
    hess = new_like(raw) if hessian_out is None else check_out(hessian_out, raw.shape, "hessian_out")
    if np.shares_memory(grad, hess):
        raise ValueError("gradient_out, hessian_out: must be distinct arrays; they share memory")
    if gradient_out is not None or hessian_out is not None:
        raw = unshared(raw, grad, hess)
    if weight is not None and weight.size and not is_unit_weights(weight):
        dtype = np.float32 if np.float32 in (grad.dtype, hess.dtype) else np.float64
        limit = float(np.finfo(dtype).max) / WEIGHT_HEADROOM
        if weight.max() > limit:
            row = int(np.argmax(weight))
            raise ValueError(
                f"sample_weight: the weight of row {row} (sample weight times class weight) is "
                f"{float(weight[row]):g}; gradients and Hessians in {np.dtype(dtype).name} overflow "
                f"for weights above {limit:g}; scale the weights down"
            )
    return grad, hess, raw


def reject_binary_mask(mask: Any) -> None:
    if mask is not None:
        raise ValueError(
            "mask: a binary loss has one margin per row and no per-row classes; for per-row "
            "valid classes use a multiclass loss (e.g. SoftmaxLoss) with two classes"
        )


def run_binary(kernel: Any, raw: np.ndarray, *args: Any) -> None:
    status, row = run_rows(kernel, raw.shape[0], 1, raw, *args)
    if status != _sm.OK:
        raise_for_status(status, row)


def binary_weights(
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    class_weight: Any,
    pos_weight: float = 1.0,
    name: str = "class_weight",
) -> np.ndarray:
    """Per-row weights of a one-margin loss: sample weight x class weight x ``pos_weight`` on y == 1
    (the shared ``unit_weights`` when there are none: never write into the result)."""
    if sample_weight is None and class_weight is None and pos_weight == 1.0:
        return unit_weights(y.size)
    w = np.ones(y.size) if sample_weight is None else sample_weight
    w = apply_class_weight(w, class_weight, y, sample_weight, 2, name=name)
    if pos_weight != 1.0:
        w[y == 1] *= pos_weight
    return w


def binary_batch(
    y_true: Any,
    raw_prediction: Any,
    sample_weight: Any,
    mask: Any,
    class_weight: Any,
    pos_weight: float = 1.0,
    name: str = "class_weight",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``(raw (n,), y (n,) int64 in {0, 1}, weight (n,))`` of a one-margin loss call."""
    raw = check_raw_prediction(raw_prediction, multiclass=False)
    reject_binary_mask(mask)
    y = check_labels(y_true, raw.shape[0], 2)
    sw = check_sample_weight(sample_weight, raw.shape[0])
    return raw, y, binary_weights(y, sw, class_weight, pos_weight, name)
