"""Masked objectives on Dask: the mask travels with the partitions as a margin offset.

A mask kept in a Python closure cannot follow rows to Dask workers; an additive margin
offset can (XGBoost ``base_margin``, LightGBM ``init_score``), because Dask partitions it
like any other per-row column. This module turns a Dask collection of masks into that
offset, partition by partition and validated there, and predicts masked probabilities
lazily. Training is the backends' own: ``xgboost.dask.train(..., obj=xgboost_objective())``
on :func:`dask_dmatrix`'s data, or ``lightgbm.dask.DaskLGBMClassifier(objective=
lightgbm_objective())`` fitted with ``init_score=start_margins(...)``.

Only ``import boostobj.dask`` imports Dask (the optional extra ``boostobj[dask]``);
``import boostobj`` never does.

Masks are Dask arrays or DataFrames of shape (n, K) holding booleans, one row per row of
``X`` (rechunked to ``X``'s partitions if needed), each partition read by the mask grammar
of :meth:`boostobj.ClassMask.coerce` (a DataFrame's columns are matched to the classes by
label; float 0/1 is a dense mask; integer 0/1 reads two ways and is an error). Rows are
matched by position: a DataFrame mask with a DataFrame ``X`` must have ``X``'s index
(checked in each partition). A Dask array that already
holds an offset is not accepted as such: a float array of 0/1 and an offset of 0/-1e30
cannot be told apart in a partition of all zeros; pass ``offset > -1e29`` instead.
"""

from __future__ import annotations

import math
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
from distributed import Client, wait

from . import _inputs
from ._adapters import check_intercept, margin_init
from ._maskgrammar import check_aligned, column_order
from .masks import ClassMask
from .predict import _backend_of, _n_outputs
from .predict import predict_proba as _local_predict_proba

__all__ = ["dask_dmatrix", "start_margins", "predict_proba"]


def start_margins(
    X: Any,
    mask: Any = None,
    *,
    y: Any = None,
    init_score: Any = None,
    dtype: Any = np.float64,
    client: Client | None = None,
) -> da.Array | None:
    """The start margins of each row, as a lazy Dask array partitioned like ``X``.

    ``start[i, j] = init_score[j]`` (0 without one) on valid classes and ``-1e30`` on
    invalid ones: pass it as ``base_margin=`` (XGBoost) or ``init_score=`` (LightGBM,
    e.g. ``DaskLGBMClassifier.fit``). Each partition is validated where it is computed;
    pass ``client`` to compute and check them now (persisted on the cluster), so that a
    bad partition raises its ``ValueError`` here: inside a backend's Dask estimator it
    would surface as an unrelated error, with the real one only in the worker's log.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, n_features)
        Only its partitioning (rows per partition) is used.
    mask : dask.array.Array or dask.dataframe.DataFrame of shape (n, K), optional
        Booleans, True on valid classes (a DataFrame's columns are matched to the classes
        by label, as :meth:`boostobj.ClassMask.coerce` reads them). ``None``: all classes valid.
    y : dask.array.Array or dask.dataframe.Series of shape (n,), optional
        Labels, checked to be integer class indices valid in their row (they are only
        read, for the check: pass them to the backend yourself).
    init_score : array-like of shape (K,), optional
        Intercept, e.g. ``SoftmaxLoss().init_raw_prediction(y, mask=mask)`` on a sample.
    dtype : float32 or float64, default float64
    client : distributed.Client, optional
        Compute, check and persist the margins now (recommended before a Dask estimator's
        ``fit``); ``None``: lazily.

    Returns
    -------
    dask.array.Array of shape (n, K), or None when ``mask`` and ``init_score`` are both
    None (the backend's own start).

    Raises
    ------
    ValueError
        When computed: a partition whose mask has the wrong width, a row with no valid
        class, a label that is not an integer, out of range or invalid in its row. The
        message names the partition and its rows. At once: ``init_score`` not of length K.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from boostobj.dask import start_margins
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(400, 4, 2, random_state=0)
    >>> dX, dmask = da.from_array(X, chunks=100), da.from_array(mask.to_dense(), chunks=100)
    >>> start = start_margins(dX, dmask).compute()  # no client: computed by Dask's local scheduler
    >>> bool((start[~mask.to_dense()] == -1e30).all() and (start[mask.to_dense()] == 0).all())
    True
    """
    if np.dtype(dtype).type not in (np.float32, np.float64):
        raise TypeError(f"dtype: expected float32 or float64 (the offset is -1e30); got {np.dtype(dtype)}")
    intercept = check_intercept(init_score)
    if mask is None and intercept is None:
        return None
    chunks = _row_chunks(X, "X")
    n_classes = _n_classes(mask, intercept)
    trailing = () if mask is None and n_classes == 1 else (n_classes,)  # a scalar intercept: (n,)
    mask_parts = _parts(mask, chunks, "mask")
    y_parts = _parts(y, chunks, "y")
    rows_of = _row_labels(X, mask, chunks)
    blocks = [
        dask.delayed(_start_block, pure=True)(
            mask_parts[i], y_parts[i], rows, n_classes, intercept, dtype, _where(i, chunks), rows_of[i]
        )
        for i, rows in enumerate(chunks)
    ]
    start = _stack(blocks, chunks, trailing, dtype, "boostobj-start-margins")
    return start if client is None else _persist_checked(_client(client), start)[0]


