"""Corrupted and crafted model files are a ``ValueError`` from ``load_model``, never a crash.

A mutation commented ``crash:`` crashed plain XGBoost 3.2 / LightGBM 4.7 in a child process
that loaded the file and predicted from it (segmentation fault, abort, floating-point
exception, endless loop); the others the backends refuse with an error of their own, read
past an array without crashing, or accept although the file is not a proper tree.
``boostobj._model_files`` checks the file before the backend parses it. Without the checks
this module kills the test process. The models are tiny (60 rows, 2 rounds), built once.
"""

from __future__ import annotations

import copy
import json
import re
import struct

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

import boostobj as bo
from boostobj import _model_files

N, K = 60, 3
XGB = {"num_class": K, "nthread": 1, "max_depth": 2, "verbosity": 0, "disable_default_eval_metric": 1}
LGB = {"num_class": K, "num_threads": 1, "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 5}


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((N, 3)), np.arange(N) % K


@pytest.fixture(scope="module")
def xgb_booster():
    X, y = _data()
    return xgb.train(XGB, bo.xgboost_dmatrix(X, y), 2, obj=bo.xgboost_objective())


@pytest.fixture(scope="module")
def xgb_document(xgb_booster, tmp_path_factory):
    """The boostobj-saved JSON model, with tree 0 replaced by a known full tree of depth 2."""
    path = tmp_path_factory.mktemp("xgb") / "m.json"
    bo.save_model(xgb_booster, path)
    doc = json.loads(path.read_text())
    _set_tree(doc, 0, [1, 3, 5, -1, -1, -1, -1], [2, 4, 6, -1, -1, -1, -1], [2**31 - 1, 0, 0, 1, 1, 2, 2])
    return doc


def _trees(doc):
    return doc["learner"]["gradient_booster"]["model"]["trees"]


def _set_tree(doc, t, left, right, parents, split=None):
    """Replace tree ``t``'s node arrays with these (numerical splits, consistent lengths)."""
    n = len(left)
    tree = _trees(doc)[t]
    tree.update(
        left_children=list(left),
        right_children=list(right),
        parents=list(parents),
        split_indices=list(split if split is not None else [i % 3 for i in range(n)]),
        split_conditions=[0.0] * n,
        default_left=[0] * n,
        base_weights=[0.1] * n,
        loss_changes=[0.0] * n,
        sum_hessian=[1.0] * n,
        split_type=[0] * n,
        categories=[],
        categories_nodes=[],
        categories_segments=[],
        categories_sizes=[],
    )
    tree["tree_param"]["num_nodes"] = str(n)
    tree["tree_param"]["num_deleted"] = "0"


def _load_json_doc(doc, tmp_path, name="m.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return bo.load_model(path)


def _tree0(doc):
    return _trees(doc)[0]


def _model(doc):
    return doc["learner"]["gradient_booster"]["model"]


def test_the_hand_built_tree_loads_and_predicts(xgb_document, tmp_path):
    loaded = _load_json_doc(xgb_document, tmp_path)
    X, _ = _data()
    assert loaded.predict_proba(X).shape == (N, K)


# name, mutation of the JSON document (tree 0: nodes 0..6, 0 -> 1, 2; 1 -> 3, 4; 2 -> 5, 6), message
XGB_MUTATIONS = [
    (
        "left child 10**6",  # crash: segfault when predicting
        lambda d: _tree0(d)["left_children"].__setitem__(0, 10**6),
        r"tree 0, node 0: left child 1000000 is out of range; expected -1 \(a leaf\) or a node 1..6 "
        r"\(the tree has 7 nodes\)",
    ),
    (
        "right child -5",  # crash: segfault when predicting
        lambda d: _tree0(d)["right_children"].__setitem__(1, -5),
        r"tree 0, node 1: right child -5 is out of range",
    ),
    (
        "a child that is the root",  # crash: segfault when predicting
        lambda d: _tree0(d)["left_children"].__setitem__(2, 0),
        r"tree 0, node 2: left child 0 is out of range",
    ),
    (
        "a node with two parents",  # node 3 reached from 1 and 2
        lambda d: _tree0(d)["left_children"].__setitem__(2, 3),
        r"tree 0, node 3: it is the child of 2 nodes; expected 1 \(a tree\)",
    ),
    (
        "a cycle apart from the root",  # 1 is a leaf; 3 -> (3, 4) is a loop on its own
        lambda d: _set_tree(
            d, 0, [1, -1, 5, 3, -1, -1, -1], [2, -1, 6, 4, -1, -1, -1], [2**31 - 1, 0, 0, 3, 3, 2, 2]
        ),
        r"tree 0, node 3: not reachable from the root \(the children form a cycle\)",
    ),
    (
        "a leaf's right child 10**6",
        lambda d: _tree0(d)["right_children"].__setitem__(3, 10**6),
        r"tree 0, node 3: a leaf whose right child 1000000 is out of range",
    ),
    (
        "parent 10**6",  # crash: segfault while loading
        lambda d: _tree0(d)["parents"].__setitem__(1, 10**6),
        r"tree 0, node 1: its parent is 1000000; expected a node 0..6",
    ),
    (
        "parent -1 below the root",  # crash: segfault while loading
        lambda d: _tree0(d)["parents"].__setitem__(4, -1),
        r"tree 0, node 4: its parent is -1; expected a node 0..6",
    ),
    (
        "a parent that is not the parent",
        lambda d: _tree0(d)["parents"].__setitem__(4, 2),
        r"tree 0, node 4: its parent is 2, but it is the child of node 1",
    ),
    (
        "the root's parent 5",
        lambda d: _tree0(d)["parents"].__setitem__(0, 5),
        r"tree 0, node 0: its parent is 5; expected -1 or 2147483647 for a root",
    ),
    (
        "split feature 10**6",  # crash: segfault when predicting
        lambda d: _tree0(d)["split_indices"].__setitem__(0, 10**6),
        r"tree 0, node 0: splits on feature 1000000; the model has 3 features "
        r"\(learner_model_param.num_feature\)",
    ),
    (
        "split feature -5",  # crash: segfault when predicting
        lambda d: _tree0(d)["split_indices"].__setitem__(0, -5),
        r"tree 0, node 0: splits on feature -5",
    ),
    (
        "the root marked deleted",  # split index -1; crash: segfault when predicting
        lambda d: _tree0(d)["split_indices"].__setitem__(0, -1),
        r"tree 0: the root \(node 0\) is marked deleted",
    ),
    (
        "a live node marked deleted",  # crash: segfault when predicting
        lambda d: (
            _tree0(d)["split_indices"].__setitem__(2, -1),
            _tree0(d)["tree_param"].update(num_deleted="1"),
        ),
        r"tree 0, node 2: a deleted node is the child of 1 nodes; expected 0",
    ),
    (
        "num_deleted of nothing deleted",
        lambda d: _tree0(d)["tree_param"].update(num_deleted="3"),
        r"tree 0: 0 nodes are marked deleted; tree_param.num_deleted is 3",
    ),
    (
        "num_nodes 50",
        lambda d: _tree0(d)["tree_param"].update(num_nodes="50"),
        r"tree 0: left_children has 7 entries; expected 50 \(tree_param.num_nodes\)",
    ),
    (
        "num_nodes 0",
        lambda d: _tree0(d)["tree_param"].update(num_nodes="0"),
        r"tree 0: tree_param.num_nodes: expected an integer in \[1, 2147483647\], got 0",
    ),
    (
        "num_nodes not a number",
        lambda d: _tree0(d)["tree_param"].update(num_nodes="7x"),
        r"tree 0: tree_param.num_nodes: expected an integer as a string, got '7x'",
    ),
    (
        "a short split_conditions",
        lambda d: _tree0(d)["split_conditions"].pop(),
        r"tree 0: split_conditions has 6 entries; expected 7 \(tree_param.num_nodes\)",
    ),
    (
        "a short base_weights",
        lambda d: _tree0(d)["base_weights"].pop(),
        r"tree 0: base_weights has 6 entries; expected 7 \(num_nodes \* size_leaf_vector\)",
    ),
    (
        "float child indices",
        lambda d: _tree0(d).update(left_children=[1.0, 3, 5, -1, -1, -1, -1]),
        r"tree 0: left_children: expected an array of integers, got an array",
    ),
    (
        "default_left 2",
        lambda d: _tree0(d)["default_left"].__setitem__(0, 2),
        r"tree 0, node 0: default_left is 2",
    ),
    (
        "size_leaf_vector 5",  # a multi-output tree's layout; crash: segfault while loading
        lambda d: _tree0(d)["tree_param"].update(size_leaf_vector="5"),
        r"tree 0: tree_param.size_leaf_vector is 5; a multi-output tree has one value per output \(3\)",
    ),
    (
        "tree id 99",
        lambda d: _tree0(d).update(id=99),
        r"tree 0: its id is 99; expected 0 \(its position\)",
    ),
    (
        "tree_info class 10**6",  # crash: segfault when predicting
        lambda d: _model(d)["tree_info"].__setitem__(0, 10**6),
        r"tree 0: tree_info \(its output group\) is 1000000; expected 0..2 \(the model has 3 outputs\)",
    ),
    (
        "tree_info class -7",  # crash: writes outside the output when predicting (aborted once)
        lambda d: _model(d)["tree_info"].__setitem__(0, -7),
        r"tree 0: tree_info \(its output group\) is -7; expected 0..2",
    ),
    (
        "a short tree_info",
        lambda d: _model(d)["tree_info"].pop(),
        r"gradient_booster.model.tree_info has 5 entries for 6 trees",
    ),
    (
        "num_trees 9",
        lambda d: _model(d)["gbtree_model_param"].update(num_trees="9"),
        r"gradient_booster.model.trees: expected 9 trees \(gbtree_model_param.num_trees\), got 6 trees",
    ),
    (
        "iteration_indptr falling",
        lambda d: _model(d).update(iteration_indptr=[0, 5, 3, 6]),
        r"gradient_booster.model.iteration_indptr must rise from 0 to the number of trees \(6\); "
        r"got \[0, 5, 3, 6\]",
    ),
    (
        "no trees key",
        lambda d: _model(d).pop("trees"),
        r"gradient_booster.model: the key 'trees' is missing",
    ),
    (
        "a categorical node without categories",
        lambda d: _tree0(d)["split_type"].__setitem__(0, 1),
        r"tree 0: categories_nodes must list the nodes whose split_type is 1, in order",
    ),
    (
        "a categories slice past the end",  # crash: segfault while loading
        lambda d: _tree0(d).update(
            split_type=[1, 0, 0, 0, 0, 0, 0],
            categories=[0, 2],
            categories_nodes=[0],
            categories_segments=[10**6],
            categories_sizes=[2],
        ),
        r"tree 0, node 0: its categories are entries 1000000..1000001 of categories, which has 2",
    ),
    (
        "a negative category",  # crash: segfault or bad_alloc while loading
        lambda d: _tree0(d).update(
            split_type=[1, 0, 0, 0, 0, 0, 0],
            categories=[-5],
            categories_nodes=[0],
            categories_segments=[0],
            categories_sizes=[1],
        ),
        r"tree 0: category -5 is out of range 0..16777215",
    ),
    (
        "category 2**30",  # a 128 MB bit set for one node while loading
        lambda d: _tree0(d).update(
            split_type=[1, 0, 0, 0, 0, 0, 0],
            categories=[2**30],
            categories_nodes=[0],
            categories_segments=[0],
            categories_sizes=[1],
        ),
        r"tree 0: category 1073741824 is out of range 0..16777215",
    ),
    (
        "category encodings with running counts past the end",  # crash: abort predicting categorical data
        lambda d: _model(d).update(
            cats={
                "enc": [
                    {"type": 15, "values": [0, 1, 2]},
                    {"offsets": [], "values": []},
                    {"offsets": [], "values": []},
                ],
                "feature_segments": [0, 10**6, 3, 3],
                "sorted_idx": [0, 1, 2],
            }
        ),
        r"gradient_booster.model.cats.feature_segments must be the running count of each feature's "
        r"categories, \[0, 3, 3, 3\]; got \[0, 1000000, 3, 3\]",
    ),
    (
        "category encodings sorted out of range",  # crash: abort predicting categorical data
        lambda d: _model(d).update(
            cats={
                "enc": [
                    {"type": 15, "values": [0, 1, 2]},
                    {"offsets": [], "values": []},
                    {"offsets": [], "values": []},
                ],
                "feature_segments": [0, 3, 3, 3],
                "sorted_idx": [0, 10**6, 2],
            }
        ),
        r"gradient_booster.model.cats.sorted_idx must order each feature's categories; entry 1 is 1000000",
    ),
    (
        "a duplicated key",  # which one a reader keeps differs
        lambda d: None,  # written by the test
        r"the key 'left_children' appears twice in one object",
    ),
    (
        "an unknown booster",
        lambda d: d["learner"]["gradient_booster"].update(name="gbforest"),
        r"gradient_booster.name: expected 'gbtree', 'dart' or 'gblinear', got 'gbforest'",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "message"), XGB_MUTATIONS, ids=[m[0] for m in XGB_MUTATIONS])
def test_a_crafted_xgboost_json_model_is_a_value_error(name, mutate, message, xgb_document, tmp_path):
    doc = copy.deepcopy(xgb_document)
    mutate(doc)
    text = json.dumps(doc)
    if name == "a duplicated key":
        text = text.replace(
            '"left_children": ', '"left_children": [1, 3, 5, -1, -1, -1, -1], "left_children": ', 1
        )
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(
        ValueError, match=r"path: '.*m\.json' is not a valid XGBoost JSON model file: " + message
    ):
        bo.load_model(path)


def _ubj_patch(data: bytes, key: bytes, index: int, value: int) -> bytes:
    """``data`` with entry ``index`` of the first int32 typed array ``key`` set to ``value``."""
    at = data.index(key + b"[$l#L") + len(key) + 5 + 8 + 4 * index
    return data[:at] + struct.pack(">i", value) + data[at + 4 :]


def test_a_crafted_xgboost_ubjson_model_is_a_value_error(xgb_document, tmp_path):
    booster = xgb.Booster(model_file=bytearray(json.dumps(xgb_document).encode()))  # the hand-built tree
    path = tmp_path / "m.ubj"
    bo.save_model(booster, path)
    data = path.read_bytes()
    typed = data.index(b"left_children[$l#L") + len(b"left_children[$l#L")  # the count, then the values
    cases = [
        (_ubj_patch(data, b"left_children", 0, 10**6), r"tree 0, node 0: left child 1000000 is out of range"),
        (_ubj_patch(data, b"split_indices", 1, 10**6), r"tree 0, node 1: splits on feature 1000000"),
        (_ubj_patch(data, b"parents", 6, 10**6), r"tree 0, node 6: its parent is 1000000"),
        # XGBoost's own reader does not check lengths against the end of the buffer
        (data[: len(data) // 2], r".* runs past the end of the file at byte \d+ \(truncated\?\)"),
        (
            data.replace(
                b"L" + struct.pack(">q", 7) + b"learner", b"L" + struct.pack(">q", 2**40) + b"learner", 1
            ),
            r"a key of length 1099511627776 at byte 1 runs past the end of the file",
        ),
        (
            data[:typed] + struct.pack(">q", 2**40) + data[typed + 8 :],
            r"a typed array of length 1099511627776 at byte \d+ runs past the end of the file",
        ),
        (data + b"Z", r"1 bytes after the end of the model"),
        (
            data[:1] + b"L" + struct.pack(">q", 1) + b"a" + b"X" + data[1:],
            r"unknown UBJSON type marker b'X' at byte 11",
        ),
    ]
    for mutated, message in cases:
        path.write_bytes(mutated)
        with pytest.raises(
            ValueError, match=r"path: '.*m\.ubj' is not a valid XGBoost UBJSON model file: " + message
        ):
            bo.load_model(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"",
            r"is not a model file boostobj can read: expected an XGBoost JSON or UBJSON model \(starting "
            r"with '\{'\) or a LightGBM text model \(starting with 'tree'\); it starts with b''",
        ),
        (b"PK\x03\x04 zip", r"is not a model file boostobj can read: .* it starts with b'PK\\x03\\x04 zip'"),
        (
            b'{"learner": {"attributes": ',
            r"is not a valid XGBoost JSON model file: it is not valid JSON "
            r"\(Expecting value: line 1, column 28\)",
        ),
        (b'{"learner": "\xff"}', r"is not a valid XGBoost JSON model file: it is not UTF-8 text \(byte 13\)"),
        (
            b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            r"is not a valid XGBoost JSON model file: it is nested too deeply",
        ),
        (
            b'{"learner": 3}',
            r"is not a valid XGBoost JSON model file: learner: expected an object, got a number",
        ),
    ],
    ids=["empty", "garbage", "truncated-json", "not-utf8", "deep", "wrong-type"],
)
def test_garbage_and_truncated_files_are_value_errors(content, message, tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"path: '.*m\.json' " + message):
        bo.load_model(path)


def test_an_error_xgboost_raises_itself_is_a_value_error(xgb_document, tmp_path):
    doc = copy.deepcopy(xgb_document)
    doc["learner"]["objective"]["name"] = "multi:nonsense"
    with pytest.raises(
        ValueError, match=r"path: '.*m\.json' is not a model XGBoost can load: Unknown objective"
    ):
        _load_json_doc(doc, tmp_path)


# ---------------------------------------------------------------------- other XGBoost layouts
def _xgb_variant(params, tmp_path, rounds=2, dtrain=None):
    X, y = _data()
    booster = xgb.train({"nthread": 1, "verbosity": 0, **params}, dtrain or xgb.DMatrix(X, y), rounds)
    path = tmp_path / "m.json"
    booster.save_model(path)
    return booster, json.loads(path.read_text())


def test_gblinear_dart_and_multi_output_models_are_checked(tmp_path):
    def refuse(doc, message):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(doc))
        with pytest.raises(ValueError, match=r"is not a valid XGBoost JSON model file: " + message):
            _model_files.check_xgboost_model(path.read_bytes(), "bad.json")

    multi = {"objective": "multi:softprob", "num_class": K}
    _, doc = _xgb_variant({**multi, "booster": "gblinear"}, tmp_path)
    _model_files.check_xgboost_model(json.dumps(doc).encode(), "ok.json")
    refuse(
        {**doc, "learner": {**doc["learner"], "gradient_booster": {"name": "gblinear", "model": {}}}},
        r"gradient_booster.model: the key 'weights' is missing",
    )  # crash: segfault while loading
    doc["learner"]["gradient_booster"]["model"]["weights"].pop()  # reads past the weights when predicting
    refuse(
        doc,
        r"gradient_booster.model.weights has 11 values; expected \(num_feature \+ 1\) \* outputs = "
        r"\(3 \+ 1\) \* 3 = 12",
    )

    _, doc = _xgb_variant({**multi, "booster": "dart", "rate_drop": 0.5}, tmp_path)
    _model_files.check_xgboost_model(json.dumps(doc).encode(), "ok.json")
    doc["learner"]["gradient_booster"]["weight_drop"] += [1.0]
    refuse(doc, r"gradient_booster.weight_drop has 7 weights for 6 trees")

    _, doc = _xgb_variant({**multi, "multi_strategy": "multi_output_tree", "tree_method": "hist"}, tmp_path)
    _model_files.check_xgboost_model(json.dumps(doc).encode(), "ok.json")
    tree = doc["learner"]["gradient_booster"]["model"]["trees"][0]
    leaf = tree["left_children"].index(-1)
    bad = copy.deepcopy(doc)
    bad["learner"]["gradient_booster"]["model"]["trees"][0]["right_children"][leaf] = 999  # crash: abort
    refuse(bad, rf"tree 0, node {leaf}: a leaf whose right child 999 is out of range")
    bad = copy.deepcopy(doc)
    bad["learner"]["gradient_booster"]["model"]["trees"][0]["leaf_weights"].pop()
    refuse(bad, r"tree 0: leaf_weights has \d+ entries; expected \d+ \(leaves \* size_leaf_vector\)")
    bad["learner"]["gradient_booster"]["model"]["trees"][0].pop(
        "leaf_weights"
    )  # crash: segfault while loading
    refuse(bad, r"tree 0: the key 'leaf_weights' is missing")


def test_pruned_trees_with_deleted_nodes_and_categorical_splits_pass(tmp_path):
    """Valid layouts the checks must accept: pruned nodes stay in the arrays, marked deleted."""
    X, y = _data()
    base = {"objective": "binary:logistic", "nthread": 1, "verbosity": 0}
    grown = xgb.train({**base, "max_depth": 4, "min_child_weight": 0}, xgb.DMatrix(X, y % 2), 2)
    pruned = xgb.train(
        {**base, "process_type": "update", "updater": "prune", "gamma": 1.0},
        xgb.DMatrix(X, y % 2),
        2,
        xgb_model=grown,
    )
    doc = json.loads(pruned.save_raw("json"))
    assert sum(int(t["tree_param"]["num_deleted"]) for t in _trees(doc)) > 0
    for fmt in ("json", "ubj"):
        _model_files.check_xgboost_model(bytes(pruned.save_raw(fmt)), "pruned")

    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"c": pd.Categorical(np.arange(N) % 5), "x": X[:, 0]})
    dtrain = xgb.DMatrix(frame, y, enable_categorical=True)
    booster = xgb.train(
        {**base, "objective": "multi:softprob", "num_class": K, "max_cat_to_onehot": 1}, dtrain, 2
    )
    doc = json.loads(booster.save_raw("json"))
    assert (
        any(1 in t["split_type"] for t in _trees(doc))
        and doc["learner"]["gradient_booster"]["model"]["cats"]["enc"]
    )
    for fmt in ("json", "ubj"):
        _model_files.check_xgboost_model(bytes(booster.save_raw(fmt)), "categorical")


