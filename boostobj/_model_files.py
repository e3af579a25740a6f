"""Checks of XGBoost and LightGBM model files before the backends parse them.

Both backends trust the files they load. A child index out of range, a node reached twice
(a cycle), a split on a feature the model does not have, an array shorter than its count,
a tree offset past the end of the text, ... make their parsers or predictors read outside
their arrays (a segmentation fault), loop forever, or abort the process (LightGBM parses
trees in OpenMP threads, where its own errors end in ``std::terminate``).

:func:`check_xgboost_model` and :func:`check_lightgbm_model` decode a file as the backend
will and check everything the backend relies on without checking, so a corrupted or
crafted file is a ``ValueError`` that names the file, the tree and what is wrong. The
checks follow the installed backends' parsers (XGBoost 3: ``src/tree/tree_model.cc``,
``src/gbm/gbtree_model.cc``, ``src/common/json.cc``; LightGBM 4:
``src/boosting/gbdt_model_text.cpp``, ``src/io/tree.cpp``) and are vectorised over all
nodes of all trees, so a model of thousands of trees is checked in a fraction of a second
(after decoding the file, which for XGBoost JSON is ``json.loads``).

Where the backend would raise an ordinary error by itself (say, an unknown objective),
these checks leave it to the backend; the caller turns that error into a ``ValueError``.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

__all__ = ["model_format", "check_xgboost_model", "check_lightgbm_model"]

_INT32_MAX = 2**31 - 1
#: XGBoost refuses categories >= 2**24 in data (``OutOfRangeCat``, src/common/categorical.h);
#: a larger one in a tree makes its loader allocate a bit field of that many bits.
_XGB_MAX_CATEGORY = 2**24
#: The parent XGBoost writes for a root (``Parent()`` of -1, the top bit masked off); -1 in
#: multi-target trees.
_XGB_ROOT_PARENTS = (-1, _INT32_MAX)
#: LightGBM's tree parser reads at most this many ``key=value`` lines per tree.
_LGB_MAX_TREE_LINES = 22
_NESTING_LIMIT = 64


class _Invalid(Exception):
    """What is wrong with a model file; the public functions add the file's name."""


def model_format(data: bytes) -> str | None:
    """The format of a model file's contents, told apart the way the backends tell them.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    {"lightgbm", "json", "ubjson"} or None
        ``"lightgbm"`` for LightGBM's text format (it starts with ``tree``); ``"json"`` /
        ``"ubjson"`` for an XGBoost model: ``{`` then, after white space, ``"`` for JSON
        or a letter (a UBJSON type marker) for UBJSON, as ``XGBoosterLoadModelFromBuffer``
        decides; None for anything else.
    """
    if data.startswith(b"tree"):
        return "lightgbm"
    if data[:1] == b"{":
        rest = data[1:].lstrip(b" \t\n\v\f\r")
        if rest[:1] == b'"':
            return "json"
        if rest[:1].isalpha():
            return "ubjson"
    return None


# ====================================================================== XGBoost
def check_xgboost_model(data: bytes, name: str) -> dict:
    """Decode an XGBoost JSON or UBJSON model and check what XGBoost trusts in it.

    UBJSON is decoded here rather than by XGBoost: its reader does not check lengths
    against the end of the buffer (a truncated file or a huge count reads past it), and
    it cannot convert a model to JSON without loading the trees, which is what crashes.
    The decoder reads only the subset XGBoost writes (``src/common/json.cc``), typed
    arrays straight into NumPy.

    Parameters
    ----------
    data : bytes
        The whole file; ``model_format(data)`` must be ``"json"`` or ``"ubjson"``.
    name : str
        The file's name, for messages.

    Returns
    -------
    dict
        The decoded model (UBJSON's typed arrays as NumPy arrays).

    Raises
    ------
    ValueError
        ``path: '<name>' is not a valid XGBoost ... model file: <what is wrong>``.
    """
    fmt = model_format(data)
    label = "UBJSON" if fmt == "ubjson" else "JSON"
    try:
        if fmt == "ubjson":
            model = _UBJSONReader(data).read()
        elif fmt == "json":
            model = _load_json(data)
        else:
            raise _Invalid("it starts neither with a JSON nor a UBJSON object")
        _check_xgboost(model)
    except _Invalid as error:
        raise ValueError(f"path: {name!r} is not a valid XGBoost {label} model file: {error}") from None
    return model


