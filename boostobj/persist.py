"""Save and load a trained model with its boostobj configuration, in the backend's own files.

Pickle ties a model to the Python classes that wrote it; the backends' own formats do
not. :func:`save_model` writes

* XGBoost: the booster's JSON (``.json``) or UBJSON (``.ubj``) model file, with the
  boostobj configuration in a booster attribute (``boostobj_config``);
* LightGBM: the booster's text model file, with the configuration on one
  ``boostobj_config:`` line after ``end of parameters`` (where LightGBM stops reading).

Either file still loads in plain XGBoost / LightGBM. The configuration is JSON: the loss
and its parameters, the intercept, the classes, the estimator's parameters (a
``TransitionMask`` as ``mask_from`` included) and what ``predict_proba`` needs. Floats
are written with ``repr``'s shortest round-trip digits, so a loaded model predicts the
same probabilities, bit for bit.

Only plain values (numbers, strings, lists, dicts, NumPy arrays, ``ClassMask``, scipy
sparse matrices) and boostobj objects configured by their constructor (losses,
``TransitionMask``) can be saved, and functions that can be imported by name (a
``make_loss`` loss of module-level functions): they are saved as ``module:qualname``. A
lambda or a nested function cannot (use pickle). Loading re-creates only classes of the
``boostobj`` package, and imports saved functions only when asked to
(``load_model(path, import_functions=True)``: like unpickling, that runs the named
modules' code, so only for files you trust).

:func:`load_model` checks a file before the backend parses it (``boostobj._model_files``:
tree structure, array lengths, feature and class indices; the backends trust these, and a
corrupted or crafted file made them crash the process) and checks the configuration
against the booster, so a bad file is a ``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import contextvars
import importlib
import json
import numbers
import os
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _model_files
from ._params import ParamsMixin
from .masks import ClassMask
from .predict import _backend_of, _n_outputs, predict_margin, predict_proba

__all__ = ["save_model", "load_model", "SavedBooster"]

#: Version of the configuration layout; a file written by a later layout is refused.
FORMAT_VERSION = 1
#: XGBoost booster attribute / LightGBM line key holding the configuration.
CONFIG_KEY = "boostobj_config"
_XGB_SUFFIXES = (".json", ".ubj")
_LGB_TAIL = "\npandas_categorical:"


@dataclass
class SavedBooster:
    """A loaded booster with the boostobj configuration saved beside it.

    Attributes
    ----------
    booster : xgboost.Booster or lightgbm.Booster
    loss : Loss or None
        The loss the booster was trained with, as given to :func:`save_model`.
    init_score : ndarray of shape (K,) or (1,), or None
        The intercept the training data started from; predictions add it back.

    Examples
    --------
    >>> import xgboost as xgb
    >>> import boostobj
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, 4, 2, random_state=0)
    >>> b = boostobj.SoftmaxLoss().init_raw_prediction(y, mask=mask)
    >>> dtrain = boostobj.xgboost_dmatrix(X, y, mask=mask, init_score=b)
    >>> bst = xgb.train({"num_class": 4}, dtrain, 3, obj=boostobj.xgboost_objective())
    >>> boostobj.save_model(bst, "model.json", init_score=b)
    >>> saved = boostobj.load_model("model.json")  # a SavedBooster: the booster and its intercept
    >>> saved.predict_proba(X, mask=mask).shape
    (300, 4)
    """

    booster: Any
    loss: Any = None
    init_score: np.ndarray | None = None

    def predict_margin(self, data: Any, *, mask: Any = None, **predict_kwargs: Any) -> np.ndarray:
        """:func:`boostobj.predict_margin` with the saved intercept; shape (n, K) or (n,)."""
        return predict_margin(self.booster, data, mask=mask, init_score=self.init_score, **predict_kwargs)

    def predict_proba(self, data: Any, *, mask: Any = None, **predict_kwargs: Any) -> np.ndarray:
        """:func:`boostobj.predict_proba` with the saved intercept; shape (n, K), 0 on invalid classes."""
        return predict_proba(self.booster, data, mask=mask, init_score=self.init_score, **predict_kwargs)


def save_model(model: Any, path: str | os.PathLike, *, loss: Any = None, init_score: Any = None) -> None:
    """Write a trained model and its boostobj configuration to ``path``.

    The arguments come in the ecosystem's order (``joblib.dump``, ``skops.io.dump``,
    ``torch.save``, ``mlflow``: the object, then where). The earlier order
    ``save_model(path, model)`` still works, with a ``FutureWarning``.

    Parameters
    ----------
    model : MaskedXGBClassifier, MaskedLGBMClassifier, xgboost.Booster or lightgbm.Booster
        A fitted estimator is saved whole (parameters and fitted attributes); a booster
        with ``loss`` and ``init_score``.
    path : str or path-like
        XGBoost: must end in ``.json`` or ``.ubj`` (the format); LightGBM: any name (text).
    loss : Loss, optional
        For a booster: the loss it was trained with (stored as its class and parameters).
    init_score : array-like of shape (K,), or a scalar for a one-margin model, optional
        For a booster: the intercept given to ``xgboost_dmatrix``/``lightgbm_dataset``.

    Raises
    ------
    TypeError
        If ``model`` is neither a fitted boostobj estimator nor a booster, or a parameter
        cannot be written as JSON (say, a lambda as ``mask_from``).
    ValueError
        For an XGBoost model and a suffix other than ``.json``/``.ubj``, or ``loss`` /
        ``init_score`` given with an estimator (it has its own).
    OSError
        If ``path`` cannot be written (say, its folder does not exist or is a file):
        ``FileNotFoundError``, ``NotADirectoryError``, ``IsADirectoryError``,
        ``PermissionError``, naming the path.

    Examples
    --------
    >>> import boostobj
    >>> from boostobj import MaskedLGBMClassifier
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, 4, 2, random_state=0)
    >>> clf = MaskedLGBMClassifier(n_estimators=3, num_leaves=4).fit(X, y, valid_mask=mask)
    >>> boostobj.save_model(clf, "model.txt")  # LightGBM's text format; XGBoost: .json or .ubj
    >>> loaded = boostobj.load_model("model.txt")
    >>> bool((loaded.predict_proba(X, valid_mask=mask) == clf.predict_proba(X, valid_mask=mask)).all())
    True
    """
    if isinstance(model, (str, os.PathLike)) and not isinstance(path, (str, os.PathLike)):
        import warnings

        warnings.warn(
            "save_model(path, model) is deprecated: call save_model(model, path), the order of "
            "joblib.dump and mlflow; the old order stops working in a future release",
            FutureWarning,
            stacklevel=2,
        )
        model, path = path, model
    path = Path(path)
    if _is_estimator(model):
        if loss is not None or init_score is not None:
            raise ValueError("loss, init_score: an estimator saves its own; pass them only with a booster")
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model, "booster_")
        booster = model.booster_
        config = _estimator_config(model)
    else:
        booster = model
        if type(model).__name__ in _NOT_SAVED and type(model).__module__ == _NOT_SAVED[type(model).__name__]:
            raise TypeError(
                f"model: save_model does not write a {type(model).__name__} yet (the configuration format "
                f"holds the fitted attributes of {' and '.join(_ESTIMATORS)} only); pickle or joblib.dump "
                f"the estimator, or save its booster_ alone with save_model(model.booster_, path, "
                f"init_score=...)"
            )
        _backend_of(booster)  # TypeError for anything else
        if loss is not None:
            from ._adapters import as_loss

            as_loss(loss)
        intercept = None
        if init_score is not None:
            from ._adapters import check_intercept

            intercept = check_intercept(init_score)
        best = getattr(booster, "best_iteration", None)
        config = {
            "kind": "booster",
            "loss": _encode(loss, "loss"),
            "init_score": _encode(intercept, "init_score"),
            "best_iteration": best if isinstance(best, int) else None,
        }
    backend = _backend_of(booster)
    config = {"format_version": FORMAT_VERSION, "backend": backend, **config}
    text = json.dumps(config, allow_nan=False, separators=(",", ":"))
    if backend == "xgboost":
        _save_xgboost(path, booster, text)
    else:
        _save_lightgbm(path, booster, text)


#: Whether ``_decode`` may import the functions a configuration names (``load_model``'s option).
_IMPORT_FUNCTIONS: contextvars.ContextVar[bool] = contextvars.ContextVar("import_functions", default=False)


def load_model(path: str | os.PathLike, *, import_functions: bool = False) -> Any:
    """Load a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
    import_functions : bool, default=False
        Import the functions the configuration names (a ``make_loss`` loss's row
        functions). Off by default: importing runs those modules' code, as unpickling
        would; turn it on for files you trust.

    Returns
    -------
    MaskedXGBClassifier or MaskedLGBMClassifier
        When an estimator was saved: fitted, predicting as the saved one did.
    SavedBooster
        When a booster was saved: the booster, its loss and intercept, and
        ``predict_proba``/``predict_margin`` that apply them.

    Raises
    ------
    ValueError
        If the file is not a model file boostobj can read, or a corrupted or crafted one
        (checked before the backend parses it, so that it cannot crash the process: the
        message names the file, the tree and what is wrong); if it holds no boostobj
        configuration (a model saved by the backend alone), one written by a later
        format version, or one that is not what :func:`save_model` writes or does not
        match the booster (the message names the configuration key).
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import boostobj
    >>> from boostobj import MaskedXGBClassifier
    >>> from boostobj.datasets import make_transition_data
    >>> X, y, mask = make_transition_data(300, 4, 2, random_state=0)
    >>> boostobj.save_model(MaskedXGBClassifier(n_estimators=3).fit(X, y, valid_mask=mask), "model.ubj")
    >>> model = boostobj.load_model("model.ubj")  # a fitted MaskedXGBClassifier
    >>> model.predict(X, valid_mask=mask).shape
    (300,)
    """
    path = Path(path)
    name = str(path)
    data = path.read_bytes()
    fmt = _model_files.model_format(data)
    if fmt is None:
        raise ValueError(
            f"path: {name!r} is not a model file boostobj can read: expected an XGBoost JSON or UBJSON "
            f"model (starting with '{{') or a LightGBM text model (starting with 'tree'); it starts with "
            f"{data[:16]!r}"
        )
    if fmt == "lightgbm":
        booster, text = _load_lightgbm(data, name)
    else:
        booster, text = _load_xgboost(data, name)
    if text is None:
        backend = _backend_of(booster)
        raise ValueError(
            f"path: {name!r} has no boostobj configuration (a model saved by {backend} itself?); "
            f"load it with {backend} and pass init_score= to boostobj.predict_proba yourself"
        )
    config = _parse_config(text)
    token = _IMPORT_FUNCTIONS.set(import_functions)
    try:
        return _from_config(config, booster)
    finally:
        _IMPORT_FUNCTIONS.reset(token)


def _bad(key: str, found: Any, expected: str) -> ValueError:
    """A configuration value that is not what :func:`save_model` writes."""
    return ValueError(f"path: the boostobj configuration's {key!r} is {found!r}; expected {expected}")


def _required(config: dict, key: str, where: str = "") -> Any:
    if key not in config:
        raise ValueError(f"path: the boostobj configuration lacks the key {where + key!r}")
    return config[key]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _parse_config(text: str) -> dict:
    def constant(name: str) -> None:
        raise ValueError(f"path: the boostobj configuration holds the JSON constant {name} (it never does)")

    try:
        config = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"path: the boostobj configuration is not valid JSON ({error})") from None
    except RecursionError:
        raise ValueError("path: the boostobj configuration is nested too deeply") from None
    if not isinstance(config, dict):
        raise ValueError(
            f"path: the boostobj configuration is not a JSON object; got {type(config).__name__}"
        )
    return config


def _from_config(config: dict, booster: Any) -> Any:
    version = _required(config, "format_version")
    if not _is_int(version) or version < 1:
        raise _bad("format_version", version, f"an integer 1..{FORMAT_VERSION}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"path: configuration format version {version!r} is not supported by this boostobj "
            f"(it reads versions up to {FORMAT_VERSION}); upgrade boostobj"
        )
    backend = _backend_of(booster)
    if _required(config, "backend") != backend:
        raise _bad("backend", config["backend"], f"{backend!r}, the model the file holds")
    kind = _required(config, "kind")
    if kind == "estimator":
        return _estimator_from(config, booster, backend)
    if kind != "booster":
        raise _bad("kind", kind, "'booster' or 'estimator'")
    best = _required(config, "best_iteration")
    rounds = _rounds(booster, backend)
    # LightGBM counts iterations from 1 (0: none was best), XGBoost numbers them from 0
    top = rounds if backend == "lightgbm" else rounds - 1
    if best is not None and (not _is_int(best) or not 0 <= best <= top):
        raise _bad(
            "best_iteration", best, f"None or an integer 0..{top} (the booster has {_n(rounds, 'round')})"
        )
    loss = _decode(_required(config, "loss"), "loss")
    if loss is not None:
        from .losses import Loss

        if not isinstance(loss, Loss):
            raise _bad("loss", loss, "null or a boostobj Loss")
    init_score = _decode(_required(config, "init_score"), "init_score")
    if init_score is not None:
        init_score = _intercept(init_score, "init_score", _n_outputs(booster, backend))
    if best is not None and backend == "lightgbm":
        booster.best_iteration = int(best)
    return SavedBooster(booster, loss, init_score)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _rounds(booster: Any, backend: str) -> int:
    return int(booster.current_iteration() if backend == "lightgbm" else booster.num_boosted_rounds())


def _intercept(value: Any, key: str, n_outputs: int) -> np.ndarray:
    from ._adapters import check_intercept

    if not isinstance(value, (np.ndarray, list)):
        raise _bad(key, value, f"an array of {n_outputs} finite numbers")
    try:
        intercept = check_intercept(value)
    except (TypeError, ValueError) as error:
        detail = str(error).removeprefix("init_score: ")
        raise ValueError(f"path: the boostobj configuration's {key!r} is invalid: {detail}") from None
    if intercept.size != n_outputs:
        raise ValueError(
            f"path: the boostobj configuration's {key!r} has {intercept.size} values; the booster has "
            f"{n_outputs} margins per row"
        )
    return intercept


# ---------------------------------------------------------------------- backends' files
def _save_xgboost(path: Path, booster: Any, text: str) -> None:
    if path.suffix not in _XGB_SUFFIXES:
        raise ValueError(
            f"path: an XGBoost model is saved as JSON or UBJSON, chosen by the suffix; expected "
            f"one of {list(_XGB_SUFFIXES)}, got {path.suffix!r}"
        )
    previous = booster.attr(CONFIG_KEY)
    booster.set_attr(**{CONFIG_KEY: text})
    try:
        raw = booster.save_raw(raw_format=path.suffix[1:])
    finally:
        booster.set_attr(**{CONFIG_KEY: previous})  # None deletes it: the caller's booster is unchanged
    # Python writes the file, not XGBoost's C++ stream: an unwritable path is an OSError naming it
    path.write_bytes(raw)


def _load_xgboost(data: bytes, name: str) -> tuple[Any, str | None]:
    import xgboost

    _model_files.check_xgboost_model(data, name)
    try:  # from the bytes checked, not the file again; XGBoost tells JSON from UBJSON by the content
        booster = xgboost.Booster(model_file=bytearray(data))
    except xgboost.core.XGBoostError as error:
        raise ValueError(
            f"path: {name!r} is not a model XGBoost can load: {_backend_message(error)}"
        ) from None
    text = booster.attr(CONFIG_KEY)
    booster.set_attr(**{CONFIG_KEY: None})
    return booster, text


def _save_lightgbm(path: Path, booster: Any, text: str) -> None:
    # LightGBM's default: up to best_iteration when early stopping set one, so that plain
    # LightGBM, which uses every tree in the file, predicts as the saved booster did
    model = booster.model_to_string(num_iteration=None)
    cut = model.rfind(_LGB_TAIL)
    if cut < 0:  # pragma: no cover - every LightGBM 4 model string ends with it
        raise RuntimeError("LightGBM model string without a pandas_categorical line")
    # after "end of parameters" LightGBM reads nothing; its Python package reads the last line
    model = f"{model[:cut]}\n{CONFIG_KEY}:{text}{model[cut:]}"
    # bytes, so no newline translation: tree_sizes in the header count the trees' bytes
    path.write_bytes(model.encode("utf-8"))


def _load_lightgbm(data: bytes, name: str) -> tuple[Any, str | None]:
    import lightgbm

    try:
        model = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"path: {name!r} is not a valid LightGBM text model file: it is not UTF-8 text "
            f"(byte {error.start})"
        ) from None
    text = None
    key = f"\n{CONFIG_KEY}:"
    at = model.rfind(key)
    if at >= 0:
        end = model.find("\n", at + 1)
        end = len(model) if end < 0 else end
        text = model[at + len(key) : end]
        model = model[:at] + model[end:]
    _model_files.check_lightgbm_model(model, name)
    try:  # ValueError: its Python package's JSON of the parameters or pandas_categorical
        booster = lightgbm.Booster(model_str=model)
    except (lightgbm.basic.LightGBMError, ValueError) as error:
        raise ValueError(
            f"path: {name!r} is not a model LightGBM can load: {_backend_message(error)}"
        ) from None
    return booster, text


def _backend_message(error: Exception) -> str:
    """A backend error's first line, without XGBoost's ``[time] file:line:`` prefix."""
    line = str(error).strip().split("\n", 1)[0]
    return re.sub(r"^\[[0-9:]+\] [^ ]+: ", "", line)


# ---------------------------------------------------------------------- estimators
_FITTED = ("classes_", "intercept_", "engine_", "best_iteration_", "evals_result_", "n_features_in_")


def _is_estimator(model: Any) -> bool:
    return type(model).__module__ == "boostobj.sklearn"


#: Fitted attributes written when the estimator has them; a file without ``masked_fit_``
#: (written before it existed) loads as masked unless the estimator has ``mask_from``:
#: asking for a mask is safe, predicting unmasked from a masked model is not.
_OPTIONAL = ("feature_names_in_", "masked_fit_", "feature_categories_")


def _estimator_config(model: Any) -> dict:
    fitted = {name: _encode(getattr(model, name), name) for name in _FITTED}
    for name in _OPTIONAL:
        if getattr(model, name, None) is not None:
            fitted[name] = _encode(getattr(model, name), name)
    params = model.get_params(deep=False)
    return {
        "kind": "estimator",
        "estimator": type(model).__name__,
        "n_classes": len(model.classes_),
        # callbacks act during fit only (and are objects JSON cannot hold): saved as None
        "params": {
            name: _encode(None if name == "callbacks" else value, name) for name, value in params.items()
        },
        "fitted": fitted,
    }


#: The estimators a configuration may name, and the backend each trains.
_ESTIMATORS = {"MaskedXGBClassifier": "xgboost", "MaskedLGBMClassifier": "lightgbm"}
#: boostobj estimators whose fitted attributes the configuration cannot hold yet (per-output
#: ``classes_``; choice sets without classes), and their modules: ``save_model`` refuses them
#: with a TypeError that says so.
_NOT_SAVED = {
    "MaskedMultiOutputXGBClassifier": "boostobj.multioutput",
    "MaskedMultiOutputLGBMClassifier": "boostobj.multioutput",
    "ChoiceXGBClassifier": "boostobj.choice_models",
    "ChoiceLGBMClassifier": "boostobj.choice_models",
}


def _estimator_from(config: dict, booster: Any, backend: str) -> Any:
    from . import sklearn as _sk

    name = _required(config, "estimator")
    if not isinstance(name, str) or name not in _ESTIMATORS:
        raise ValueError(f"path: unknown estimator {name!r} in the boostobj configuration")
    if _ESTIMATORS[name] != backend:
        raise _bad("estimator", name, f"an estimator of {backend} models (the model the file holds)")
    cls = getattr(_sk, name)
    saved = _required(config, "params")
    if not isinstance(saved, dict):
        raise _bad("params", saved, "an object of the estimator's parameters")
    known = cls().get_params(deep=False)
    for key in saved:
        if key not in known:
            raise ValueError(
                f"path: the boostobj configuration's 'params' name {key!r}, not a parameter of {name}"
            )
    model = cls(**{key: _decode(value, f"params.{key}") for key, value in saved.items()})
    try:
        model._check_params()
    except (TypeError, ValueError) as error:
        raise ValueError(f"path: the boostobj configuration's 'params' are invalid: {error}") from None
    fitted = _required(config, "fitted")
    if not isinstance(fitted, dict):
        raise _bad("fitted", fitted, "an object of the fitted attributes")
    for key in fitted:
        if key not in (*_FITTED, *_OPTIONAL):
            raise ValueError(f"path: unknown fitted attribute {key!r} in the boostobj configuration")
    values = {key: _decode(_required(fitted, key, "fitted."), f"fitted.{key}") for key in _FITTED}
    for key in _OPTIONAL:
        if key in fitted:
            values[key] = _decode(fitted[key], f"fitted.{key}")
    values.setdefault("masked_fit_", model.mask_from is None)
    values.setdefault("feature_categories_", None)
    if not isinstance(values["masked_fit_"], bool):
        raise _bad("fitted.masked_fit_", values["masked_fit_"], "true or false")
    categories = values["feature_categories_"]
    if categories is not None and (
        not isinstance(categories, dict) or not all(isinstance(v, list) for v in categories.values())
    ):
        raise _bad("fitted.feature_categories_", categories, "an object of category lists, or null")
    _check_fitted(values, _required(config, "n_classes"), booster, backend)
    for key, value in values.items():
        setattr(model, key, value)
    model.booster_ = booster
    return model


def _check_fitted(values: dict, n_classes: Any, booster: Any, backend: str) -> None:
    """The fitted attributes are what ``fit`` sets, and match the booster."""
    classes = values["classes_"]
    if not isinstance(classes, np.ndarray) or classes.ndim != 1 or classes.size < 2:
        raise _bad("fitted.classes_", classes, "a 1-D array of at least 2 labels")
    try:
        distinct = np.unique(classes).size == classes.size
    except TypeError:
        distinct = False
    if not distinct:
        raise _bad("fitted.classes_", classes.tolist()[:20], "distinct labels of one type")
    if not _is_int(n_classes) or n_classes != classes.size:
        raise _bad("n_classes", n_classes, f"{classes.size}, the length of fitted.classes_")
    n_outputs = _n_outputs(booster, backend)
    one_margin = n_outputs == 1 and classes.size == 2
    if n_outputs != classes.size and not one_margin:
        raise ValueError(
            f"path: the boostobj configuration's 'fitted.classes_' has {classes.size} classes, but the "
            f"booster has {n_outputs} margins per row"
        )
    intercept = values["intercept_"]
    if not isinstance(intercept, np.ndarray) or intercept.dtype.kind != "f":
        raise _bad("fitted.intercept_", intercept, f"an array of {n_outputs} floats")
    values["intercept_"] = _intercept(intercept, "fitted.intercept_", n_outputs)
    if values["engine_"] not in ("native", "numba"):
        raise _bad("fitted.engine_", values["engine_"], "'native' or 'numba'")
    best, rounds = values["best_iteration_"], _rounds(booster, backend)
    if best is not None and (not _is_int(best) or not 0 <= best < rounds):
        raise _bad(
            "fitted.best_iteration_",
            best,
            f"None or an integer 0..{rounds - 1} (the booster has {_n(rounds, 'round')})",
        )
    if not isinstance(values["evals_result_"], dict):
        raise _bad("fitted.evals_result_", values["evals_result_"], "an object")
    n_features = int(booster.num_feature() if backend == "lightgbm" else booster.num_features())
    if not _is_int(values["n_features_in_"]) or values["n_features_in_"] != n_features:
        raise _bad(
            "fitted.n_features_in_",
            values["n_features_in_"],
            f"{n_features}, the booster's number of features",
        )
    names = values.get("feature_names_in_")
    if names is not None and not (
        isinstance(names, np.ndarray)
        and names.shape == (n_features,)
        and all(isinstance(name, str) for name in names.tolist())
    ):
        raise _bad("fitted.feature_names_in_", names, f"an array of {n_features} feature names")


# ---------------------------------------------------------------------- JSON values
def _encode(value: Any, name: str) -> Any:
    """A parameter value as JSON; tagged dicts (``{"__type__": ...}``) for everything but
    ``None``, booleans, finite numbers, strings and lists of them."""
    if isinstance(value, np.generic):  # before str: np.str_ is a str
        return {"__type__": "scalar", "dtype": value.dtype.str, "value": _encode(value.item(), name)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not np.isfinite(value):
            return {"__type__": "float", "value": repr(float(value))}
        return float(value)
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{name}[{i}]") for i, v in enumerate(value)]
        return items if isinstance(value, list) else {"__type__": "tuple", "items": items}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v, f"{name}[{k!r}]") for k, v in value.items()}
        return {
            "__type__": "dict",
            "items": [[_encode(k, name), _encode(v, f"{name}[{k!r}]")] for k, v in value.items()],
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufUO":
            raise TypeError(f"{name}: cannot save an array of dtype {value.dtype} as JSON")
        items = value.tolist() if value.dtype.kind != "O" else [_encode(v, name) for v in value.ravel()]
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            items = [_encode(float(v), name) for v in value.ravel()]
        flat = value.dtype.kind == "O" or (value.dtype.kind == "f" and not np.isfinite(value).all())
        return {
            "__type__": "ndarray",
            "dtype": value.dtype.str if value.dtype.kind != "O" else "object",
            "shape": list(value.shape),
            "flat": flat,
            "data": items,
        }
    if isinstance(value, ClassMask):
        return {
            "__type__": "ClassMask",
            "indptr": value.indptr.tolist(),
            "indices": value.indices.tolist(),
            "n_classes": value.n_classes,
        }
    if hasattr(value, "tocsr") and hasattr(value, "shape"):
        csr = value.tocsr()
        return {
            "__type__": "csr",
            "array": type(value).__name__.endswith("_array"),
            "shape": list(csr.shape),
            "data": _encode(np.asarray(csr.data), name),
            "indices": csr.indices.tolist(),
            "indptr": csr.indptr.tolist(),
        }
    function = getattr(value, "py_func", value)  # a numba dispatcher: its Python function
    if isinstance(function, types.FunctionType) and _importable(function):
        return {"__type__": "function", "module": function.__module__, "qualname": function.__qualname__}
    if isinstance(value, ParamsMixin) and type(value).__module__.startswith("boostobj."):
        cls = type(value)
        params = {k: _encode(v, f"{name}.{k}") for k, v in value.get_params(deep=False).items()}
        return {"__type__": "object", "class": f"{cls.__module__}.{cls.__qualname__}", "params": params}
    what = type(value).__name__
    if isinstance(getattr(value, "__qualname__", None), str):
        what += f" {value.__qualname__}"
    raise TypeError(
        f"{name}: cannot save a {what} as JSON (only plain values, arrays, masks, boostobj objects "
        f"such as losses and TransitionMask, and functions importable by name); pickle the model instead"
    )


def _decode(value: Any, where: str = "value") -> Any:
    """A value :func:`_encode` wrote; a ``ValueError`` naming ``where`` for anything else."""
    try:
        return _decode_value(value, where)
    except RecursionError:
        raise ValueError(f"path: the boostobj configuration's {where!r} is nested too deeply") from None
    except KeyError as error:
        raise ValueError(
            f"path: the boostobj configuration's {where!r} is not a value boostobj saves (the key "
            f"{error.args[0]!r} is missing)"
        ) from None
    except (TypeError, ValueError, AttributeError, IndexError, ImportError, OverflowError) as error:
        if isinstance(error, ValueError) and str(error).startswith("path: "):
            raise  # already about the configuration
        raise ValueError(
            f"path: the boostobj configuration's {where!r} is not a value boostobj saves "
            f"({type(error).__name__}: {error})"
        ) from None


#: dtype kinds :func:`_encode` writes (besides object arrays).
_DTYPE_KINDS = "biufU"


def _dtype(text: Any) -> np.dtype:
    dtype = np.dtype(text) if isinstance(text, str) else None
    if dtype is None or dtype.kind not in _DTYPE_KINDS or dtype.itemsize > 2**20:
        raise ValueError(f"dtype {text!r} is not one boostobj saves")
    return dtype


def _decode_value(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    kind = value.get("__type__")
    if kind is None:
        return {k: _decode(v, f"{where}.{k}") for k, v in value.items()}
    if kind == "scalar":
        return _dtype(value["dtype"]).type(_decode(value["value"], where))
    if kind == "float":
        if not isinstance(value["value"], str):
            raise TypeError(f"a float is saved as its repr, got {value['value']!r}")
        return float(value["value"])
    if kind == "tuple":
        return tuple(_decode(_as_list(value["items"]), where))
    if kind == "dict":
        pairs = [_as_list(pair) for pair in _as_list(value["items"])]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError("a dict is saved as [key, value] pairs")
        return {_hashable(_decode(k, where)): _decode(v, f"{where}[{k!r}]") for k, v in pairs}
    if kind == "ndarray":
        shape = _as_list(value["shape"])
        if not all(_is_int(n) and n >= 0 for n in shape):
            raise ValueError(f"shape {shape!r} is not a list of sizes")
        data = _as_list(value["data"])
        if value["dtype"] == "object":
            out = np.empty(len(data), dtype=object)
            out[:] = [_decode(v, where) for v in data]
            return out.reshape(shape)
        dtype = _dtype(value["dtype"])
        data = [_decode(v, where) for v in data] if value["flat"] else data
        return np.array(data, dtype=dtype).reshape(shape)
    if kind == "ClassMask":
        return ClassMask(value["indptr"], value["indices"], value["n_classes"])
    if kind == "csr":
        from scipy import sparse

        make = sparse.csr_array if value["array"] else sparse.csr_matrix
        parts = (_decode(value["data"], where), np.asarray(value["indices"]), np.asarray(value["indptr"]))
        return make(parts, shape=tuple(_as_list(value["shape"])))
    if kind == "object":
        params = value["params"]
        if not isinstance(params, dict):
            raise TypeError(f"an object's params are a dict, got {type(params).__name__}")
        return _make_object(value["class"], {k: _decode(v, f"{where}.{k}") for k, v in params.items()})
    if kind == "function":
        module, qualname = value["module"], value["qualname"]
        if not (isinstance(module, str) and isinstance(qualname, str)):
            raise TypeError("a function is saved as its module and qualified name")
        name = f"{module}:{qualname}"
        if not _IMPORT_FUNCTIONS.get():
            raise ValueError(
                f"path: the configuration names the function {name}; load it with "
                f"load_model(path, import_functions=True) if you trust the file (importing runs code)"
            )
        return _import_function(module, qualname)
    raise ValueError(f"path: unknown value type {kind!r} in the boostobj configuration")


def _as_list(value: Any) -> list:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _importable(function: types.FunctionType) -> bool:
    """Whether ``function`` is what importing its module and walking its qualname gives."""
    if "<" in function.__qualname__ or function.__module__ in (None, "__main__"):
        return False
    try:
        found = _import_function(function.__module__, function.__qualname__)
    except (ImportError, AttributeError):
        return False
    return getattr(found, "py_func", found) is function


def _import_function(module: str, qualname: str) -> Any:
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj  # the function, or the numba dispatcher wrapping it


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


#: The only modules whose classes a configuration may name (losses and masks).
_OBJECT_MODULES = (
    "boostobj.losses",
    "boostobj.focal",
    "boostobj.smoothing",
    "boostobj.custom",
    "boostobj.masks",
    "boostobj.grouped",
    "boostobj.choice",
    "boostobj.multilabel",
)


def _make_object(qualified: Any, params: dict) -> Any:
    """An instance of a boostobj class from its constructor parameters (nothing else is imported)."""
    if not isinstance(qualified, str):
        raise TypeError(f"a class is saved as its qualified name, got {qualified!r}")
    module, _, name = qualified.rpartition(".")
    if module not in _OBJECT_MODULES:
        raise ValueError(f"path: the configuration names {qualified!r}, not a boostobj class")
    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, ParamsMixin)):
        raise ValueError(f"path: the configuration names {qualified!r}, not a boostobj class")
    return cls(**params)