# ====================================================================== LightGBM
@pytest.fixture(scope="module")
def lgb_text(tmp_path_factory):
    """A boostobj-saved LightGBM model with tree 0 replaced by a known tree of 4 leaves:
    node 0 -> (1, 2); node 1 -> leaves 0, 1; node 2 -> leaves 2, 3."""
    X, y = _data()
    booster = lgb.train({**LGB, "objective": bo.lightgbm_objective()}, bo.lightgbm_dataset(X, y), 2)
    path = tmp_path_factory.mktemp("lgb") / "m.txt"
    bo.save_model(booster, path)
    return _lgb_edit(
        path.read_text(),
        num_leaves="4",
        num_cat="0",
        split_feature="0 1 2",
        split_gain="1 1 1",
        threshold="0.5 0.25 -0.5",
        decision_type="2 2 2",
        left_child="1 -1 -3",
        right_child="2 -2 -4",
        leaf_value="0.1 0.2 0.3 0.4",
        leaf_weight="1 1 1 1",
        leaf_count="15 15 15 15",
        internal_value="0 0 0",
        internal_weight="4 2 2",
        internal_count="60 30 30",
    )


def _lgb_sizes(text: str) -> str:
    """``text`` with tree_sizes recomputed from the trees' blocks, as LightGBM writes it."""
    starts = [m.start() for m in re.finditer(r"^Tree=", text, re.M)]
    bounds = [*starts, text.index("end of trees")]
    sizes = " ".join(str(len(text[a:b].encode())) for a, b in zip(bounds, bounds[1:], strict=False))
    return re.sub(r"^tree_sizes=.*$", f"tree_sizes={sizes}", text, count=1, flags=re.M)


