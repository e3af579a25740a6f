"""Export a masked model as a file that plain XGBoost or LightGBM (and the tools that read
their files: treelite, ONNX converters, MLflow) serve without boostobj.

:func:`export_model` rewrites the trained model, in the backend's own format:

* the trees up to the best iteration (so "all trees", every runtime's default, is right);
* one more iteration of ``K`` trees, one per class, that carry the intercept and, when
  the mask is a function of a state column (:class:`boostobj.TransitionMask`), the mask
  itself: each tree splits on the state column, with leaf ``intercept[k]`` where class
  ``k`` may follow the state and ``-1e30`` where it may not, so the runtime's own
  softmax gives exactly 0 to forbidden classes;
* the objective set to the backend's softmax (``multi:softprob`` / ``multiclass``) and
  XGBoost's ``base_score`` to 0, so a plain ``predict`` returns the masked probabilities.

The states are ``0..n_states-1``, or the integers the rule's ``states`` names (in any
order): state ``s`` gets the interval ``[s - 0.5, s + 0.5)``. Values that are no state
(below or past them, between two named states, or missing) get every class, with the
intercept: the model's unmasked softmax, as no mask is known for them. A non-integer
value within 0.5 of a state falls in its interval, whereas boostobj's own
``TransitionMask`` refuses it.

A mask that is not a function of the features (per-row masks given at predict time)
cannot live in the file: the export then carries the intercept, and the caller adds the
mask's offset to the margins at predict time (``ExportedModel.recipe`` says how, in a few
lines of NumPy and the backend alone).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._adapters import check_intercept
from .masks import INVALID_OFFSET, ClassMask, TransitionMask
from .predict import _backend_of, _n_outputs

__all__ = ["export_model", "ExportedModel"]

#: Leaf value of a forbidden class in the mask trees: the offset boostobj trains with.
FORBIDDEN_LEAF = INVALID_OFFSET
_XGB_SUFFIXES = (".json", ".ubj")


@dataclass(frozen=True)
class ExportedModel:
    """What :func:`export_model` wrote.

    Attributes
    ----------
    path : pathlib.Path
    backend : {"xgboost", "lightgbm"}
    n_classes : int
        Columns of the plain ``predict`` output, in the order of ``classes``.
    classes : list
        The class labels (an estimator's ``classes_``; ``0..K-1`` for a booster).
    mask_in_model : bool
        True when the mask rule was compiled into the file: plain ``predict`` gives the
        masked probabilities. False: add the offset yourself (``recipe``).
    state_feature : int or None
        The feature index the mask trees split on.
    recipe : str
        How to predict masked probabilities with the backend alone.

    Examples
    --------
    >>> from boostobj import MaskedXGBClassifier, export_model
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, 4, 2, random_state=0)
    >>> clf = MaskedXGBClassifier(n_estimators=3).fit(X, y, valid_mask=mask)
    >>> info = export_model(clf, "model.json")  # a per-row mask: not a rule the file can hold
    >>> info.mask_in_model, info.n_classes
    (False, 4)
    >>> print(info.recipe.splitlines()[0])
    offset = np.where(valid, 0.0, -1e30).astype(np.float32)  # valid: (n, K) booleans
    """

    path: Path
    backend: str
    n_classes: int
    classes: list
    mask_in_model: bool
    state_feature: int | None
    recipe: str


def export_model(
    model: Any,
    path: str | os.PathLike,
    *,
    mask_rule: TransitionMask | None = None,
    init_score: Any = None,
    best_iteration: int | None = None,
) -> ExportedModel:
    """Write ``model`` as a plain XGBoost/LightGBM file that predicts masked probabilities.

    Parameters
    ----------
    model : MaskedXGBClassifier, MaskedLGBMClassifier, xgboost.Booster or lightgbm.Booster
        A fitted multiclass model. An estimator brings its intercept (``intercept_``), its
        best iteration and, as ``mask_from``, its mask rule.
    path : str or path-like
        XGBoost: ``.json`` or ``.ubj``; LightGBM: a text model file (any name).
    mask_rule : TransitionMask, optional
        For a booster (an estimator uses its ``mask_from``): the rule that made the
        training masks from a state column; compiled into the model.
    init_score : array-like of shape (K,), optional
        For a booster: the intercept its data sets started from (``init_score`` given to
        ``xgboost_dmatrix`` / ``lightgbm_dataset``).
    best_iteration : int, optional
        For a booster: keep rounds ``0..best_iteration`` only (0-based). Default: the
        booster's own ``best_iteration`` when early stopping set one, else every round.

    Returns
    -------
    ExportedModel

    Raises
    ------
    TypeError
        For a model that is neither a fitted boostobj estimator nor a booster, or a
        ``mask_rule`` that is not a ``TransitionMask``.
    ValueError
        For a one-margin (binary) model, a rule whose number of classes differs from the
        model's or whose ``states`` are not integers, a state column the model does not
        have, a suffix XGBoost does not write,
        or ``init_score``/``mask_rule``/``best_iteration`` given with an estimator.

    Examples
    --------
    >>> from boostobj import MaskedXGBClassifier, TransitionMask, export_model
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask, allowed = make_transition_data(300, 4, 2, random_state=0, return_allowed=True)
    >>> clf = MaskedXGBClassifier(n_estimators=3, mask_from=TransitionMask(0, allowed)).fit(X, y)
    >>> info = export_model(clf, "model.json")  # doctest: +SKIP
    >>> import xgboost  # doctest: +SKIP
    >>> proba = xgboost.Booster(model_file="model.json").predict(xgboost.DMatrix(X))  # doctest: +SKIP
    """
    booster, intercept, rule, best, classes, names = _resolve(model, mask_rule, init_score, best_iteration)
    backend = _backend_of(booster)
    k = _n_outputs(booster, backend)
    if k < 2:
        raise ValueError(
            "model: a one-margin (binary) model has no per-class margins to mask; export it with the "
            "backend's own save_model"
        )
    intercept = np.zeros(k) if intercept is None else intercept
    if intercept.size != k:
        raise ValueError(f"init_score: expected {k} values (one per class); got {intercept.size}")
    classes = list(range(k)) if classes is None else list(classes)
    path = Path(path)
    feature = None
    if rule is not None:
        if rule.n_classes != k:
            raise ValueError(f"mask_rule: makes masks of {rule.n_classes} classes but the model predicts {k}")
        feature = _feature_index(booster, backend, rule.column, names)
    trees = [_class_tree(rule, feature, j, float(intercept[j])) for j in range(k)]
    if backend == "xgboost":
        _export_xgboost(booster, path, trees, best, k, classes)
    else:
        _export_lightgbm(booster, path, trees, best, k)
    return ExportedModel(
        path, backend, k, classes, rule is not None, feature, _recipe(backend, rule is not None)
    )


# ---------------------------------------------------------------------- what to export
def _resolve(model: Any, rule: Any, init_score: Any, best: Any) -> tuple:
    if type(model).__module__ == "boostobj.sklearn":
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model, "booster_")
        if rule is not None or init_score is not None or best is not None:
            raise ValueError(
                "mask_rule, init_score, best_iteration: an estimator brings its own (mask_from, "
                "intercept_, best_iteration_); pass them only with a booster"
            )
        rule = model.mask_from if isinstance(model.mask_from, TransitionMask) else None
        if rule is None and getattr(model, "masked_fit_", False) and model.mask_from is not None:
            raise TypeError(
                f"model: its mask_from ({type(model.mask_from).__name__}) is not a TransitionMask, so it "
                f"cannot be compiled into trees; export the booster (model.booster_) with "
                f"init_score=model.intercept_ and add the offset at predict time"
            )
        names = getattr(model, "feature_names_in_", None)
        names = None if names is None else list(names)
        return model.booster_, model.intercept_, rule, model.best_iteration_, model.classes_, names
    _backend_of(model)  # TypeError for anything else
    if rule is not None and not isinstance(rule, TransitionMask):
        raise TypeError(f"mask_rule: expected a TransitionMask; got {type(rule).__name__}")
    if best is None:
        found = getattr(model, "best_iteration", None)
        if _backend_of(model) == "lightgbm":
            best = found - 1 if isinstance(found, int) and found > 0 else None
        else:
            best = found if isinstance(found, int) else None
    elif isinstance(best, bool) or not isinstance(best, (int, np.integer)) or best < 0:
        raise ValueError(f"best_iteration: expected an integer >= 0; got {best!r}")
    return model, check_intercept(init_score), rule, best, None, None


def _feature_index(booster: Any, backend: str, column: Any, fitted_names: list | None = None) -> int:
    """The model's feature index of the state column ``column`` (a position, or a name of
    the booster's features; for an estimator fitted on a DataFrame whose columns reached
    the booster without names, a name of its ``feature_names_in_``)."""
    names = booster.feature_names if backend == "xgboost" else booster.feature_name()
    n_features = booster.num_features() if backend == "xgboost" else booster.num_feature()
    if isinstance(column, str) and (not names or column not in names) and fitted_names is not None:
        if len(fitted_names) == n_features:
            names = fitted_names
    if isinstance(column, str):
        if not names or column not in names:
            raise ValueError(
                f"mask_rule: the state column {column!r} is not a feature of the model ({names})"
            )
        index = list(names).index(column)
    elif not 0 <= int(column) < n_features:
        raise ValueError(
            f"mask_rule: state column {column} is out of range for a model of {n_features} features"
        )
    else:
        index = int(column)
    if _categorical_feature(booster, backend, index):
        raise ValueError(
            f"mask_rule: the state column {column!r} is a categorical feature of the model; the mask "
            f"trees split on numeric states, so code the states as integers 0..n_states-1 to export "
            f"the mask (or export without it and add the offset at predict time)"
        )
    return index


def _categorical_feature(booster: Any, backend: str, index: int) -> bool:
    if backend == "xgboost":
        types = booster.feature_types
        return bool(types) and types[index] == "c"
    infos = booster.dump_model(num_iteration=0)["feature_infos"]
    name = booster.feature_name()[index]
    return bool(infos.get(name, {}).get("values"))


# ---------------------------------------------------------------------- the extra trees
@dataclass
class _Tree:
    """A tree over one feature: interval ``i`` is ``[thresholds[i-1], thresholds[i])``
    (``-inf``/``+inf`` at the ends) and gets ``leaves[i]``; missing values go left."""

    feature: int
    thresholds: list[float]
    leaves: list[float]


def _class_tree(rule: TransitionMask | None, feature: int | None, k: int, intercept: float) -> _Tree:
    """Class ``k``'s tree: ``intercept`` where ``k`` may follow the state (and for unseen
    states), ``FORBIDDEN_LEAF`` where it may not; adjacent equal intervals merged."""
    if rule is None:
        return _Tree(0, [], [intercept])
    table: ClassMask = rule._table
    allowed = table.to_dense()[:, k]
    states = _state_values(rule)
    cuts, values = [], []  # interval i starts at cuts[i] and gets values[i]
    end = None  # where the previous state's interval ends
    for row in np.argsort(states, kind="stable"):
        if end is not None and states[row] - 0.5 > end:  # a gap between states: unseen ones
            cuts.append(end)
            values.append(intercept)
        cuts.append(states[row] - 0.5)
        values.append(intercept if allowed[row] else FORBIDDEN_LEAF)
        end = states[row] + 0.5
    cuts.append(end)
    values.append(intercept)  # past the last state: unseen
    thresholds, leaves = [], [intercept]  # below the first state: unseen
    for cut, value in zip(cuts, values, strict=True):
        if value != leaves[-1]:
            thresholds.append(cut)
            leaves.append(value)
    return _Tree(feature, thresholds, leaves)


def _state_values(rule: TransitionMask) -> np.ndarray:
    """The state of each row of the rule's table, as the number the mask trees split on:
    ``0..n_states-1``, or the rule's ``states`` when they are integers (each state ``s``
    gets the interval ``[s - 0.5, s + 0.5)``)."""
    if rule._states is None:
        return np.arange(len(rule._table), dtype=np.float64)
    labels = list(rule._states)
    numeric = all(
        isinstance(s, (int, float, np.integer, np.floating))
        and not isinstance(s, (bool, np.bool_))
        and np.isfinite(s)
        and float(s) == round(float(s))
        and abs(float(s)) < 2**22  # s +- 0.5 exact in float32, XGBoost's split thresholds
        for s in labels
    )
    if not numeric:
        raise ValueError(
            f"mask_rule: its states ({labels[:10]}) are not all integers below 2**22 in magnitude; the "
            f"mask trees split on numeric states, so code the states as such integers to export the "
            f"mask (or export without it and add the offset at predict time)"
        )
    return np.array(labels, dtype=np.float64)


def _nodes(tree: _Tree) -> list[dict]:
    """The tree's nodes in breadth-first order, root first: splits ``{"threshold", "left",
    "right", "count"}`` (children as node positions) and leaves ``{"value", "count"}``;
    ``count`` is the number of intervals below (the nodes' cover)."""
    nodes: list[dict] = []
    queue = [(0, len(tree.leaves))]  # the intervals leaves[lo:hi] below each pending node
    while queue:
        lo, hi = queue.pop(0)
        if hi - lo == 1:
            nodes.append({"value": tree.leaves[lo], "count": 1})
            continue
        mid = (lo + hi) // 2
        first = len(nodes) + len(queue) + 1  # the children's positions, after the pending nodes
        nodes.append(
            {"threshold": tree.thresholds[mid - 1], "count": hi - lo, "left": first, "right": first + 1}
        )
        queue.extend([(lo, mid), (mid, hi)])
    return nodes


# ---------------------------------------------------------------------- XGBoost
def _export_xgboost(
    booster: Any, path: Path, trees: list[_Tree], best: int | None, k: int, classes: list
) -> None:
    import xgboost

    if path.suffix not in _XGB_SUFFIXES:
        raise ValueError(
            f"path: an XGBoost model is written as JSON or UBJSON, chosen by the suffix; expected one of "
            f"{list(_XGB_SUFFIXES)}, got {path.suffix!r}"
        )
    model = json.loads(bytes(booster.save_raw("json")))
    learner = model["learner"]
    gbm = learner["gradient_booster"]
    if gbm.get("name") not in (None, "gbtree"):
        raise ValueError(f"model: only tree boosters can be exported; got booster {gbm.get('name')!r}")
    forest = gbm["model"]
    indptr = [int(v) for v in forest["iteration_indptr"]]
    if best is not None and best + 1 < len(indptr) - 1:
        end = indptr[best + 1]
        forest["trees"] = forest["trees"][:end]
        forest["tree_info"] = forest["tree_info"][:end]
        indptr = indptr[: best + 2]
    n_features = int(learner["learner_model_param"]["num_feature"])
    start = len(forest["trees"])
    for j, tree in enumerate(trees):
        forest["trees"].append(_xgboost_tree(tree, start + j, n_features))
        forest["tree_info"].append(j)
    forest["iteration_indptr"] = indptr + [indptr[-1] + k]
    forest["gbtree_model_param"]["num_trees"] = str(len(forest["trees"]))
    learner["objective"] = {"name": "multi:softprob", "softmax_multiclass_param": {"num_class": str(k)}}
    learner["learner_model_param"]["base_score"] = "[" + ",".join(["0E0"] * k) + "]"
    learner["attributes"] = {"boostobj_export": json.dumps({"classes": _plain(classes)})}
    plain = xgboost.Booster()
    plain.load_model(bytearray(json.dumps(model).encode()))
    _write(path, lambda: plain.save_model(path))


def _xgboost_tree(tree: _Tree, tree_id: int, n_features: int) -> dict:
    nodes = _nodes(tree)
    n = len(nodes)
    left = [-1] * n
    right = [-1] * n
    parents = [2147483647] * n
    cond, index, default_left, gain, cover = [0.0] * n, [0] * n, [0] * n, [0.0] * n, [0.0] * n
    for i, node in enumerate(nodes):
        cover[i] = float(node["count"])
        if "threshold" in node:
            left[i], right[i] = node["left"], node["right"]
            parents[node["left"]] = parents[node["right"]] = i
            cond[i], index[i], default_left[i], gain[i] = float(node["threshold"]), tree.feature, 1, 1.0
        else:
            cond[i] = float(node["value"])
    return {
        "base_weights": list(cond),
        "categories": [],
        "categories_nodes": [],
        "categories_segments": [],
        "categories_sizes": [],
        "default_left": default_left,
        "id": tree_id,
        "left_children": left,
        "loss_changes": gain,
        "parents": parents,
        "right_children": right,
        "split_conditions": cond,
        "split_indices": index,
        "split_type": [0] * n,
        "sum_hessian": cover,
        "tree_param": {
            "num_deleted": "0",
            "num_feature": str(n_features),
            "num_nodes": str(n),
            "size_leaf_vector": "1",
        },
    }


# ---------------------------------------------------------------------- LightGBM
def _export_lightgbm(booster: Any, path: Path, trees: list[_Tree], best: int | None, k: int) -> None:
    import lightgbm

    text = booster.model_to_string(num_iteration=None if best is None else best + 1)
    head, rest = text.split("\nTree=", 1)
    body, tail = ("Tree=" + rest).split("end of trees", 1)
    n_trees = body.count("Tree=")
    lines = [line for line in head.split("\n") if not line.startswith(("tree_sizes=", "objective="))]
    at = next(i for i, line in enumerate(lines) if line.startswith("max_feature_idx="))
    lines.insert(at + 1, f"objective=multiclass num_class:{k}")
    blocks = [_lightgbm_tree(tree, n_trees + j) for j, tree in enumerate(trees)]
    tail = tail.replace("[objective: custom]", "[objective: multiclass]", 1)
    text = "\n".join(lines) + "\n\n" + body + "".join(blocks) + "end of trees" + tail
    plain = lightgbm.Booster(model_str=text)  # LightGBM parses what it will serve
    _write(path, lambda: path.write_text(plain.model_to_string(), encoding="utf-8"))


def _lightgbm_tree(tree: _Tree, tree_id: int) -> str:
    nodes = _nodes(tree)
    splits = [i for i, node in enumerate(nodes) if "threshold" in node]
    leaves = [i for i, node in enumerate(nodes) if "threshold" not in node]
    split_pos = {node: j for j, node in enumerate(splits)}
    leaf_pos = {node: j for j, node in enumerate(leaves)}

    def child(i: int) -> int:  # LightGBM: a split's position, or ~(leaf position)
        return split_pos[i] if i in split_pos else ~leaf_pos[i]

    def row(values: list) -> str:
        return " ".join(repr(float(v)) if isinstance(v, float) else str(v) for v in values)

    lines = [
        f"Tree={tree_id}",
        f"num_leaves={len(leaves)}",
        "num_cat=0",
        f"split_feature={row([tree.feature] * len(splits))}",
        f"split_gain={row([1.0] * len(splits))}",
        f"threshold={row([float(nodes[i]['threshold']) for i in splits])}",
        f"decision_type={row([10] * len(splits))}",  # numerical, default left, missing = NaN
        f"left_child={row([child(nodes[i]['left']) for i in splits])}",
        f"right_child={row([child(nodes[i]['right']) for i in splits])}",
        f"leaf_value={row([float(nodes[i]['value']) for i in leaves])}",
        f"leaf_weight={row([1.0] * len(leaves))}",
        f"leaf_count={row([1] * len(leaves))}",
        f"internal_value={row([0.0] * len(splits))}",
        f"internal_weight={row([float(nodes[i]['count']) for i in splits])}",
        f"internal_count={row([nodes[i]['count'] for i in splits])}",
        "is_linear=0",
        "shrinkage=1",
    ]
    return "\n".join(lines) + "\n\n\n"


# ---------------------------------------------------------------------- helpers
def _write(path: Path, write: Any) -> None:
    try:
        write()
    except Exception as error:  # the backends raise their own types for I/O failures
        if path.parent.exists() and not path.is_dir():
            raise
        raise OSError(f"path: cannot write {str(path)!r}: {error}") from None


def _plain(values: list) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _recipe(backend: str, mask_in_model: bool) -> str:
    if mask_in_model:
        predict = (
            "xgboost.Booster(model_file=path).predict(xgboost.DMatrix(X))"
            if backend == "xgboost"
            else "lightgbm.Booster(model_file=path).predict(X)"
        )
        return f"proba = {predict}  # (n, K), exactly 0 on forbidden classes"
    if backend == "xgboost":
        return (
            "offset = np.where(valid, 0.0, -1e30).astype(np.float32)  # valid: (n, K) booleans\n"
            "proba = xgboost.Booster(model_file=path).predict(xgboost.DMatrix(X, base_margin=offset))"
        )
    return (
        "raw = lightgbm.Booster(model_file=path).predict(X, raw_score=True)\n"
        "raw = np.where(valid, raw, -np.inf)  # valid: (n, K) booleans\n"
        "proba = np.exp(raw - raw.max(axis=1, keepdims=True))\n"
        "proba /= proba.sum(axis=1, keepdims=True)"
    )