def dask_dmatrix(
    client: Client | None,
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    weight: Any = None,
    init_score: Any = None,
    loss: Any = None,
    qid: Any = None,
    **dmatrix_kwargs: Any,
) -> Any:
    """An ``xgboost.dask.DaskDMatrix`` whose partitions carry their rows of the mask.

    The Dask counterpart of :func:`boostobj.xgboost_dmatrix`: ``base_margin`` holds the
    offset (and intercept) of :func:`start_margins`, labels and weights are validated per
    partition. The inputs are computed and checked here, so a bad partition fails now
    with the original ``ValueError``, not later inside training. Empty partitions are left
    out (a worker holding only empty ones would give the objective margins of shape
    ``(0,)``, with no number of classes).

    Parameters
    ----------
    client : distributed.Client or None
        ``None``: the default client.
    X : dask.array.Array (chunked by rows only) or dask.dataframe.DataFrame, (n, n_features)
    y : dask.array.Array or dask.dataframe.Series of shape (n,), optional
    mask : dask.array.Array or dask.dataframe.DataFrame of shape (n, K), optional
        Booleans, True on valid classes (see the module docstring); ``None``: all classes.
    weight : dask.array.Array or dask.dataframe.Series of shape (n,), optional
        Finite, non-negative sample weights.
    init_score : array-like of shape (K,), optional
        Intercept; pass the same to :func:`predict_proba`.
    loss : Loss, optional
        The loss whose labels the partitions carry, when they are not class indices
        (``GroupedSoftmaxLoss``: ``y`` of shape (n, G); ``MultiLabelLoss``: (n, K); encoded
        per partition as one code per row).
    qid : dask.array.Array or dask.dataframe.Series of shape (n,), optional
        Choice situations (``ChoiceLoss``): a group id per row, each group's rows contiguous
        and within one partition (checked: a group split by a partition boundary is a
        ``ValueError``). Weights are not supported with ``qid`` here.
    **dmatrix_kwargs
        Passed to ``DaskDMatrix`` (``missing``, ``feature_names``, ...).

    Returns
    -------
    xgboost.dask.DaskDMatrix

    Examples
    --------
    A distributed client is needed (here a local one; the example does not run in the
    docstring tests, ``tests/test_dask.py`` does the same on a two-worker cluster):

    >>> import dask.array as da, xgboost.dask as dxgb
    >>> import boostobj, boostobj.dask as bdask
    >>> from distributed import Client
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(2000, 4, 2, random_state=0)
    >>> client = Client(n_workers=2)  # doctest: +SKIP
    >>> dtrain = bdask.dask_dmatrix(client, da.from_array(X, chunks=500), da.from_array(y, chunks=500),
    ...                             mask=da.from_array(mask.to_dense(), chunks=500))  # doctest: +SKIP
    >>> booster = dxgb.train(client, {"num_class": 4}, dtrain, 10,
    ...                      obj=boostobj.xgboost_objective())["booster"]  # doctest: +SKIP
    """
    import xgboost.dask

    if "base_margin" in dmatrix_kwargs:
        raise TypeError("base_margin: set by dask_dmatrix from mask and init_score; pass those instead")
    client = _client(client)
    chunks = _row_chunks(X, "X")
    intercept = check_intercept(init_score)
    n_classes = None  # of the labels: known from the mask or the intercept (one value: binary)
    if mask is not None or intercept is not None:
        n_classes = max(_n_classes(mask, intercept), 2)
    start = start_margins(X, mask, init_score=init_score, dtype=np.float32)
    label = None
    if y is not None:
        mask_parts, y_parts = _parts(mask, chunks, "mask"), _parts(y, chunks, "y")
        label = _concat(_label_block, chunks, (), np.float32, y_parts, mask_parts, n_classes, loss)
    if qid is not None:
        if weight is not None:
            raise TypeError("weight: not supported with qid in boostobj.dask (one weight per group)")
        qid_parts = _parts(qid, chunks, "qid")
        firsts = client.compute(
            [dask.delayed(_qid_block)(part, _where(i, chunks)) for i, part in enumerate(qid_parts)], sync=True
        )
        _check_groups_whole(firsts, chunks)
        qid = _stack(
            [dask.delayed(np.asarray)(part) for part in qid_parts], chunks, (), np.int64, "boostobj-qid"
        )
    w = None
    if weight is not None:
        w = _concat(_weight_block, chunks, (), np.float64, _parts(weight, chunks, "weight"))
    start, label, w = _persist_checked(client, start, label, w)
    if isinstance(X, da.Array) and X.chunks[0] != chunks:
        X = X.rechunk({0: chunks})
    keep = [i for i, rows in enumerate(chunks) if rows > 0]
    if len(keep) < len(chunks):  # empty partitions: a worker holding only those would hand the
        # objective margins of shape (0,), and XGBoost needs (0, K) gradients it cannot know
        X = X.blocks[keep] if isinstance(X, da.Array) else X.partitions[keep]
        start, label, w, qid = (None if a is None else a.blocks[keep] for a in (start, label, w, qid))
    if qid is not None:
        dmatrix_kwargs["qid"] = qid
    return xgboost.dask.DaskDMatrix(client, X, label, weight=w, base_margin=start, **dmatrix_kwargs)


