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
"""

from __future__ import annotations

import contextvars
import importlib
import json
import numbers
import os
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._params import ParamsMixin
from .masks import ClassMask
from .predict import _backend_of, predict_margin, predict_proba

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


def save_model(path: str | os.PathLike, model: Any, *, loss: Any = None, init_score: Any = None) -> None:
    """Write a trained model and its boostobj configuration to ``path``.

    Parameters
    ----------
    path : str or path-like
        XGBoost: must end in ``.json`` or ``.ubj`` (the format); LightGBM: any name (text).
    model : MaskedXGBClassifier, MaskedLGBMClassifier, xgboost.Booster or lightgbm.Booster
        A fitted estimator is saved whole (parameters and fitted attributes); a booster
        with ``loss`` and ``init_score``.
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
    """
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
        If the file holds no boostobj configuration (a model saved by the backend
        alone), or one written by a later format version.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"tree"):
        booster, text = _load_lightgbm(path)
    else:
        booster, text = _load_xgboost(path)
    if text is None:
        backend = _backend_of(booster)
        raise ValueError(
            f"path: {str(path)!r} has no boostobj configuration (a model saved by {backend} itself?); "
            f"load it with {backend} and pass init_score= to boostobj.predict_proba yourself"
        )
    config = json.loads(text)
    token = _IMPORT_FUNCTIONS.set(import_functions)
    try:
        return _from_config(config, booster)
    finally:
        _IMPORT_FUNCTIONS.reset(token)


def _from_config(config: dict, booster: Any) -> Any:
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"path: configuration format version {version!r} is not supported by this boostobj "
            f"(it reads versions up to {FORMAT_VERSION}); upgrade boostobj"
        )
    if config["kind"] == "estimator":
        return _estimator_from(config, booster)
    if config.get("best_iteration") is not None and config["backend"] == "lightgbm":
        booster.best_iteration = config["best_iteration"]
    init_score = _decode(config["init_score"])
    return SavedBooster(booster, _decode(config["loss"]), init_score)


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
        booster.save_model(path)
    finally:
        booster.set_attr(**{CONFIG_KEY: previous})  # None deletes it: the caller's booster is unchanged


def _load_xgboost(path: Path) -> tuple[Any, str | None]:
    import xgboost

    booster = xgboost.Booster(model_file=path)
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
    path.write_text(model, encoding="utf-8")


def _load_lightgbm(path: Path) -> tuple[Any, str | None]:
    import lightgbm

    model = path.read_text(encoding="utf-8")
    text = None
    key = f"\n{CONFIG_KEY}:"
    at = model.rfind(key)
    if at >= 0:
        end = model.find("\n", at + 1)
        text = model[at + len(key) : end]
        model = model[:at] + model[end:]
    return lightgbm.Booster(model_str=model), text


# ---------------------------------------------------------------------- estimators
_FITTED = ("classes_", "intercept_", "engine_", "best_iteration_", "evals_result_", "n_features_in_")


def _is_estimator(model: Any) -> bool:
    return type(model).__module__ == "boostobj.sklearn"


def _estimator_config(model: Any) -> dict:
    fitted = {name: _encode(getattr(model, name), name) for name in _FITTED}
    if hasattr(model, "feature_names_in_"):
        fitted["feature_names_in_"] = _encode(model.feature_names_in_, "feature_names_in_")
    params = model.get_params(deep=False)
    return {
        "kind": "estimator",
        "estimator": type(model).__name__,
        "n_classes": len(model.classes_),
        "params": {name: _encode(value, name) for name, value in params.items()},
        "fitted": fitted,
    }


def _estimator_from(config: dict, booster: Any) -> Any:
    from . import sklearn as _sk

    name = config["estimator"]
    if name not in _sk.__all__:
        raise ValueError(f"path: unknown estimator {name!r} in the boostobj configuration")
    params = {key: _decode(value) for key, value in config["params"].items()}
    model = getattr(_sk, name)(**params)
    for key, value in config["fitted"].items():
        if key not in (*_FITTED, "feature_names_in_"):
            raise ValueError(f"path: unknown fitted attribute {key!r} in the boostobj configuration")
        setattr(model, key, _decode(value))
    model.booster_ = booster
    return model


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


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("__type__")
    if kind is None:
        return {k: _decode(v) for k, v in value.items()}
    if kind == "scalar":
        return np.dtype(value["dtype"]).type(_decode(value["value"]))
    if kind == "float":
        return float(value["value"])
    if kind == "tuple":
        return tuple(_decode(v) for v in value["items"])
    if kind == "dict":
        return {_hashable(_decode(k)): _decode(v) for k, v in value["items"]}
    if kind == "ndarray":
        dtype = object if value["dtype"] == "object" else np.dtype(value["dtype"])
        data = [_decode(v) for v in value["data"]] if value["flat"] else value["data"]
        if dtype is object:
            out = np.empty(len(data), dtype=object)
            out[:] = data
            return out.reshape(value["shape"])
        return np.array(data, dtype=dtype).reshape(value["shape"])
    if kind == "ClassMask":
        return ClassMask(value["indptr"], value["indices"], value["n_classes"])
    if kind == "csr":
        from scipy import sparse

        make = sparse.csr_array if value["array"] else sparse.csr_matrix
        parts = (_decode(value["data"]), np.asarray(value["indices"]), np.asarray(value["indptr"]))
        return make(parts, shape=tuple(value["shape"]))
    if kind == "object":
        return _make_object(value["class"], {k: _decode(v) for k, v in value["params"].items()})
    if kind == "function":
        name = f"{value['module']}:{value['qualname']}"
        if not _IMPORT_FUNCTIONS.get():
            raise ValueError(
                f"path: the configuration names the function {name}; load it with "
                f"load_model(path, import_functions=True) if you trust the file (importing runs code)"
            )
        return _import_function(value["module"], value["qualname"])
    raise ValueError(f"path: unknown value type {kind!r} in the boostobj configuration")


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
)


def _make_object(qualified: str, params: dict) -> Any:
    """An instance of a boostobj class from its constructor parameters (nothing else is imported)."""
    module, _, name = qualified.rpartition(".")
    if module not in _OBJECT_MODULES:
        raise ValueError(f"path: the configuration names {qualified!r}, not a boostobj class")
    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, ParamsMixin)):
        raise ValueError(f"path: the configuration names {qualified!r}, not a boostobj class")
    return cls(**params)