def _lgb_edit(text: str, tree: int = 0, _sizes: bool = True, **fields: str) -> str:
    """``text`` with tree ``tree``'s lines ``key=value`` set (added before ``shrinkage`` if new)."""
    start = text.index(f"Tree={tree}\n")
    end = text.index("\n\n", start)
    lines = text[start:end].split("\n")
    for key, value in fields.items():
        at = [i for i, line in enumerate(lines) if line.startswith(f"{key}=")]
        if value is None:
            lines = [line for i, line in enumerate(lines) if i not in at]
        elif at:
            lines[at[0]] = f"{key}={value}"
        else:
            lines.insert(len(lines) - 1, f"{key}={value}")
    text = text[:start] + "\n".join(lines) + text[end:]
    return _lgb_sizes(text) if _sizes else text


def _lgb_header(text: str, **fields: str) -> str:
    for key, value in fields.items():
        text = re.sub(rf"^{key}=.*$", f"{key}={value}", text, count=1, flags=re.M)
    return text


def test_the_hand_built_lightgbm_tree_loads_and_predicts(lgb_text, tmp_path):
    path = tmp_path / "m.txt"
    path.write_text(lgb_text)
    X, _ = _data()
    assert bo.load_model(path).predict_proba(X).shape == (N, K)


LGB_MUTATIONS = [
    (
        "left_child 999",  # crash: segfault when predicting
        lambda t: _lgb_edit(t, left_child="1 999 -3"),
        r"tree 0, node 1: left_child 999 is out of range; expected an internal node 1..2 or a leaf as "
        r"~index, -1..-4 \(4 leaves\)",
    ),
    (
        "a leaf -999",  # reads past leaf_value when predicting
        lambda t: _lgb_edit(t, right_child="2 -999 -4"),
        r"tree 0, node 1: right_child -999 is out of range",
    ),
    (
        "a child that is the root",  # crash: endless loop when predicting
        lambda t: _lgb_edit(t, right_child="0 -2 -4", left_child="1 -1 -3"),
        r"tree 0, node 0: right_child 0 is out of range",
    ),
    (
        "a node with two parents",
        lambda t: _lgb_edit(t, left_child="1 2 -3", right_child="2 -2 -4", leaf_value="0.1 0.2 0.3 0.4"),
        r"tree 0, node 2: it is the child of 2 nodes; expected 1 \(a tree\)",
    ),
    (
        "a cycle apart from the root",  # 1 -> 2 -> 1, the root's children leaves
        lambda t: _lgb_edit(t, left_child="-1 2 1", right_child="-2 -3 -4"),
        r"tree 0, node 1: not reachable from the root \(the children form a cycle\)",
    ),
    (
        "a leaf reached twice",
        lambda t: _lgb_edit(t, left_child="1 -1 -1"),
        r"tree 0: leaf 0 is reached 2 times; expected once",
    ),
    (
        "split_feature 10**6",  # crash: segfault when predicting
        lambda t: _lgb_edit(t, split_feature="0 1 1000000"),
        r"tree 0, node 2: split_feature 1000000 is out of range; the model has 3 features "
        r"\(max_feature_idx \+ 1\)",
    ),
    (
        "split_feature -5",
        lambda t: _lgb_edit(t, split_feature="-5 1 2"),
        r"tree 0, node 0: split_feature -5 is out of range",
    ),
    (
        "num_leaves 50",  # crash: abort while loading
        lambda t: _lgb_edit(t, num_leaves="50"),
        r"tree 0: leaf_value has 4 values; expected 50",
    ),
    (
        "num_leaves 0",  # crash: segfault when predicting
        lambda t: _lgb_edit(t, num_leaves="0"),
        r"tree 0: num_leaves: expected an integer in \[1, 2147483647\], got 0",
    ),
    (
        "a short left_child",  # crash: endless loop when predicting
        lambda t: _lgb_edit(t, left_child="1 -1"),
        r"tree 0: left_child has 2 values; expected 3",
    ),
    (
        "a word as a leaf value",  # crash: abort while loading
        lambda t: _lgb_edit(t, leaf_value="0.1 0.2 nope 0.4"),
        r"tree 0: leaf_value: expected numbers separated by spaces, got b'0.1 0.2 nope 0.4'",
    ),
    (
        "a leaf value that is no number",  # crash: abort while loading
        lambda t: _lgb_edit(t, leaf_value="0.1 0.2 e 0.4"),
        r"tree 0: leaf_value: expected numbers separated by spaces, got b'0.1 0.2 e 0.4'",
    ),
    (
        "a missing left_child line",  # crash: abort while loading
        lambda t: _lgb_edit(t, left_child=None),
        r"tree 0: the left_child line is missing",
    ),
    (
        "a tree line without '='",  # crash: abort while loading
        lambda t: _lgb_edit(t, num_cat="0\ngarbage"),
        r"tree 0: the line b'garbage' is not key=value",
    ),
    (
        "tree_sizes off by one",  # crash: abort while loading
        lambda t: _lgb_header(
            t, tree_sizes=" ".join(str(int(s) + 1) for s in re.search(r"tree_sizes=(.*)", t)[1].split())
        ),
        r"tree 1 \(by tree_sizes\) starts at byte \d+ with b'ree=1', not 'Tree=' "
        r"\(edited, or line endings changed\?\)",
    ),
    (
        "a tree edited without tree_sizes",  # crash: abort while loading
        lambda t: _lgb_edit(t, _sizes=False, left_child="1 -1 -3 "),
        r"tree 1 \(by tree_sizes\) starts at byte \d+ with b'', not 'Tree='",
    ),
    (
        "truncated",  # crash: abort while loading
        lambda t: t[: len(t) // 2],
        r"tree \d+ ends at byte \d+ \(by tree_sizes\) but the model has \d+ bytes \(truncated, or edited\?\)",
    ),
    (
        "num_tree_per_iteration 0",  # crash: floating-point exception while loading
        lambda t: _lgb_header(t, num_tree_per_iteration="0"),
        r"num_tree_per_iteration: expected an integer in \[1, 2147483647\], got 0",
    ),
    (
        "num_tree_per_iteration 5",  # crash: heap corruption (abort) when predicting
        lambda t: _lgb_header(t, num_tree_per_iteration="5"),
        r"num_tree_per_iteration is 5 but num_class is 3; they must match",
    ),
    (
        "no tree_sizes line",  # LightGBM < 2.3 wrote none; boostobj reads only files with one
        lambda t: re.sub(r"^tree_sizes=.*\n", "", t, flags=re.M),
        r"the header has no tree_sizes line",
    ),
    (
        "a categorical split past the category sets",  # crash: segfault when predicting
        lambda t: _lgb_edit(
            t,
            num_cat="1",
            decision_type="2 2 1",
            threshold="0.5 0.25 500000000",
            cat_boundaries="0 1",
            cat_threshold="11",
        ),
        r"tree 0, node 2: a categorical split whose threshold 500000000.0 is not the index of one of the "
        r"tree's 1 category sets \(num_cat\)",
    ),
    (
        "a categorical split without category sets",
        lambda t: _lgb_edit(t, decision_type="2 2 1"),
        r"tree 0, node 2: a categorical split whose threshold -0.5 is not the index of one of the tree's 0 "
        r"category sets",
    ),
    (
        "negative cat_boundaries",  # crash: segfault when predicting
        lambda t: _lgb_edit(
            t,
            num_cat="1",
            decision_type="2 2 1",
            threshold="0.5 0.25 0",
            cat_boundaries="-1500000000 1",
            cat_threshold="11",
        ),
        r"tree 0: cat_boundaries must rise from 0; got \[-1500000000, 1\]",
    ),
    (
        "cat_boundaries past cat_threshold",  # a 4 GB allocation while loading
        lambda t: _lgb_edit(
            t,
            num_cat="1",
            decision_type="2 2 1",
            threshold="0.5 0.25 0",
            cat_boundaries="0 1000000000",
            cat_threshold="11",
        ),
        r"tree 0: cat_threshold has 1 values; expected 1000000000",
    ),
    (
        "num_cat without cat_boundaries",  # crash: abort while loading
        lambda t: _lgb_edit(t, num_cat="1"),
        r"tree 0: the cat_boundaries line is missing",
    ),
    (
        "a parameter line without ':'",  # crash: segfault (or bad_alloc) while loading
        lambda t: t.replace("[boosting: gbdt]", "[boosting gbdt]"),
        r"the parameter line b'\[boosting gbdt\]' is not \[name: value\]",
    ),
    (
        "a NUL character",
        lambda t: t.replace("version=v4", "version=v4\0"),
        r"a NUL character at character \d+ \(LightGBM stops reading there\)",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "message"), LGB_MUTATIONS, ids=[m[0] for m in LGB_MUTATIONS])
def test_a_crafted_lightgbm_model_is_a_value_error(name, mutate, message, lgb_text, tmp_path):
    path = tmp_path / "m.txt"
    path.write_bytes(mutate(lgb_text).encode())
    with pytest.raises(
        ValueError, match=r"path: '.*m\.txt' is not a valid LightGBM text model file: " + message
    ):
        bo.load_model(path)


def test_lightgbm_header_counts_must_match(lgb_text, tmp_path):
    """The objective's own num_class sizes its output transform; crash: 50 aborts predicting."""
    path = tmp_path / "m.txt"
    assert "\nobjective=" not in lgb_text  # a custom objective: add LightGBM's line
    path.write_text(
        lgb_text.replace("\nmax_feature_idx=", "\nobjective=multiclass num_class:50\nmax_feature_idx=", 1)
    )
    with pytest.raises(ValueError, match=r"the objective line says num_class:50 but num_class is 3"):
        bo.load_model(path)


def test_an_error_lightgbm_raises_itself_is_a_value_error(lgb_text, tmp_path):
    path = tmp_path / "m.txt"
    path.write_text(lgb_text.replace("[boosting: gbdt]", '[boosting: gb"dt]'))  # its JSON of the parameters
    with pytest.raises(ValueError, match=r"path: '.*m\.txt' is not a model LightGBM can load: Expecting"):
        bo.load_model(path)
    path.write_bytes(lgb_text.encode().replace(b"version=v4", b"version=v4\xff"))
    with pytest.raises(
        ValueError, match=r"is not a valid LightGBM text model file: it is not UTF-8 text \(byte \d+\)"
    ):
        bo.load_model(path)


def test_linear_trees_are_checked(tmp_path):
    X, y = _data()
    booster = lgb.train(
        {**LGB, "num_class": 1, "objective": "regression", "linear_tree": True},
        lgb.Dataset(X, X[:, 0] + y),
        2,
    )
    text = booster.model_to_string()
    _model_files.check_lightgbm_model(text, "ok.txt")
    linear = _lgb_edit(
        text,
        num_leaves="2",
        left_child="-1",
        right_child="-2",
        split_feature="0",
        split_gain="1",
        threshold="0",
        decision_type="2",
        leaf_value="0 0",
        leaf_weight="1 1",
        leaf_count="1 1",
        internal_value="0",
        internal_weight="1",
        internal_count="2",
        leaf_const="0 0",
        num_features="1 0",
        leaf_features="0  ",
        leaf_coeff="0.5  ",
    )
    _model_files.check_lightgbm_model(linear, "ok.txt")
    cases = {
        "leaf_features 999999": (  # crash: segfault when predicting
            _lgb_edit(linear, leaf_features="999999  "),
            r"tree 0: leaf_features names feature 999999; the model has 3 features",
        ),
        "num_features -1": (  # crash: abort while loading
            _lgb_edit(linear, num_features="-1 0"),
            r"tree 0: num_features: -1 is out of range \[0, 2147483647\]",
        ),
        "a short leaf_const": (  # crash: abort while loading
            _lgb_edit(linear, leaf_const="0"),
            r"tree 0: leaf_const has 1 values; expected 2",
        ),
        "a short leaf_coeff": (  # crash: abort while loading
            _lgb_edit(linear, leaf_coeff=""),
            r"tree 0: leaf_coeff has 0 values; expected 1",
        ),
    }
    for mutated, message in cases.values():
        with pytest.raises(ValueError, match=r"is not a valid LightGBM text model file: " + message):
            _model_files.check_lightgbm_model(mutated, "bad.txt")


def test_valid_lightgbm_layouts_pass():
    """Layouts the checks must accept: one-leaf trees (empty split lines), categorical splits,
    missing-value splits, CRLF-free text of any feature names."""
    X, y = _data()
    const = lgb.train({**LGB, "objective": "multiclass"}, lgb.Dataset(np.zeros((N, 2)), y), 2)
    assert "num_leaves=1" in const.model_to_string()
    _model_files.check_lightgbm_model(const.model_to_string(), "const.txt")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"état": pd.Categorical(np.arange(N) % 6), "x": np.where(X[:, 0] > 1, np.nan, X[:, 0])}
    )
    params = {
        **LGB,
        "objective": "multiclass",
        "max_cat_to_onehot": 2,
        "min_data_per_group": 2,
        "cat_smooth": 1,
    }
    text = lgb.train(params, lgb.Dataset(frame, y), 3).model_to_string()
    assert "cat_boundaries" in text
    _model_files.check_lightgbm_model(text, "cat.txt")