def predict_proba(
    client: Client | None,
    booster: Any,
    X: Any,
    *,
    mask: Any = None,
    init_score: Any = None,
    **predict_kwargs: Any,
) -> da.Array:
    """Masked class probabilities of a booster on a Dask collection, lazily.

    Each partition is predicted by :func:`boostobj.predict_proba` on the worker that
    holds it, with its own rows of the mask: the result equals the single-machine
    prediction, rows sum to 1 and invalid classes are exactly 0.

    Parameters
    ----------
    client : distributed.Client or None
        Used to send the booster to the workers once; ``None``: the default client.
    booster : xgboost.Booster or lightgbm.Booster
        E.g. ``xgboost.dask.train(...)["booster"]`` or ``DaskLGBMClassifier.booster_``.
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, n_features)
    mask : dask.array.Array or dask.dataframe.DataFrame of shape (n, K), optional
        As for training; ``None``: all classes.
    init_score : array-like of shape (K,), optional
        The intercept given to the training data, if any.
    **predict_kwargs
        Passed to the booster's ``predict`` (``iteration_range=``, ``num_iteration=``).

    Returns
    -------
    dask.array.Array of shape (n, K), float64 (K = 2 for a one-margin binary model),
    partitioned like ``X``.

    Examples
    --------
    With the ``client`` and ``booster`` of :func:`dask_dmatrix`'s example (a distributed
    client is needed; ``tests/test_dask.py`` runs this):

    >>> proba = bdask.predict_proba(client, booster, da.from_array(X, chunks=500),
    ...                             mask=da.from_array(mask.to_dense(), chunks=500))  # doctest: +SKIP
    >>> proba.compute().shape  # doctest: +SKIP
    (2000, 4)
    """
    backend = _backend_of(booster)
    client = _client(client)
    chunks = _row_chunks(X, "X")
    n_out = _n_outputs(booster, backend)
    intercept = check_intercept(init_score)
    if mask is not None:
        width = _n_classes(mask, None)
        if width != n_out:
            raise ValueError(f"mask: has {width} classes but the booster predicts {n_out}; they must match")
    model = client.scatter(booster, hash=False)
    x_parts = _parts(X, chunks, "X")
    mask_parts = _parts(mask, chunks, "mask")
    rows_of = _row_labels(X, mask, chunks)
    blocks = [
        dask.delayed(_proba_block, pure=True)(
            model, x_parts[i], mask_parts[i], n_out, intercept, _where(i, chunks), predict_kwargs, rows_of[i]
        )
        for i in range(len(chunks))
    ]
    return _stack(blocks, chunks, (max(n_out, 2),), np.float64, "boostobj-predict-proba")