def _load_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Invalid(f"it is not UTF-8 text (byte {error.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise _Invalid(
            f"it is not valid JSON ({error.msg}: line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise _Invalid("it is nested too deeply") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """An object with distinct keys: which of two equal keys counts differs between readers."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Invalid(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return out


#: UBJSON number markers XGBoost reads, as big-endian NumPy dtypes.
_UBJ_NUMBERS = {
    ord(k): np.dtype(v)
    for k, v in {"i": ">i1", "U": ">u1", "I": ">i2", "l": ">i4", "L": ">i8", "d": ">f4", "D": ">f8"}.items()
}
_UBJ_CONSTANTS = {ord("Z"): None, ord("T"): True, ord("F"): False}
_UBJ_LENGTH = struct.Struct(">cq")  # the "L" marker and a big-endian int64


class _UBJSONReader:
    """The UBJSON subset XGBoost writes and reads (``UBJWriter``/``UBJReader`` in
    src/common/json.cc), with every length checked against the end of the data.

    Objects' keys are ``L`` + int64 length + bytes; arrays are typed (``[$<type>#L<n>``
    then n big-endian numbers, read here as one NumPy array), counted (``[#L<n>``) or
    ended by ``]``.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self) -> Any:
        value = self._value(0)
        if self.pos != len(self.data):
            raise _Invalid(f"{len(self.data) - self.pos} bytes after the end of the model")
        return value

    def _truncated(self, what: str, at: int) -> _Invalid:
        return _Invalid(
            f"{what} at byte {at} runs past the end of the file at byte {len(self.data)} (truncated?)"
        )

    def _length(self, what: str) -> int:
        """An ``L``-marked int64 length, checked against the bytes left."""
        at = self.pos
        try:
            marker, n = _UBJ_LENGTH.unpack_from(self.data, at)
        except struct.error:
            raise self._truncated(what, at) from None
        if marker != b"L":
            raise _Invalid(f"expected 'L' (the length of {what}) at byte {at}, got {marker!r}")
        self.pos = at + 9
        if n < 0 or n > len(self.data) - self.pos:
            raise self._truncated(f"{what} of length {n}", at)
        return n

    def _string(self, what: str) -> str:
        n = self._length(what)
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Invalid(f"{what} at byte {self.pos - n} is not UTF-8") from None

    def _value(self, depth: int) -> Any:
        data, at = self.data, self.pos
        if at >= len(data):
            raise self._truncated("a value", at)
        if depth > _NESTING_LIMIT:
            raise _Invalid("it is nested too deeply")
        marker = data[at]
        self.pos = at + 1
        dtype = _UBJ_NUMBERS.get(marker)
        if dtype is not None:
            if self.pos + dtype.itemsize > len(data):
                raise self._truncated("a number", at)
            self.pos += dtype.itemsize
            return np.frombuffer(data, dtype, 1, at + 1)[0].item()
        if marker == 0x7B:  # {
            out: dict[str, Any] = {}
            while self.pos < len(data) and data[self.pos] != 0x7D:  # }
                key = self._string("a key")
                if key in out:
                    raise _Invalid(f"the key {key!r} appears twice in one object")
                out[key] = self._value(depth + 1)
            if self.pos >= len(data):
                raise self._truncated("an object", at)
            self.pos += 1
            return out
        if marker == 0x5B:  # [
            return self._array(depth, at)
        if marker == 0x53:  # S
            return self._string("a string")
        if marker == 0x43:  # C, a char
            if self.pos >= len(data):
                raise self._truncated("a character", at)
            self.pos += 1
            return data[at + 1]
        if marker in _UBJ_CONSTANTS:
            return _UBJ_CONSTANTS[marker]
        raise _Invalid(f"unknown UBJSON type marker {bytes([marker])!r} at byte {at}")

    def _array(self, depth: int, at: int) -> Any:
        data = self.data
        head = data[self.pos : self.pos + 3]
        if head[:1] == b"$":  # typed
            dtype = _UBJ_NUMBERS.get(head[1]) if len(head) > 1 else None
            if dtype is None or head[2:3] != b"#":
                raise _Invalid(
                    f"a typed array at byte {at} of an unsupported type {head[1:2]!r} or without count"
                )
            self.pos += 3
            n = self._length("a typed array")
            if n * dtype.itemsize > len(data) - self.pos:
                raise self._truncated(f"a typed array of {n} numbers", at)
            values = np.frombuffer(data, dtype, n, self.pos).astype(dtype.newbyteorder("="))
            self.pos += n * dtype.itemsize
            return values
        if head[:1] == b"#":  # counted; every value takes a byte at least (checked by _length)
            self.pos += 1
            n = self._length("an array")
            return [self._value(depth + 1) for _ in range(n)]
        items = []
        while self.pos < len(data) and data[self.pos] != 0x5D:  # ]
            items.append(self._value(depth + 1))
        if self.pos >= len(data):
            raise self._truncated("an array", at)
        self.pos += 1
        return items


# ---------------------------------------------------------------------- document access
def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype}"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise _Invalid(f"{where}: expected an object, got {_kind(value)}")
    return value


def _key(obj: dict, key: str, where: str) -> Any:
    if key not in _obj(obj, where):
        raise _Invalid(f"{where}: the key {key!r} is missing")
    return obj[key]


def _int_text(value: Any, where: str, low: int, high: int = _INT32_MAX) -> int:
    """An integer parameter XGBoost stores as a string (``"num_nodes": "5"``)."""
    if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,19}", value):
        raise _Invalid(f"{where}: expected an integer as a string, got {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise _Invalid(f"{where}: expected an integer in [{low}, {high}], got {number}")
    return number


def _concat(parts: Sequence[Any], where: Sequence[str], kinds: str, what: str) -> np.ndarray:
    """``parts`` (lists or 1-D arrays, one per tree) as one 1-D array of a dtype kind in ``kinds``."""
    if parts and all(type(part) is list for part in parts):  # JSON: one conversion for all trees
        try:
            out = np.array(list(chain.from_iterable(parts)))
        except (TypeError, ValueError, OverflowError):
            out = None
        if out is not None and out.ndim == 1 and (out.dtype.kind in kinds or out.size == 0):
            return out
    arrays = []
    for part, at in zip(parts, where, strict=True):  # UBJSON's typed arrays, or find the culprit
        arr = None
        if isinstance(part, (list, np.ndarray)):
            try:
                arr = np.asarray(part)
            except (TypeError, ValueError, OverflowError):
                pass
        if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in kinds):
            raise _Invalid(f"{at}: expected an array of {what}, got {_kind(part)}")
        arrays.append(arr)
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _numbers(parts: Sequence[Any], where: Sequence[str]) -> np.ndarray:
    return _concat(parts, where, "iuf", "numbers")


def _integers(parts: Sequence[Any], where: Sequence[str]) -> np.ndarray:
    out = _concat(parts, where, "biu", "integers")
    if out.dtype.kind == "u" and out.size and out.max() > np.iinfo(np.int64).max:
        raise _Invalid(f"{where[0]}: an integer beyond int64")
    return out.astype(np.int64, copy=False)


def _first(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad)[0])


# ---------------------------------------------------------------------- XGBoost model
def _check_xgboost(model: Any) -> None:
    learner = _obj(_key(_obj(model, "the model"), "learner", "the model"), "learner")
    lmp = _key(learner, "learner_model_param", "learner")
    n_features = _int_text(
        _key(lmp, "num_feature", "learner_model_param"), "learner_model_param.num_feature", 0
    )
    n_classes = _int_text(_key(lmp, "num_class", "learner_model_param"), "learner_model_param.num_class", 0)
    n_targets = 1
    if "num_target" in lmp:
        n_targets = _int_text(lmp["num_target"], "learner_model_param.num_target", 1)
    n_groups = max(n_classes, n_targets, 1)  # XGBoost's OutputLength()

    gb = _key(learner, "gradient_booster", "learner")
    kind = _key(gb, "name", "gradient_booster")
    if kind == "gblinear":
        where = "gradient_booster.model.weights"
        weights = _numbers(
            [_key(_key(gb, "model", "gradient_booster"), "weights", "gradient_booster.model")], [where]
        )
        if weights.size != (n_features + 1) * n_groups:
            raise _Invalid(
                f"{where} has {weights.size} values; expected (num_feature + 1) * outputs = "
                f"({n_features} + 1) * {n_groups} = {(n_features + 1) * n_groups}"
            )
        return
    if kind == "dart":
        inner = _key(gb, "gbtree", "gradient_booster")
        trees = _check_gbtree(_key(inner, "model", "gradient_booster.gbtree"), n_features, n_groups)
        for at, owner in (("gradient_booster", gb), ("gradient_booster.gbtree", inner)):
            if isinstance(owner, dict) and "weight_drop" in owner:
                drops = _numbers([owner["weight_drop"]], [f"{at}.weight_drop"])
                if drops.size > trees:  # later XGBoost versions store fewer (trees never dropped)
                    raise _Invalid(f"{at}.weight_drop has {drops.size} weights for {trees} trees")
        return
    if kind != "gbtree":
        raise _Invalid(f"gradient_booster.name: expected 'gbtree', 'dart' or 'gblinear', got {kind!r}")
    _check_gbtree(_key(gb, "model", "gradient_booster"), n_features, n_groups)


def _check_gbtree(model: Any, n_features: int, n_groups: int) -> int:
    """Check a ``GBTreeModel`` (trees, tree_info, iteration_indptr, cats); its tree count."""
    where = "gradient_booster.model"
    param = _key(model, "gbtree_model_param", where)
    n_trees = _int_text(_key(param, "num_trees", f"{where}.gbtree_model_param"), "num_trees", 0)
    _int_text(_key(param, "num_parallel_tree", f"{where}.gbtree_model_param"), "num_parallel_tree", 1)
    trees = _key(model, "trees", where)
    if not isinstance(trees, list) or len(trees) != n_trees:
        found = f"{len(trees)} trees" if isinstance(trees, list) else _kind(trees)
        raise _Invalid(f"{where}.trees: expected {n_trees} trees (gbtree_model_param.num_trees), got {found}")
    info = _integers([_key(model, "tree_info", where)], [f"{where}.tree_info"])
    if info.size != n_trees:
        raise _Invalid(f"{where}.tree_info has {info.size} entries for {n_trees} trees")
    bad = (info < 0) | (info >= n_groups)
    if bad.any():
        t = _first(bad)
        raise _Invalid(
            f"tree {t}: tree_info (its output group) is {info[t]}; expected 0..{n_groups - 1} "
            f"(the model has {n_groups} outputs)"
        )
    if "iteration_indptr" in model:
        indptr = _integers([model["iteration_indptr"]], [f"{where}.iteration_indptr"])
        if indptr.size == 0 or indptr[0] != 0 or indptr[-1] != n_trees or (np.diff(indptr) < 0).any():
            raise _Invalid(
                f"{where}.iteration_indptr must rise from 0 to the number of trees ({n_trees}); "
                f"got {indptr.tolist()[:20]}"
            )
    if "cats" in model:
        _check_cats(model["cats"], n_features)
    _check_trees(trees, n_features, n_groups)
    return n_trees


def _check_cats(cats: Any, n_features: int) -> None:
    """The categories seen in training (XGBoost >= 3.1, ``CatContainer``), used to re-code
    categorical data at prediction."""
    where = "gradient_booster.model.cats"
    enc = _key(cats, "enc", where)
    segments = _integers([_key(cats, "feature_segments", where)], [f"{where}.feature_segments"])
    order = _integers([_key(cats, "sorted_idx", where)], [f"{where}.sorted_idx"])
    if not isinstance(enc, list):
        raise _Invalid(f"{where}.enc: expected an array, got {_kind(enc)}")
    if not enc:
        if segments.size > 1 or (segments.size and segments[0] != 0) or order.size:
            raise _Invalid(f"{where}: feature_segments and sorted_idx without categories (enc is empty)")
        return
    if len(enc) != n_features:
        raise _Invalid(f"{where}.enc has {len(enc)} features; the model has {n_features}")
    sizes = np.empty(len(enc), dtype=np.int64)
    for f, column in enumerate(enc):
        at = f"{where}.enc[{f}]"
        values = _key(column, "values", at)
        if "offsets" in column:  # string categories: characters and offsets
            offsets = _integers([column["offsets"]], [f"{at}.offsets"])
            chars = _integers([values], [f"{at}.values"])
            if offsets.size and (
                offsets[0] != 0 or offsets[-1] != chars.size or (np.diff(offsets) < 0).any()
            ):
                raise _Invalid(f"{at}.offsets must rise from 0 to the number of characters ({chars.size})")
            sizes[f] = max(offsets.size - 1, 0)
        else:
            sizes[f] = _integers([values], [f"{at}.values"]).size
    expected = np.concatenate([[0], np.cumsum(sizes)])
    if segments.shape != expected.shape or (segments != expected).any():
        raise _Invalid(
            f"{where}.feature_segments must be the running count of each feature's categories, "
            f"{expected.tolist()[:20]}; got {segments.tolist()[:20]}"
        )
    if order.size != expected[-1]:
        raise _Invalid(f"{where}.sorted_idx has {order.size} entries for {expected[-1]} categories")
    seg = np.repeat(np.arange(len(enc)), sizes)
    bad = (order < 0) | (order >= sizes[seg])
    if bad.any():
        i = _first(bad)
        raise _Invalid(f"{where}.sorted_idx must order each feature's categories; entry {i} is {order[i]}")
    if (np.sort(expected[seg] + order) != np.arange(order.size)).any():  # a permutation per feature
        raise _Invalid(f"{where}.sorted_idx must order each feature's categories; it repeats an index")


#: Per-node arrays of a tree, integers (checked here) and numbers (counted here; XGBoost
#: refuses other types by itself).
_XGB_NODE_INTS = ("left_children", "right_children", "parents", "split_indices", "default_left")
_XGB_NODE_NUMBERS = ("split_conditions", "loss_changes", "sum_hessian")


def _tree_arrays(
    trees: list, ids: np.ndarray, key: str, integers: bool
) -> tuple[np.ndarray | None, np.ndarray]:
    """Trees ``ids``' ``key`` arrays: concatenated as int64 (if ``integers``), and their lengths."""
    parts = [_key(trees[t], key, f"tree {t}") for t in ids]
    lengths = np.array([len(p) if isinstance(p, (list, np.ndarray)) else -1 for p in parts], dtype=np.int64)
    if (lengths < 0).any():
        t = _first(lengths < 0)
        raise _Invalid(f"tree {ids[t]}: {key}: expected an array, got {_kind(parts[t])}")
    return (_integers(parts, [f"tree {t}: {key}" for t in ids]) if integers else None), lengths


def _expect_lengths(key: str, lengths: np.ndarray, ids: np.ndarray, expected: np.ndarray, what: str) -> None:
    bad = lengths != expected
    if bad.any():
        i = _first(bad)
        raise _Invalid(f"tree {ids[i]}: {key} has {lengths[i]} entries; expected {expected[i]} ({what})")


def _check_trees(trees: list, n_features: int, n_groups: int) -> None:
    """Check all trees at once: arrays, structure, split features, categories."""
    n_trees = len(trees)
    if n_trees == 0:
        return
    n = np.empty(n_trees, dtype=np.int64)  # num_nodes
    vector = np.empty(n_trees, dtype=np.int64)  # size_leaf_vector: > 1 for a multi-output tree
    n_deleted = np.empty(n_trees, dtype=np.int64)
    for t, tree in enumerate(trees):
        at = f"tree {t}"
        param = _key(_obj(tree, at), "tree_param", at)
        n[t] = _int_text(_key(param, "num_nodes", f"{at}: tree_param"), f"{at}: tree_param.num_nodes", 1)
        vector[t] = _int_text(
            _key(param, "size_leaf_vector", f"{at}: tree_param"), f"{at}: tree_param.size_leaf_vector", 0
        )
        n_deleted[t] = _int_text(param.get("num_deleted", "0"), f"{at}: tree_param.num_deleted", 0)
        tree_id = _key(tree, "id", at)
        if type(tree_id) is not int or tree_id != t:
            raise _Invalid(f"{at}: its id is {tree_id!r}; expected {t} (its position)")
        if vector[t] > 1 and vector[t] != n_groups:
            raise _Invalid(
                f"{at}: tree_param.size_leaf_vector is {vector[t]}; a multi-output tree has one "
                f"value per output ({n_groups})"
            )
    every = np.arange(n_trees)
    arrays = {}
    for key in _XGB_NODE_INTS + _XGB_NODE_NUMBERS:  # lengths first: num_nodes sizes what follows
        arrays[key], lengths = _tree_arrays(trees, every, key, key in _XGB_NODE_INTS)
        _expect_lengths(key, lengths, every, n, "tree_param.num_nodes")
    _, lengths = _tree_arrays(trees, every, "base_weights", False)  # per node, or per node and output
    _expect_lengths("base_weights", lengths, every, n * np.maximum(vector, 1), "num_nodes * size_leaf_vector")
    multi = vector > 1
    offset = np.concatenate([[0], np.cumsum(n)])
    tree_of = np.repeat(every, n)
    node = np.arange(offset[-1]) - offset[tree_of]
    size = n[tree_of]
    left, right = arrays["left_children"], arrays["right_children"]
    parents, split = arrays["parents"], arrays["split_indices"]
    bad = (arrays["default_left"] != 0) & (arrays["default_left"] != 1)
    if bad.any():
        i = _first(bad)
        raise _Invalid(f"tree {tree_of[i]}, node {node[i]}: default_left is {arrays['default_left'][i]}")

    # XGBoost marks a pruned node deleted by a split index of all ones with the default-left
    # bit (saved as split index 2**31 - 1 and default_left 1; IsDeleted in tree_model.h);
    # deleted nodes stay in the arrays, unreachable, counted by num_deleted
    deleted = ~multi[tree_of] & (((split & 0xFFFFFFFF) | (arrays["default_left"] << 31)) == 0xFFFFFFFF)
    if deleted[offset[:-1]].any():
        t = _first(deleted[offset[:-1]])
        raise _Invalid(f"tree {t}: the root (node 0) is marked deleted")
    counted = np.bincount(tree_of[deleted], minlength=n_trees)
    if (counted != n_deleted).any():
        t = _first(counted != n_deleted)
        raise _Invalid(
            f"tree {t}: {counted[t]} nodes are marked deleted; tree_param.num_deleted is {n_deleted[t]}"
        )
    leaf = (left == -1) & ~deleted
    internal = (left != -1) & ~deleted
    for key, child in (("left child", left), ("right child", right)):  # never the root
        bad = internal & ((child < 1) | (child >= size))
        if bad.any():
            i = _first(bad)
            raise _Invalid(
                f"tree {tree_of[i]}, node {node[i]}: {key} {child[i]} is out of range; expected -1 "
                f"(a leaf) or a node 1..{size[i] - 1} (the tree has {size[i]} nodes)"
            )
    # a leaf's right child is -1 (or a node, as old updaters left it); in a multi-output tree,
    # the leaf's row of leaf_weights
    n_leaves = np.bincount(tree_of[leaf], minlength=n_trees)
    bad = leaf & ~multi[tree_of] & ((right < -1) | (right >= size))
    bad |= leaf & multi[tree_of] & ((right < 0) | (right >= n_leaves[tree_of]))
    bad |= deleted & ((left < -1) | (left >= size) | (right < -1) | (right >= size))
    if bad.any():
        i = _first(bad)
        raise _Invalid(
            f"tree {tree_of[i]}, node {node[i]}: a leaf whose right child {right[i]} is out of range"
        )
    if multi.any():
        ids = np.flatnonzero(multi)
        _, lengths = _tree_arrays(trees, ids, "leaf_weights", False)
        _expect_lengths(
            "leaf_weights", lengths, ids, n_leaves[ids] * vector[ids], "leaves * size_leaf_vector"
        )

    # a proper tree: every live node but the root is the child of exactly one internal node, ...
    owners = np.tile(np.flatnonzero(internal), 2)
    children = offset[tree_of[owners]] + np.concatenate([left[internal], right[internal]])
    in_degree = np.bincount(children, minlength=offset[-1])
    root = node == 0
    bad = np.where(root | deleted, in_degree != 0, in_degree != 1)
    if bad.any():
        i = _first(bad)
        what = "the root" if root[i] else "a deleted node" if deleted[i] else "it"
        raise _Invalid(
            f"tree {tree_of[i]}, node {node[i]}: {what} is the child of {in_degree[i]} nodes; expected "
            f"{0 if root[i] or deleted[i] else 1} (a tree)"
        )
    # ... which its parents entry names (XGBoost follows every node's parent while loading) ...
    bad = np.where(root, ~np.isin(parents, _XGB_ROOT_PARENTS), (parents < 0) | (parents >= size))
    if bad.any():
        i = _first(bad)
        expected = f"-1 or {_INT32_MAX} for a root" if root[i] else f"a node 0..{size[i] - 1}"
        raise _Invalid(f"tree {tree_of[i]}, node {node[i]}: its parent is {parents[i]}; expected {expected}")
    wrong = parents[children] != node[owners]
    if wrong.any():
        j = _first(wrong)
        c = children[j]
        raise _Invalid(
            f"tree {tree_of[c]}, node {node[c]}: its parent is {parents[c]}, but it is the child of "
            f"node {node[owners[j]]}"
        )
    # ... and from which the root is reached (no cycle)
    up = np.arange(offset[-1])
    up[children] = owners
    stray = _unrooted(up, offset[tree_of], ~deleted, int(n.max()))
    if stray.size:
        i = stray[0]
        raise _Invalid(
            f"tree {tree_of[i]}, node {node[i]}: not reachable from the root (the children form a cycle)"
        )
    bad = internal & ((split < 0) | (split >= n_features))
    if bad.any():
        i = _first(bad)
        raise _Invalid(
            f"tree {tree_of[i]}, node {node[i]}: splits on feature {split[i]}; the model has "
            f"{n_features} features (learner_model_param.num_feature)"
        )
    has_types = np.array(["split_type" in tree for tree in trees])
    if has_types.any():
        _check_categories(trees, np.flatnonzero(has_types), n)


def _check_categories(trees: list, ids: np.ndarray, n: np.ndarray) -> None:
    """Categorical splits: ``categories_nodes`` lists the nodes of split type 1, in order, and
    each one's slice of ``categories`` (``categories_segments``, ``categories_sizes``) lies
    within it; categories are below XGBoost's limit."""

    def gather(key: str) -> tuple[np.ndarray, np.ndarray]:
        return _tree_arrays(trees, ids, key, True)

    types, lengths = gather("split_type")
    if (lengths != n[ids]).any():
        i = _first(lengths != n[ids])
        raise _Invalid(
            f"tree {ids[i]}: split_type has {lengths[i]} entries; expected {n[ids[i]]} (num_nodes)"
        )
    tree_of = np.repeat(np.arange(ids.size), n[ids])
    node = np.arange(types.size) - np.concatenate([[0], np.cumsum(n[ids])[:-1]])[tree_of]
    bad = (types != 0) & (types != 1)
    if bad.any():
        i = _first(bad)
        raise _Invalid(
            f"tree {ids[tree_of[i]]}, node {node[i]}: split_type is {types[i]}; expected 0 (numerical) "
            f"or 1 (categorical)"
        )
    nodes, n_listed = gather("categories_nodes")
    categorical = types == 1
    expected = np.bincount(tree_of[categorical], minlength=ids.size)
    mismatch = n_listed != expected
    if not mismatch.any():
        differs = nodes != node[categorical]
        mismatch = np.bincount(tree_of[categorical][differs], minlength=ids.size) > 0
    if mismatch.any():
        raise _Invalid(
            f"tree {ids[_first(mismatch)]}: categories_nodes must list the nodes whose split_type "
            f"is 1, in order"
        )
    begins, n_begins = gather("categories_segments")
    sizes, n_sizes = gather("categories_sizes")
    values, n_values = gather("categories")
    for key, count in (("categories_segments", n_begins), ("categories_sizes", n_sizes)):
        if (count != n_listed).any():
            raise _Invalid(
                f"tree {ids[_first(count != n_listed)]}: {key} needs one entry per categorical node"
            )
    owner = tree_of[categorical]
    room = n_values[owner]
    bad = (sizes < 1) | (begins < 0) | (begins + sizes > room)
    if bad.any():
        j = _first(bad)
        raise _Invalid(
            f"tree {ids[owner[j]]}, node {nodes[j]}: its categories are entries {begins[j]}.."
            f"{begins[j] + sizes[j] - 1} of categories, which has {room[j]}"
        )
    bad = (values < 0) | (values >= _XGB_MAX_CATEGORY)
    if bad.any():
        j = _first(bad)
        t = ids[np.searchsorted(np.cumsum(n_values), j, side="right")]
        raise _Invalid(f"tree {t}: category {values[j]} is out of range 0..{_XGB_MAX_CATEGORY - 1}")


def _unrooted(parent: np.ndarray, root: np.ndarray, live: np.ndarray, max_size: int) -> np.ndarray:
    """Indices of live nodes from which following ``parent`` does not reach ``root``.

    Pointer doubling: after k rounds ``up[i]`` is node i's 2**k-th ancestor (a root is its
    own parent), so ``bit_length(max_size)`` rounds reach the root from any node of a
    proper tree, in O(nodes log(size)) vectorised work; a node on a cycle never does.
    """
    up = parent
    for _ in range(int(max_size).bit_length()):
        up = up[up]
    return np.flatnonzero(live & (up != root))


# ====================================================================== LightGBM
_LGB_INT = re.compile(rb" *[+-]?[0-9]{1,10} *")
#: The characters of LightGBM's numbers (``nan``, ``inf``, ``infinity`` in any case) and spaces.
_LGB_INT_CHARS = b"0123456789+- "
_LGB_FLOAT_CHARS = b"0123456789+-.eE nNaAiIfFtTyY"
#: Line ends, as ``Common::GetLine`` and ``SkipNewLine`` find them.
_NEWLINE = re.compile(rb"\r\n|\r|\n")


def check_lightgbm_model(text: str, name: str) -> None:
    """Check a LightGBM text model the way ``GBDT::LoadModelFromString`` and ``Tree::Tree``
    will read it, and what prediction then relies on.

    The text is checked as the bytes LightGBM receives (``tree_sizes`` counts bytes).

    Parameters
    ----------
    text : str
        The model as it will be passed to ``lightgbm.Booster(model_str=...)``.
    name : str
        The file's name, for messages.

    Raises
    ------
    ValueError
        ``path: '<name>' is not a valid LightGBM text model file: <what is wrong>``.
    """
    try:
        _check_lightgbm(text)
    except _Invalid as error:
        raise ValueError(f"path: {name!r} is not a valid LightGBM text model file: {error}") from None


def _lgb_int(value: bytes, where: str, low: int, high: int = _INT32_MAX) -> int:
    if not _LGB_INT.fullmatch(value):
        raise _Invalid(f"{where}: expected an integer, got {value[:40]!r}")
    number = int(value)
    if not low <= number <= high:
        raise _Invalid(f"{where}: expected an integer in [{low}, {high}], got {number}")
    return number


def _check_lightgbm(text: str) -> None:
    if "\0" in text:
        raise _Invalid(f"a NUL character at character {text.index(chr(0))} (LightGBM stops reading there)")
    data = text.encode("utf-8")
    header, first_tree = _lgb_header(data)
    if b"num_class" not in header:
        raise _Invalid("the header has no num_class line")
    n_classes = _lgb_int(header[b"num_class"], "num_class", 1)
    per_iteration = _lgb_int(
        header.get(b"num_tree_per_iteration", header[b"num_class"]), "num_tree_per_iteration", 1
    )
    if per_iteration != n_classes:  # prediction writes that many outputs into num_class places
        raise _Invalid(
            f"num_tree_per_iteration is {per_iteration} but num_class is {n_classes}; they must match"
        )
    if b"max_feature_idx" not in header:
        raise _Invalid("the header has no max_feature_idx line")
    n_features = _lgb_int(header[b"max_feature_idx"], "max_feature_idx", 0, _INT32_MAX - 1) + 1
    for token in header.get(b"objective", b"").split(b" "):
        if token.startswith(b"num_class:"):  # the objective's own count sizes its output transform
            if _lgb_int(token[len(b"num_class:") :], "objective num_class", 0) != n_classes:
                raise _Invalid(f"the objective line says {token.decode()} but num_class is {n_classes}")
    if b"tree_sizes" not in header:
        raise _Invalid("the header has no tree_sizes line (written by every LightGBM since 2.3)")
    sizes_text = header[b"tree_sizes"]
    if not re.fullmatch(rb" *(?:[0-9]{1,15}(?: +[0-9]{1,15})*)? *", sizes_text):
        raise _Invalid(f"tree_sizes: expected byte counts, got {sizes_text[:60]!r}")
    sizes = np.array(sizes_text.split(), dtype=np.int64)
    if sizes.size % per_iteration:
        raise _Invalid(f"{sizes.size} trees (tree_sizes) are not whole iterations of {per_iteration} trees")
    bounds = first_tree + np.concatenate([[0], np.cumsum(sizes)])
    if bounds[-1] > len(data):
        t = _first(bounds[1:] > len(data))
        raise _Invalid(
            f"tree {t} ends at byte {bounds[t + 1]} (by tree_sizes) but the model has {len(data)} bytes "
            f"(truncated, or edited?)"
        )
    trees = [_lgb_tree_fields(data, int(bounds[t]), int(bounds[t + 1]), t) for t in range(sizes.size)]
    _check_lgb_trees(trees, n_features)
    _check_lgb_parameters(data, first_tree)


def _lgb_header(data: bytes) -> tuple[dict[bytes, bytes], int]:
    """The ``key=value`` lines before the first ``Tree=`` line, and where that line starts."""
    first_tree = _line_at(data, b"Tree=", 0, prefix=True)
    first_tree = len(data) if first_tree < 0 else first_tree
    header: dict[bytes, bytes] = {}
    for line in _NEWLINE.split(data[:first_tree]):
        parts = [part for part in line.split(b"=") if part]  # Common::Split drops empty parts
        if len(parts) > 2:
            if parts[0] not in (b"feature_names", b"monotone_constraints"):
                raise _Invalid(f"the header line {line[:60]!r} has more than one '='")
            header[parts[0]] = line[len(parts[0]) + 1 :]
        elif parts:
            header[parts[0]] = parts[1] if len(parts) == 2 else b""
    return header, first_tree


def _lgb_tree_fields(data: bytes, start: int, end: int, t: int) -> dict[bytes, bytes]:
    """A tree's ``key=value`` lines as ``Tree::Tree(const char*)`` reads them: after the
    ``Tree=`` line, up to 22 lines, until a blank one (which must come before the tree's end)."""
    lines = _NEWLINE.split(data[start:end])
    if not lines[0].startswith(b"Tree="):
        raise _Invalid(
            f"tree {t} (by tree_sizes) starts at byte {start} with {lines[0][:30]!r}, not 'Tree=' "
            f"(edited, or line endings changed?)"
        )
    fields: dict[bytes, bytes] = {}
    for i in range(1, min(len(lines), _LGB_MAX_TREE_LINES + 1)):
        if i == len(lines) - 1:  # the tree's bytes end in this line (or, if blank, before it)
            raise _Invalid(f"tree {t}: its bytes (by tree_sizes) end before the blank line that closes it")
        if not lines[i]:
            break
        key, eq, value = lines[i].partition(b"=")
        if not eq:
            raise _Invalid(f"tree {t}: the line {lines[i][:40]!r} is not key=value")
        fields[key] = value
    else:
        if len(lines) < 2:
            raise _Invalid(f"tree {t}: its bytes (by tree_sizes) end in the Tree= line")
    return fields


def _lgb_array(
    trees: list[dict[bytes, bytes]],
    ids: np.ndarray,
    key: bytes,
    counts: np.ndarray,
    *,
    floats: bool,
    required: bool,
    parse: bool = True,
    low: int = -_INT32_MAX - 1,
    high: int = _INT32_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Trees ``ids``' ``key`` lines, each of ``counts[j]`` numbers separated by spaces.

    LightGBM reads them with ``StringToArray`` (the count checked) or ``StringToArrayFast``
    (a fixed count); a float token that is no number is fatal either way, and a fatal error
    in its tree-parsing threads aborts the process. So: the characters of numbers, the
    count, and (floats always, integers with ``parse``) every token a number, the values
    (int64 in ``[low, high]``, or float64) returned concatenated.

    Returns the values (empty unless ``parse``) and which trees have the line.
    """
    name = key.decode()
    texts = [trees[t].get(key) for t in ids]
    present = np.array([text is not None for text in texts], dtype=bool)
    if required and not present.all():
        raise _Invalid(f"tree {ids[_first(~present)]}: the {name} line is missing")
    texts = [text for text in texts if text is not None]
    chars = _LGB_FLOAT_CHARS if floats else _LGB_INT_CHARS
    what = "numbers" if floats else "integers"
    if b"".join(texts).translate(None, chars):
        j = next(j for j, text in enumerate(texts) if text.translate(None, chars))
        raise _Invalid(
            f"tree {ids[present][j]}: {name}: expected {what} separated by spaces, got {texts[j][:60]!r}"
        )
    found = np.array([len(text.split()) for text in texts], dtype=np.int64)
    bad = found != counts[present]
    if bad.any():
        j = _first(bad)
        raise _Invalid(f"tree {ids[present][j]}: {name} has {found[j]} values; expected {counts[present][j]}")
    dtype = np.float64 if floats else np.int64
    if not (parse or floats) or not found.sum():
        return np.zeros(0, dtype=dtype), present
    try:
        values = np.array(b" ".join(texts).split()).astype(dtype)
    except (ValueError, OverflowError):
        for j, text in enumerate(texts):
            try:
                np.array(text.split()).astype(dtype)
            except (ValueError, OverflowError):
                raise _Invalid(
                    f"tree {ids[present][j]}: {name}: expected {what} separated by spaces, got {text[:60]!r}"
                ) from None
        raise  # pragma: no cover - one of them fails
    if not floats:
        bad = (values < low) | (values > high)
        if bad.any():
            i = _first(bad)
            t = ids[present][np.searchsorted(np.cumsum(found), i, side="right")]
            raise _Invalid(f"tree {t}: {name}: {values[i]} is out of range [{low}, {high}]")
    return values, present


def _check_lgb_trees(trees: list[dict[bytes, bytes]], n_features: int) -> None:
    n_trees = len(trees)
    if n_trees == 0:
        return
    every = np.arange(n_trees)
    leaves = np.empty(n_trees, dtype=np.int64)
    n_cat = np.empty(n_trees, dtype=np.int64)
    linear = np.zeros(n_trees, dtype=bool)
    for t, fields in enumerate(trees):
        for key in (b"num_leaves", b"num_cat"):
            if key not in fields:
                raise _Invalid(f"tree {t}: the {key.decode()} line is missing")
        leaves[t] = _lgb_int(fields[b"num_leaves"], f"tree {t}: num_leaves", 1)
        n_cat[t] = _lgb_int(fields[b"num_cat"], f"tree {t}: num_cat", 0)
        if b"is_linear" in fields:
            linear[t] = _lgb_int(fields[b"is_linear"], f"tree {t}: is_linear", 0, 1) == 1
    _lgb_array(trees, every, b"leaf_value", leaves, floats=True, required=True)
    _lgb_array(trees, every, b"leaf_count", leaves, floats=False, required=False, parse=False)
    # Tree::Tree reads no more of a one-leaf tree, unless it is linear
    ids = np.flatnonzero((leaves > 1) | linear)
    if ids.size == 0:
        return
    nodes = leaves[ids] - 1  # internal nodes
    arrays = {}
    for key in (b"left_child", b"right_child", b"split_feature"):
        arrays[key], _ = _lgb_array(trees, ids, key, nodes, floats=False, required=True)
    threshold, _ = _lgb_array(trees, ids, b"threshold", nodes, floats=True, required=True)
    for key in (b"split_gain", b"internal_value", b"internal_weight"):
        _lgb_array(trees, ids, key, nodes, floats=True, required=False)
    _lgb_array(trees, ids, b"internal_count", nodes, floats=False, required=False, parse=False)
    _lgb_array(trees, ids, b"leaf_weight", leaves[ids], floats=True, required=False)
    decision, has_decision = _lgb_array(
        trees, ids, b"decision_type", nodes, floats=False, required=False, low=0, high=15
    )

    k = np.repeat(np.arange(ids.size), nodes)  # each internal node's tree, as a position in ids
    offset = np.concatenate([[0], np.cumsum(nodes)])
    node = np.arange(offset[-1]) - offset[k]
    size = nodes[k]
    n_leaf = leaves[ids][k]
    leaf_offset = np.concatenate([[0], np.cumsum(leaves[ids])])
    for key in (b"left_child", b"right_child"):
        child = arrays[key]
        bad = np.where(child >= 0, (child < 1) | (child >= size), ~child >= n_leaf)
        if bad.any():
            i = _first(bad)
            raise _Invalid(
                f"tree {ids[k[i]]}, node {node[i]}: {key.decode()} {child[i]} is out of range; expected an "
                f"internal node 1..{size[i] - 1} or a leaf as ~index, -1..-{n_leaf[i]} ({n_leaf[i]} leaves)"
            )
    child = np.concatenate([arrays[b"left_child"], arrays[b"right_child"]])
    owner = np.tile(np.arange(offset[-1]), 2)
    inner = child >= 0
    # a proper tree: every internal node but the root, and every leaf, is the child of one node
    child_node = offset[k[owner[inner]]] + child[inner]
    node_in = np.bincount(child_node, minlength=offset[-1])
    leaf_in = np.bincount(leaf_offset[k[owner[~inner]]] + ~child[~inner], minlength=leaf_offset[-1])
    root = node == 0
    bad = node_in != np.where(root, 0, 1)
    if bad.any():
        i = _first(bad)
        raise _Invalid(
            f"tree {ids[k[i]]}, node {node[i]}: it is the child of {node_in[i]} nodes; expected "
            f"{0 if root[i] else 1} (a tree)"
        )
    if (leaf_in != 1).any():
        j = _first(leaf_in != 1)
        s = np.searchsorted(leaf_offset, j, side="right") - 1
        raise _Invalid(
            f"tree {ids[s]}: leaf {j - leaf_offset[s]} is reached {leaf_in[j]} times; expected once"
        )
    up = np.arange(offset[-1])
    up[child_node] = owner[inner]
    stray = _unrooted(up, offset[k], np.ones(offset[-1], dtype=bool), int(nodes.max()))
    if stray.size:
        i = stray[0]
        raise _Invalid(
            f"tree {ids[k[i]]}, node {node[i]}: not reachable from the root (the children form a cycle)"
        )
    feature = arrays[b"split_feature"]
    bad = (feature < 0) | (feature >= n_features)
    if bad.any():
        i = _first(bad)
        raise _Invalid(
            f"tree {ids[k[i]]}, node {node[i]}: split_feature {feature[i]} is out of range; the model has "
            f"{n_features} features (max_feature_idx + 1)"
        )
    # a categorical split's threshold is the index of its category bit set (cat_boundaries)
    types = np.zeros(offset[-1], dtype=np.int64)
    types[np.repeat(has_decision, nodes)] = decision
    categories = n_cat[ids][k]
    with np.errstate(invalid="ignore"):
        bad = ((types & 1) == 1) & ~((threshold >= 0) & (threshold < categories) & (threshold % 1 == 0))
    if bad.any():
        i = _first(bad)
        raise _Invalid(
            f"tree {ids[k[i]]}, node {node[i]}: a categorical split whose threshold "
            f"{threshold[i].item()!r} is not the index of one of the tree's {categories[i]} category sets "
            f"(num_cat)"
        )
    _check_lgb_categories(trees, np.where((leaves > 1) | linear, n_cat, 0))  # as Tree::Tree reads them
    if linear.any():
        _check_lgb_linear(trees, np.flatnonzero(linear), leaves, n_features)


def _check_lgb_categories(trees: list[dict[bytes, bytes]], n_cat: np.ndarray) -> None:
    """``cat_boundaries`` (num_cat + 1 offsets, rising from 0) into ``cat_threshold`` (bit sets)."""
    ids = np.flatnonzero(n_cat > 0)
    if ids.size == 0:
        return
    counts = n_cat[ids] + 1
    bounds, _ = _lgb_array(trees, ids, b"cat_boundaries", counts, floats=False, required=True)
    k = np.repeat(np.arange(ids.size), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    falling = np.zeros(bounds.size, dtype=bool)
    falling[1:] = (np.diff(bounds) < 0) & (k[1:] == k[:-1])
    bad = (bounds[starts] != 0) | (np.bincount(k[falling], minlength=ids.size) > 0)
    if bad.any():
        j = _first(bad)
        raise _Invalid(f"tree {ids[j]}: cat_boundaries must rise from 0; got {bounds[k == j].tolist()[:20]}")
    _lgb_array(
        trees,
        ids,
        b"cat_threshold",
        bounds[starts + counts - 1],
        floats=False,
        required=True,
        low=0,
        high=2**32 - 1,
    )


def _check_lgb_linear(
    trees: list[dict[bytes, bytes]], ids: np.ndarray, leaves: np.ndarray, n_features: int
) -> None:
    """Linear trees (``linear_tree=True``): each leaf's features and coefficients."""
    _lgb_array(trees, ids, b"leaf_const", leaves[ids], floats=True, required=False)
    counts, present = _lgb_array(
        trees, ids, b"num_features", leaves[ids], floats=False, required=False, low=0
    )
    ids = ids[present]
    if ids.size == 0:
        return
    totals = np.bincount(np.repeat(np.arange(ids.size), leaves[ids]), weights=counts, minlength=ids.size)
    totals = totals.astype(np.int64)
    features, _ = _lgb_array(trees, ids, b"leaf_features", totals, floats=False, required=True)
    _lgb_array(trees, ids, b"leaf_coeff", totals, floats=True, required=True)
    bad = (features < 0) | (features >= n_features)
    if bad.any():
        t = ids[np.searchsorted(np.cumsum(totals), _first(bad), side="right")]
        raise _Invalid(
            f"tree {t}: leaf_features names feature {features[_first(bad)]}; the model has "
            f"{n_features} features"
        )


def _line_at(data: bytes, line: bytes, start: int, prefix: bool = False) -> int:
    """Where the first line equal to (or, with ``prefix``, starting with) ``line`` at or after
    ``start`` begins, or -1."""
    at = data.find(line, start)
    while at >= 0:
        end = at + len(line)
        if (at == 0 or data[at - 1] in b"\r\n") and (prefix or end == len(data) or data[end] in b"\r\n"):
            return at
        at = data.find(line, at + 1)
    return -1


def _check_lgb_parameters(data: bytes, start: int) -> None:
    """The ``parameters:`` block (from the first tree on, as LightGBM looks for it):
    ``GBDT::GetLoadedParam`` takes each line's second ``:``-separated part unchecked."""
    begin = _line_at(data, b"parameters:", start)
    if begin < 0:
        return
    end = _line_at(data, b"end of parameters", begin)
    for line in re.split(rb"[\r\n]+", data[begin + len(b"parameters:") : end if end >= 0 else len(data)]):
        if line and len([part for part in line.split(b":") if part]) < 2:
            raise _Invalid(f"the parameter line {line[:60]!r} is not [name: value]")