def test_checking_is_vectorised_over_many_trees(xgb_document):
    """Two thousand trees of 127 nodes: the checks stay well under a second (NumPy over all
    nodes of all trees; a loop over the nodes in Python would take several)."""
    import time

    doc = copy.deepcopy(xgb_document)
    n = 127  # a full tree of depth 6
    left = [2 * i + 1 if i < n // 2 else -1 for i in range(n)]
    right = [2 * i + 2 if i < n // 2 else -1 for i in range(n)]
    _set_tree(doc, 0, left, right, [2**31 - 1] + [(i - 1) // 2 for i in range(1, n)])
    model = _model(doc)
    tree = model["trees"][0]
    model["trees"] = [{**tree, "id": i} for i in range(2000)]  # sharing the arrays: the checks only read
    model["trees"].append({**copy.deepcopy(tree), "id": 2000})
    model["tree_info"] = [i % K for i in range(2001)]
    model["iteration_indptr"] = list(range(0, 2002, K))
    model["gbtree_model_param"]["num_trees"] = "2001"
    start = time.process_time()
    _model_files._check_xgboost(doc)  # the checks, after decoding
    assert time.process_time() - start < 1.0
    model["trees"][2000]["split_indices"][62] = 3
    with pytest.raises(_model_files._Invalid, match=r"tree 2000, node 62: splits on feature 3"):
        _model_files._check_xgboost(doc)