# ---------------------------------------------------------------------- partition functions
def _where(i: int, chunks: tuple[int, ...]) -> str:
    first = sum(chunks[:i])
    return f"partition {i} (rows {first}..{first + chunks[i] - 1})"


def _located(error: Exception, where: str) -> Exception:
    """The error of one partition, saying which (its row numbers count from the partition's start)."""
    return type(error)(f"{error} [in {where}; row numbers count from its first row]")


def _block_mask(block: Any, n_classes: int, where: str) -> ClassMask:
    """One partition of a mask as a ``ClassMask`` of ``n_classes`` classes, read by the mask
    grammar (``ClassMask.coerce``: booleans; a DataFrame's columns matched to the classes)."""
    try:
        return ClassMask.coerce(block, n_classes)
    except (TypeError, ValueError) as error:
        raise _located(error, where) from None


def _row_labels(X: Any, mask: Any, chunks: tuple[int, ...]) -> list[Any]:
    """Per partition of ``X``, the row labels of ``X`` and of the mask, when both are Dask
    DataFrames (else ``None``): masks are matched to rows by position, so a mask frame
    indexed unlike ``X`` (rows in another order) is an error, checked where each
    partition is computed (``_check_rows_match``)."""
    if not (isinstance(X, (dd.DataFrame, dd.Series)) and isinstance(mask, (dd.DataFrame, dd.Series))):
        return [None] * len(chunks)
    x_labels = _parts(X.index.to_series(), chunks, "X")
    mask_labels = _parts(mask.index.to_series(), chunks, "mask")
    return [dask.delayed(tuple)([a, b]) for a, b in zip(x_labels, mask_labels, strict=True)]


def _check_rows_match(labels: tuple | None, where: str) -> None:
    """``check_aligned`` on one partition's row labels of ``X`` and of the mask."""
    if labels is None:
        return
    import pandas as pd

    x_rows, mask_rows = (pd.Series(0, index=np.asarray(part)) for part in labels)
    try:
        check_aligned(x_rows, mask_rows, "mask")
    except ValueError as error:
        raise _located(error, where) from None


def _start_block(
    mask: Any,
    y: Any,
    n_rows: int,
    n_classes: int,
    intercept: np.ndarray | None,
    dtype: Any,
    where: str,
    labels: tuple | None = None,
) -> np.ndarray:
    _check_rows_match(labels, where)
    cmask = None if mask is None else _block_mask(mask, n_classes, where)
    if cmask is not None:
        cmask.check_rows(n_rows, where)
    if y is not None:
        _check_labels(y, cmask, max(n_classes, 2), where)
    return margin_init(cmask, intercept, n_rows, dtype)


def _check_labels(y: Any, mask: ClassMask | None, n_classes: int | None, where: str) -> np.ndarray:
    y = np.asarray(y)
    try:
        label = _inputs.check_labels(y, y.shape[0], n_classes, name="y")
        if mask is not None:
            mask.check_rows(label.size, "y")
            _inputs.check_labels_valid(label, mask, name="y")
    except ValueError as error:
        raise _located(error, where) from None
    return label


