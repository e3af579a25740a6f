"""User-defined losses: ``make_loss`` turns row functions into a boostobj loss.

The library does the rest: masks (the functions only see a row's valid classes), sample
and class weights, float32/float64 and C/F layouts, threads, both backends' adapters, the
estimators (``loss=``), input validation, and checks of what the functions return
(length and finiteness, with the row named).

Derivatives the user does not give are derived, never approximated by finite differences:

* ``of="label_probability"`` (the loss depends on the label's probability ``q`` only,
  like the focal loss or the cross-entropy): ``l'(q)`` and ``l''(q)`` by second-order
  forward-mode differentiation of the NumPy expression (``boostobj._jets``), exact to
  rounding, then the chain rule through the masked softmax in O(K) per row
  (``boostobj._kernels.custom``). The full K x K Hessian is never formed.
* ``of="margins"`` (any loss of a row's valid margins): the complex step. The gradient
  ``Im l(f + i s e_j) / s`` is exact to rounding; the Hessian diagonal is exact to rounding
  from a given gradient (complex step of the gradient), and from the loss alone it is the
  second-order complex step along ``exp(i pi / 4)`` with a fixed step 1e-3 (relative
  error below 1e-10 for the cross-entropy of unit-scale margins, growing with the loss's
  curvature: below 1e-6 when the margins are scaled by 100; tested). Each costs ``K_i`` (or
  ``2 K_i``) evaluations of the row function, O(K_i^2) per row: give the derivatives when
  speed matters. The complex step needs the function to be analytic in ``f``:
  ``np.abs``, ``np.real``, ``np.conj``, ``np.sign`` or comparisons applied to the margins
  compile but give wrong derivatives (silently: the complex step cannot tell), except in a
  term whose effect cancels exactly, like a max-shift ``f - np.max(np.real(f))`` inside a
  log-sum-exp.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from . import _inputs, _jets
from ._kernels import custom as _ck
from ._threads import run_rows
from .losses import Loss, SoftmaxLoss, masked_softmax

__all__ = ["make_loss", "CustomLoss"]

_FORMS = ("margins", "label_probability")
_HESSIAN_KINDS = ("positive", "exact")
#: Where the label-probability derivatives are taken: ``q`` clipped to this range, so that
#: ``l''(q) ~ 1 / q^2`` cannot overflow and ``l'(1)`` cannot be ``0 * inf``. ``A = q l'(q)`` and
#: ``B = q^2 l''(q)`` change by far less than a rounding error there for smooth losses.
Q_RANGE = (1e-75, np.nextafter(1.0, 0.0))


class CustomLoss(Loss):
    """A loss built from user functions; made by :func:`make_loss`, which describes it in full.

    Parameters
    ----------
    loss : callable
        The row loss: ``loss(f, classes, y)`` (``of="margins"``) or ``loss(q)`` (``of=
        "label_probability"``).
    gradient, hessian : callable, optional
        Its first and second derivatives; derived when left out.
    of : {"margins", "label_probability"}, default="margins"
        What the functions take.
    hessian_kind : {"positive", "exact"}, default="positive"
        A positive surrogate of the Hessian diagonal, or the diagonal itself.
    hessian_floor : float, default=1e-16
        Hessian of invalid classes and floor of the positive kind.
    class_weight : None, "balanced", dict or array-like of shape (K,), default=None
        As in :class:`SoftmaxLoss`.
    name : str, default="custom"
        The loss's name, also its metric name.

    Examples
    --------
    >>> import numpy as np, boostobj
    >>> poly1 = boostobj.CustomLoss(lambda q: -np.log(q) + (1 - q), of="label_probability")
    >>> grad, hess = poly1.gradient_hessian(np.array([0]), np.zeros((1, 3)))
    >>> grad.shape, bool(grad[0, 0] < 0 < grad[0, 1])
    ((1, 3), True)
    """

    is_multiclass = True

    def __init__(
        self,
        loss: Callable[..., Any],
        gradient: Callable[..., Any] | None = None,
        hessian: Callable[..., Any] | None = None,
        *,
        of: str = "margins",
        hessian_kind: str = "positive",
        hessian_floor: float = 1e-16,
        class_weight: Any = None,
        name: str = "custom",
    ) -> None:
        for arg, fn in (("loss", loss), ("gradient", gradient), ("hessian", hessian)):
            if not (callable(fn) or (fn is None and arg != "loss")):
                raise TypeError(f"{arg}: expected a function; got {type(fn).__name__}")
        if of not in _FORMS:
            raise ValueError(f"of: expected one of {list(_FORMS)}; got {of!r}")
        if hessian_kind not in _HESSIAN_KINDS:
            raise ValueError(f"hessian_kind: expected one of {list(_HESSIAN_KINDS)}; got {hessian_kind!r}")
        _inputs.check_positive_number(hessian_floor, "hessian_floor", allow_zero=True)
        _inputs.check_class_weight_spec(class_weight)
        if not isinstance(name, str) or not name:
            raise TypeError(f"name: expected a non-empty string; got {name!r}")
        self.loss_function = loss
        self.gradient = gradient
        self.hessian = hessian
        self.of = of
        self.hessian_kind = hessian_kind
        self.hessian_floor = hessian_floor
        self.class_weight = class_weight
        self.name = name
        self._compiled: tuple[Any, Any, Any] | None = None

    # the constructor argument ``loss`` is stored as ``loss_function``: ``loss`` is the method
    @classmethod
    def _param_names(cls) -> list[str]:
        return ["loss", *super()._param_names()[1:]]

    def _config(self) -> dict[str, Any]:
        return {"loss": self.loss_function, **{n: getattr(self, n) for n in self._param_names()[1:]}}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_compiled": None}  # compiled code is rebuilt on first use

    # ------------------------------------------------------------------------------------
    def _margin_functions(self) -> tuple[Any, Any, Any]:
        """The jitted ``(loss, gradient, hessian)`` row functions, derived where not given,
        each checked once on a small row (so that a function numba cannot compile, or one
        returning the wrong shape, is named here rather than inside a kernel)."""
        if self._compiled is None:
            self._compiled = _compiled_functions(self.loss_function, self.gradient, self.hessian)
        return self._compiled

    def _label_terms(self, q: np.ndarray, orders: tuple[int, ...]) -> list[np.ndarray]:
        """``l(q)``, ``l'(q)``, ``l''(q)`` for the given ``orders`` (0, 1, 2): given or derived."""
        fns = (self.loss_function, self.gradient, self.hessian)
        names = ("loss", "gradient", "hessian")
        derived = None
        out = []
        for k in orders:
            if k == 0 or fns[k] is not None:
                value = _label_values(names[k], fns[k], q)
            else:
                if derived is None:  # of the Python source: numba cannot take the jets
                    derived = _jets.derivatives(_python_function(self.loss_function), q)
                    _check_label_values(derived[0], q, "loss")  # derivatives of an undefined loss are moot
                value = derived[k]
            out.append(_check_label_values(value, q, names[k]))
        return out

    def _label_batch(self, y_true: Any, raw_prediction: Any, sample_weight: Any, mask: Any):
        batch = _inputs.multiclass_batch(y_true, raw_prediction, sample_weight, mask, self.class_weight)
        proba = np.empty(batch.raw.shape)
        u = np.empty(batch.n_rows)
        batch.run(
            _ck.label_probability,
            batch.raw,
            batch.y,
            batch.indptr,
            batch.indices,
            batch.from_margin,
            proba,
            u,
        )
        return batch, proba, u, proba[np.arange(batch.n_rows), batch.y]

    def gradient_hessian(
        self,
        y_true: Any,
        raw_prediction: Any,
        *,
        sample_weight: Any = None,
        mask: Any = None,
        gradient_out: np.ndarray | None = None,
        hessian_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian diagonal of shape (n, K); see :class:`SoftmaxLoss` for the arguments."""
        positive = self.hessian_kind == "positive"
        floor = float(self.hessian_floor)
        if self.of == "label_probability":
            batch, proba, u, q = self._label_batch(y_true, raw_prediction, sample_weight, mask)
            q = np.clip(q, *Q_RANGE)  # l'(1) and l''(1) can be 0 * inf (e.g. (1 - q)^0.5 log q)
            terms = self._label_terms(q, (1,) if positive else (1, 2))
            a = q * terms[0]
            b = a if positive else q * q * terms[1]  # B is not used by the positive kind
            grad, hess, batch.raw = _inputs.outputs(gradient_out, hessian_out, batch.raw, batch.weight)
            status, row = run_rows(
                _ck.label_grad_hess,
                batch.n_rows,
                batch.n_classes,
                proba,
                batch.y,
                u,
                a,
                b,
                batch.weight,
                not positive,
                floor,
                grad,
                hess,
            )
            if status != 0:
                which = "gradient" if status == _ck.ERR_GRAD_VALUE else "hessian"
                raise ValueError(
                    f"{which}: row {row} gives a non-finite weighted {which} in {grad.dtype} "
                    f"(q = {float(q[row])!r}, q l'(q) = {float(a[row])!r}, "
                    f"weight {float(batch.weight[row])!r}); "
                    f"the loss's derivatives must stay finite at the clipped q (boostobj.custom.Q_RANGE) "
                    f"and fit the output dtype"
                )
            return grad, hess
        batch = _inputs.multiclass_batch(y_true, raw_prediction, sample_weight, mask, self.class_weight)
        grad, hess, batch.raw = _inputs.outputs(gradient_out, hessian_out, batch.raw, batch.weight)
        loss_fn, grad_fn, hess_fn = self._margin_functions()
        check_loss = self.gradient is None  # a derived gradient never sees the loss at real margins
        self._run(
            batch, _ck.margin_grad_hess, loss_fn, grad_fn, hess_fn, check_loss, positive, floor, grad, hess
        )
        return grad, hess

    def loss(
        self, y_true: Any, raw_prediction: Any, *, sample_weight: Any = None, mask: Any = None
    ) -> np.ndarray:
        """Per-row weighted loss, shape (n,), float64."""
        if self.of == "label_probability":
            batch, _, _, q = self._label_batch(y_true, raw_prediction, sample_weight, mask)
            return batch.weight * self._label_terms(np.maximum(q, np.finfo(np.float64).tiny), (0,))[0]
        batch = _inputs.multiclass_batch(y_true, raw_prediction, sample_weight, mask, self.class_weight)
        out = np.empty(batch.n_rows)
        self._run(batch, _ck.margin_loss, self._margin_functions()[0], out)
        return out

    def predict_proba(self, raw_prediction: Any, *, mask: Any = None) -> np.ndarray:
        """Softmax over each row's valid classes, shape (n, K)."""
        return masked_softmax(raw_prediction, mask=mask)

    def init_raw_prediction(
        self, y_true: Any, *, sample_weight: Any = None, mask: Any = None, n_classes: int | None = None
    ) -> np.ndarray:
        """The masked class-prior intercept of :meth:`SoftmaxLoss.init_raw_prediction`."""
        prior = SoftmaxLoss(class_weight=self.class_weight)
        return prior.init_raw_prediction(y_true, sample_weight=sample_weight, mask=mask, n_classes=n_classes)

    def _run(self, batch: _inputs.MulticlassBatch, kernel: Any, *args: Any) -> None:
        """Run a margins-form kernel; turn its status into an error naming the function and row."""
        common = (batch.raw, batch.y, batch.weight, batch.indptr, batch.indices, batch.from_margin)
        try:
            status, row = run_rows(kernel, batch.n_rows, batch.n_classes, *common, *args)
        except IndexError as exc:  # bounds-checked user code
            raise IndexError(f"loss, gradient, hessian: {_index_message(exc)}") from None
        if status == _ck.ERR_LOSS_VALUE:
            raise ValueError(f"loss: returned a non-finite value for row {row}{self._row_text(batch, row)}")
        if status == _ck.ERR_OUT_OVERFLOW:
            raise ValueError(
                f"loss, gradient, hessian: the weighted values of row {row} overflow the output dtype "
                f"{args[-1].dtype} (weight {float(batch.weight[row])!r}){self._row_text(batch, row)}"
            )
        if status in (_ck.ERR_GRAD_SHAPE, _ck.ERR_GRAD_VALUE, _ck.ERR_HESS_SHAPE, _ck.ERR_HESS_VALUE):
            which = "gradient" if status in (_ck.ERR_GRAD_SHAPE, _ck.ERR_GRAD_VALUE) else "hessian"
            fn = self._margin_functions()[1 if which == "gradient" else 2]
            f, classes, pos = _row_inputs(batch, row)
            got = np.asarray(fn(f, classes, pos))
            derived = " (derived by the complex step)" if getattr(self, which) is None else ""
            if status in (_ck.ERR_GRAD_SHAPE, _ck.ERR_HESS_SHAPE):
                raise ValueError(
                    f"{which}: returned shape {got.shape} for row {row}; expected ({f.size},), one value "
                    f"per valid class of the row (classes {classes.tolist()})"
                )
            raise ValueError(
                f"{which}{derived}: returned non-finite values {got.tolist()} for row {row}"
                f"{self._row_text(batch, row)}"
            )
        if status != 0:
            _inputs.raise_for_status(status, row, batch)

    @staticmethod
    def _row_text(batch: _inputs.MulticlassBatch, row: int) -> str:
        f, classes, pos = _row_inputs(batch, row)
        return f" (margins {f.tolist()} of classes {classes.tolist()}, label position {pos})"


def make_loss(
    loss: Callable[..., Any],
    gradient: Callable[..., Any] | None = None,
    hessian: Callable[..., Any] | None = None,
    *,
    of: str = "margins",
    hessian_kind: str = "positive",
    hessian_floor: float = 1e-16,
    class_weight: Any = None,
    name: str = "custom",
) -> CustomLoss:
    """A boostobj loss from your row functions; derivatives you leave out are derived.

    Parameters
    ----------
    loss : callable
        ``of="margins"``: ``loss(f, classes, y) -> float``, numba-compilable (compiled with
        ``numba.njit`` and bounds checks, see Notes). ``f`` is the row's margins on its
        valid classes, shape (K_i,), float64; ``classes`` their class indices, shape
        (K_i,), int64, ascending; ``y`` the position of the row's label in ``f``.
        ``of="label_probability"``: ``loss(q) -> array``, a NumPy expression of the label's
        probability ``q`` (shape (n,); derivatives are taken at ``q`` clipped to ``[1e-75,
        1 - 1.1e-16]``, the loss value at ``max(q, 2.2e-308)``, so ``-log q`` saturates at
        about 708 for rows whose label probability underflows), written with
        arithmetic and ufuncs (``np.log``, ``np.exp``, ``np.log1p``, ``**`` ...) so that it can be
        differentiated; no branches on values. A numba function given here, or called by
        name from one, runs bounds-checked (Notes); it is differentiated through its Python
        source.
    gradient, hessian : callable, optional
        ``of="margins"``: ``gradient(f, classes, y)`` and ``hessian(f, classes, y)`` return
        arrays of shape (K_i,): the loss's derivatives and second derivatives in each
        entry of ``f``. ``of="label_probability"``: ``l'(q)`` and ``l''(q)``. Left out,
        they are derived (module docstring): exactly, except the margins-form Hessian
        from the loss alone (second-order complex step, relative error < 1e-10 at unit
        scale). A derived margins-form derivative evaluates the given function at complex
        margins: write it with analytic operations (arithmetic, ``np.exp``, ``np.log``, ...;
        not ``abs``/``np.real``/``np.sign`` of the margins, see the module docstring). A
        derived gradient also evaluates the loss at the real margins, which must be finite.
    of : {"margins", "label_probability"}, default="margins"
    hessian_kind : {"positive", "exact"}, default="positive"
        ``"exact"``: the Hessian diagonal as given or derived (it can be negative, and a
        Newton step with a negative Hessian moves the wrong way). ``"positive"``: for
        ``"label_probability"`` the Gauss-Newton surrogate ``w |q l'(q)| p_j (1 - p_j)`` (the
        cross-entropy's curvature with the loss's slope as a weight), for ``"margins"`` the
        absolute value of the diagonal; both floored at ``hessian_floor``. Where the
        diagonal can be near 0 (a non-convex margins loss), raise ``hessian_floor``: a Newton
        step divides by it.
    hessian_floor : float, default=1e-16
        Hessian of invalid classes (and the floor of the positive kind).
    class_weight : None, "balanced", dict or array-like of shape (K,), default=None
        Multiplies each row's weight by its label's class weight (as in :class:`SoftmaxLoss`).
    name : str, default="custom"
        The loss's name, also its metric name.

    Returns
    -------
    CustomLoss
        Usable wherever a boostobj loss is: ``gradient_hessian``, ``loss``, the adapters
        (``xgboost_objective(loss)``, ``lightgbm_objective(loss)``), the estimators'
        ``loss=``, ``check_objective``. Picklable when its functions are (module-level
        functions are; lambdas are not).

    Raises
    ------
    TypeError
        A function numba cannot compile (or, for a derived margins-form derivative,
        cannot compile for complex margins); a label-probability expression with an
        operation that cannot be differentiated.
    ValueError
        A function that returns the wrong shape or a non-finite value: the message
        names the function and the row.
    IndexError
        An index out of range in a function, such as ``f[classes[y]]`` where ``f[y]`` is
        meant: the message names the mistake.

    Notes
    -----
    Numba does not check indices unless asked, so an index out of range would read past the
    array (wrong values, or a crash). boostobj compiles your functions with bounds checks
    (``boundscheck=True``, with ``nogil=True`` and ``error_model="numpy"``), and numba's
    option applies to the function compiled only, not to the numba functions it calls. So a
    function you compiled with ``numba.njit`` yourself is compiled again from its Python
    source (``py_func``) with these options, yours (``fastmath``, ``parallel``, ``cache``,
    explicit signatures ...) left out, and so are the numba functions your functions call
    through a global name or a closure variable. ``get_params``, ``clone`` and pickling keep
    your function as given. Numba functions reached otherwise (an attribute of a module, as
    in ``helpers.logsumexp(f)``, or an element of a container), and helpers made with
    ``numba.extending.register_jitable`` or ``overload``, run as they were compiled,
    unchecked: use ``numba.njit`` helpers imported by name, or set ``NUMBA_BOUNDSCHECK=1``
    (bounds checks on every numba function of the process; ``NUMBA_BOUNDSCHECK=0`` turns off
    boostobj's too).

    Examples
    --------
    The focal loss written as a function of ``q`` (``boostobj.FocalLoss`` does the same by hand):

    >>> import numpy as np, boostobj
    >>> focal = boostobj.make_loss(lambda q: -(1 - q) ** 2 * np.log(q), of="label_probability")
    >>> raw, y = np.array([[2.0, 0.0, -1.0]]), np.array([1])
    >>> g1, h1 = focal.gradient_hessian(y, raw)
    >>> g2, h2 = boostobj.FocalLoss(gamma=2.0).gradient_hessian(y, raw)
    >>> bool(np.allclose(g1, g2, rtol=1e-12) and np.allclose(h1, h2, rtol=1e-12))
    True
    """
    return CustomLoss(
        loss,
        gradient,
        hessian,
        of=of,
        hessian_kind=hessian_kind,
        hessian_floor=hessian_floor,
        class_weight=class_weight,
        name=name,
    )


#: Compiled row functions, per user loss function and (gradient, hessian): a new CustomLoss
#: (clone, unpickle, set_params, a grid search) reuses them instead of compiling again.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: How user row functions are compiled (and the numba functions they call by name, and a function
#: the user compiled with ``numba.njit``, again from its source): bounds-checked, so that indexing
#: ``f`` with a class index instead of the label's position is an IndexError, not a read past the row;
#: NumPy's error model (``1 / 0.0`` is inf, reported as a non-finite value naming the row).
_JIT_OPTIONS = {"nogil": True, "error_model": "numpy", "boundscheck": True}
#: Bounds-checked recompilations of the user's numba functions (``_rechecked``), per function.
_RECHECKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: The row the functions are checked on: two valid classes, label at position 0.
_PROBE = (np.array([0.25, -0.5]), np.array([0, 1], dtype=np.int64), 0)


def _compiled_functions(loss: Any, gradient: Any, hessian: Any) -> tuple[Any, Any, Any]:
    """Jitted ``(loss, gradient, hessian)``, derived where ``None``, checked on ``_PROBE``."""
    try:
        variants = _COMPILED.setdefault(loss, {})
    except TypeError:  # not weak-referenceable: no cache
        variants = {}
    key = (gradient, hessian)
    if key not in variants:
        loss_j = _checked("loss", _jitted(loss), scalar=True)
        grad_j = _checked("gradient", _jitted(gradient)) if gradient is not None else None
        if grad_j is None:
            grad_j = _checked("gradient", _ck.complex_step_gradient(loss_j), derived_from="loss")
        if hessian is not None:
            hess_j = _checked("hessian", _jitted(hessian))
        elif gradient is not None:
            hess_j = _checked(
                "hessian", _ck.complex_step_hessian_from_gradient(grad_j), derived_from="gradient"
            )
        else:
            hess_j = _checked("hessian", _ck.complex_step_hessian_from_loss(loss_j), derived_from="loss")
        variants[key] = (loss_j, grad_j, hess_j)
    return variants[key]


def _jitted(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled with ``_JIT_OPTIONS``, and so are the numba functions it calls by name.

    A function the user compiled with ``numba.njit`` is compiled again from its Python source
    (``py_func``): numba's ``boundscheck`` applies to the function compiled, not to the numba
    functions it calls, and a user's own compilation has none (indexing ``f`` with a class index
    would read past the row instead of raising).
    """
    if _is_numba_function(fn):
        return _rechecked(fn)
    copy, bind = _with_checked_callees(fn)
    bind()
    return numba.njit(**_JIT_OPTIONS)(copy)


def _is_numba_function(fn: Any) -> bool:
    return isinstance(fn, numba.core.registry.CPUDispatcher)


def _python_function(fn: Any) -> Any:
    """The Python source of a numba function (``py_func``); any other function unchanged."""
    return fn.py_func if _is_numba_function(fn) else fn


def _rechecked(fn: Any) -> Any:
    """The numba function ``fn`` compiled again from its Python source with ``_JIT_OPTIONS``
    (its own options are not used), cached per ``fn``."""
    try:
        return _RECHECKED[fn]
    except KeyError:
        pass
    copy, bind = _with_checked_callees(fn.py_func)
    _RECHECKED[fn] = checked = numba.njit(**_JIT_OPTIONS)(copy)
    try:
        bind()  # after caching: a function that calls itself (or is called back) gets ``checked``
    except BaseException:
        _RECHECKED.pop(fn, None)
        raise
    return checked


def _with_checked_callees(py_func: Any) -> tuple[Any, Callable[[], None]]:
    """A copy of the Python function ``py_func`` whose global names and closure variables that
    hold numba functions are to point to their bounds-checked recompilations, and the function that
    points them there (called once the caller's own recompilation is cached, for recursion).

    Numba functions reached otherwise (an attribute of a module, an element of a container) are
    left as compiled: without bounds checks."""
    scope = py_func.__globals__
    callees = {n: scope[n] for n in _global_names(py_func.__code__) if _is_numba_function(scope.get(n))}
    cells = py_func.__closure__ or ()
    jitted_cells = [_is_numba_function(_cell_value(c)) for c in cells]
    if not callees and not any(jitted_cells):
        return py_func, lambda: None
    scope = dict(scope)  # numba reads the globals when it compiles: a snapshot is the same
    closure = tuple(
        types.CellType(c.cell_contents) if jitted else c
        for c, jitted in zip(cells, jitted_cells, strict=True)
    )
    copy = types.FunctionType(
        py_func.__code__, scope, py_func.__name__, py_func.__defaults__, closure or None
    )
    copy.__kwdefaults__ = py_func.__kwdefaults__
    copy.__qualname__ = py_func.__qualname__
    copy.__doc__ = py_func.__doc__

    def bind() -> None:
        for name, callee in callees.items():
            scope[name] = _rechecked(callee)
        for cell, jitted in zip(closure, jitted_cells, strict=True):
            if jitted:
                cell.cell_contents = _rechecked(cell.cell_contents)

    return copy, bind


def _global_names(code: types.CodeType) -> set[str]:
    """The names a code object (and the code nested in it) may read from its globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _checked(name: str, fn: Any, *, scalar: bool = False, derived_from: str | None = None) -> Any:
    """``fn`` once called on ``_PROBE`` (compiling it): a TypeError naming ``name`` if numba
    cannot compile it, a ValueError if it returns the wrong shape."""
    try:
        out = np.asarray(fn(*_PROBE))
    except IndexError as exc:
        raise IndexError(f"{name}: {_index_message(exc)}") from None
    except (numba.core.errors.NumbaError, NotImplementedError) as exc:
        hint = (
            f" It is derived by the complex step, which evaluates `{derived_from}` at complex margins: "
            f"use operations that accept complex numbers, or pass `{name}` yourself."
            if derived_from
            else ""
        )
        raise TypeError(
            f"{name}: numba could not compile it for (f: float64[:], classes: int64[:], y: int): "
            f"{_numba_reason(exc)}.{hint}"
        ) from None
    expected = () if scalar else (_PROBE[0].size,)
    if out.shape != expected:
        raise ValueError(
            f"{name}: returned shape {out.shape} for a row with {_PROBE[0].size} valid classes; expected "
            f"{expected}" + (" (a number)" if scalar else ", one value per valid class")
        )
    return fn


def _index_message(exc: Exception) -> str:
    return (
        f"an index out of range in a row function ({exc}); `f` holds the row's valid classes only: "
        f"index it with the position `y`, not with a class index"
    )


def _numba_reason(exc: Exception) -> str:
    """The informative lines of a numba error, without its pipeline banner and source excerpts."""
    lines = []
    for line in str(exc).splitlines():
        line = line.strip()
        if not line or line.startswith(("Failed in nopython", "During:", "File ", "^", ">", "-")):
            continue
        lines.append(line)
    text = " ".join(lines) or type(exc).__name__
    return text if len(text) <= 400 else text[:400] + " ..."


def _row_inputs(batch: _inputs.MulticlassBatch, row: int) -> tuple[np.ndarray, np.ndarray, int]:
    classes = np.asarray(batch.valid_classes(row), dtype=np.int64)
    f = batch.raw[row, classes].astype(np.float64)
    return f, classes, int(np.flatnonzero(classes == batch.y[row])[0])


def _label_values(name: str, fn: Any, q: np.ndarray) -> Any:
    """``fn(q)`` of a label-probability function; a numba function, and the numba functions a
    Python function calls by name, bounds-checked (``_rechecked``)."""
    jitted = _is_numba_function(fn)
    if jitted:
        fn = _rechecked(fn)
    else:
        fn, bind = _with_checked_callees(fn)
        bind()
    try:
        return fn(q)
    except IndexError as exc:
        raise IndexError(
            f"{name}: an index out of range in a label-probability function ({exc}); `q` holds the "
            f"label's probability of each row, shape ({q.size},)"
        ) from (None if jitted else exc)
    except numba.core.errors.NumbaError as exc:
        raise TypeError(
            f"{name}: numba could not compile it for (q: float64[:]): {_numba_reason(exc)}."
        ) from None


def _check_label_values(value: Any, q: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != q.shape:
        raise ValueError(f"{what}: returned shape {arr.shape}; expected {q.shape}, one value per row")
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{what}: returned {float(arr[row])!r} for row {row} (q = {float(q[row])!r})"
            "; values must be finite"
        )
    return arr