def _label_block(y: Any, mask: Any, n_classes: int | None, loss: Any, where: str) -> np.ndarray:
    cmask = None if mask is None else _block_mask(mask, n_classes, where)
    if loss is not None and hasattr(loss, "backend_labels"):  # labels the loss encodes (one code per row)
        y = np.asarray(y)
        try:
            return np.asarray(loss.backend_labels(y, y.shape[0], cmask), dtype=np.float32)
        except ValueError as error:
            raise _located(error, where) from None
    return _check_labels(y, cmask, n_classes, where).astype(np.float32)


def _qid_block(qid: Any, where: str) -> np.ndarray:
    """``[first id, last id, *every id]`` of a partition's contiguous groups (checked here)."""
    from .choice import group_pointers

    ids = np.asarray(qid).reshape(-1)
    try:
        if ids.dtype.kind not in "iu":
            raise ValueError(f"qid: expected integer group ids (XGBoost's qid); got dtype {ids.dtype}")
        ptr = group_pointers(ids.size, qid=ids)
    except ValueError as error:
        raise _located(error, where) from None
    return ids[ptr[:-1]]


def _check_groups_whole(firsts: list[np.ndarray], chunks: tuple[int, ...]) -> None:
    """Raise if a group (qid) has rows in two partitions: Dask must not split a group."""
    seen: dict = {}
    for i, ids in enumerate(firsts):
        for v in ids.tolist():
            if v in seen and seen[v] != i:
                raise ValueError(
                    f"qid: group {v!r} has rows in {_where(seen[v], chunks)} and in {_where(i, chunks)}; "
                    f"a partition boundary must not split a group: repartition on group boundaries"
                )
            seen[v] = i


def _weight_block(weight: Any, where: str) -> np.ndarray:
    arr = np.asarray(weight)
    try:
        return _inputs.check_sample_weight(arr, arr.shape[0], name="weight", dtype=np.float32)
    except ValueError as error:
        raise _located(error, where) from None


def _proba_block(
    booster: Any,
    X: Any,
    mask: Any,
    n_out: int,
    intercept: np.ndarray | None,
    where: str,
    predict_kwargs: dict,
    labels: tuple | None = None,
) -> np.ndarray:
    _check_rows_match(labels, where)
    cmask = None if mask is None else _block_mask(mask, n_out, where)
    return _local_predict_proba(booster, X, mask=cmask, init_score=intercept, **predict_kwargs)


# ---------------------------------------------------------------------- collections
def _client(client: Client | None) -> Client:
    if client is None:
        from distributed import default_client

        return default_client()
    if not isinstance(client, Client):
        raise TypeError(f"client: expected a distributed.Client or None; got {type(client).__name__}")
    return client


def _row_chunks(X: Any, name: str) -> tuple[int, ...]:
    """Rows per partition of a Dask array, DataFrame or Series (computed if unknown)."""
    if isinstance(X, da.Array):
        if X.ndim == 2 and len(X.chunks[1]) != 1:
            raise ValueError(
                f"{name}: must be chunked by rows only; got {len(X.chunks[1])} column chunks "
                f"(rechunk with {name}.rechunk({{1: -1}}))"
            )
        if any(math.isnan(c) for c in X.chunks[0]):
            X = X.compute_chunk_sizes()
        return tuple(int(c) for c in X.chunks[0])
    if isinstance(X, (dd.DataFrame, dd.Series)):
        return tuple(int(n) for n in X.map_partitions(len).compute())
    raise TypeError(
        f"{name}: expected a dask.array.Array or a dask.dataframe.DataFrame; got {type(X).__name__}"
    )


def _n_classes(mask: Any, intercept: np.ndarray | None) -> int:
    """K from the mask's declared width, checked against the intercept's length."""
    if mask is None:
        return max(int(intercept.size), 1) if intercept is not None else 1
    if isinstance(mask, dd.DataFrame):
        width = len(mask.columns)
    elif isinstance(mask, da.Array):
        if mask.ndim != 2 or math.isnan(mask.shape[1]):
            raise ValueError(f"mask: expected a 2-D (n, K) Dask array with known K; got shape {mask.shape}")
        width = int(mask.shape[1])
    else:
        raise TypeError(
            f"mask: expected a dask.array.Array or dask.dataframe.DataFrame of shape (n, K) "
            f"(booleans); got {type(mask).__name__}"
        )
    if intercept is not None and intercept.size != width:
        raise ValueError(
            f"init_score: expected {width} values (one per class of the mask); got {intercept.size}"
        )
    return width


def _parts(obj: Any, chunks: tuple[int, ...], name: str) -> list[Any]:
    """The row partitions of ``obj`` as delayed objects aligned with ``chunks``."""
    if obj is None:
        return [None] * len(chunks)
    if isinstance(obj, dd.DataFrame) and name == "mask":
        # columns are classes, matched by label (as ClassMask.coerce reads a partition); put them
        # in class order now, since a repartitioned frame below becomes a label-less array
        columns = list(obj.columns)
        obj = obj[[columns[j] for j in column_order(columns, None)]]
    if isinstance(obj, (dd.DataFrame, dd.Series)):
        own = _row_chunks(obj, name)
        if own == chunks:
            return list(obj.to_delayed())
        obj = obj.to_dask_array(lengths=list(own))
    if not isinstance(obj, da.Array):
        raise TypeError(
            f"{name}: expected a dask.array.Array or a dask.dataframe.DataFrame/Series; "
            f"got {type(obj).__name__}"
        )
    own = _row_chunks(obj, name)
    if sum(own) != sum(chunks):
        raise ValueError(f"{name}: has {sum(own)} rows but X has {sum(chunks)}; they must match")
    if own != chunks:
        obj = obj.rechunk({0: chunks})
    return list(obj.to_delayed().ravel())


def _concat(func: Any, chunks: tuple[int, ...], trailing: tuple, dtype: Any, *parts: list) -> da.Array:
    """Stack ``func(part_0[i], part_1[i], ..., where)`` over the partitions."""
    blocks = []
    for i in range(len(chunks)):
        args = [p[i] if isinstance(p, list) else p for p in parts]
        blocks.append(dask.delayed(func, pure=True)(*args, _where(i, chunks)))
    return _stack(blocks, chunks, trailing, dtype, f"boostobj-{func.__name__.strip('_')}")


def _stack(blocks: list, chunks: tuple[int, ...], trailing: tuple, dtype: Any, prefix: str) -> da.Array:
    """One Dask array whose i-th row block is ``blocks[i]`` (a delayed array of ``chunks[i]``
    rows), empty partitions kept: ``da.concatenate`` drops them, and then the result would
    no longer be partitioned like ``X``."""
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    try:
        from dask._task_spec import Alias
    except ImportError:  # older dask: a key as a task is an alias
        Alias = None  # noqa: N806
    name = f"{prefix}-{tokenize(*blocks, chunks, trailing, np.dtype(dtype).str)}"
    zeros = (0,) * len(trailing)
    layer = {}
    for i, block in enumerate(blocks):
        key = (name, i, *zeros)
        layer[key] = Alias(key=key, target=block.key) if Alias is not None else block.key
    graph = HighLevelGraph.from_collections(name, layer, dependencies=blocks)
    return da.Array(graph, name, (tuple(chunks), *((t,) for t in trailing)), dtype=dtype)


def _persist_checked(client: Client, *arrays: da.Array | None) -> list[da.Array | None]:
    """Persist arrays on the cluster and re-raise the first partition's error, if any."""
    present = [a for a in arrays if a is not None]
    if not present:
        return list(arrays)
    persisted = iter(client.persist(present))
    out = [None if a is None else next(persisted) for a in arrays]
    futures = client.futures_of([a for a in out if a is not None])
    wait(futures)
    for future in futures:
        if future.status == "error":
            future.result()  # raises the partition's own exception
    return out
