"""``repr``/``==`` (``ConfigMixin``) and ``get_params``/``set_params`` (``ParamsMixin``) for
small objects configured by their constructor, read from its signature as scikit-learn does.

Losses are ``ParamsMixin``: ``sklearn.base.clone`` and grid searches over ``loss__...``
work. The adapters' callables are only ``ConfigMixin``: scikit-learn wrappers expand any
``get_params`` of their ``objective``/``eval_metric`` into ``objective__loss=...``, which
XGBoost and LightGBM would then receive as booster parameters.

Constructors must store each argument unchanged under its own name and may validate
(raising early); ``set_params`` re-runs the constructor so a bad value never slips in.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


class ConfigMixin:
    """``repr`` and ``==`` from the constructor arguments."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def _config(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = [
            f"{name}={value!r}"
            for name, value in self._config().items()
            if not _same(value, defaults.get(name, inspect.Parameter.empty))
        ]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self._config(), other._config()  # type: ignore[attr-defined]
        return all(_same(mine[name], theirs[name]) for name in mine)

    __hash__ = None  # type: ignore[assignment]


class ParamsMixin(ConfigMixin):
    """Scikit-learn's parameter protocol (``get_params``/``set_params``) on top of ``ConfigMixin``."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments, by name."""
        return self._config()

    def set_params(self, **params: Any) -> ParamsMixin:
        """Set constructor arguments (validated as in the constructor); returns ``self``."""
        unknown = set(params) - set(self._param_names())
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown parameter(s) {sorted(unknown)}; valid: {self._param_names()}"
            )
        fresh = type(self)(**{**self._config(), **params})
        self.__dict__.update(fresh.__dict__)
        return self


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects whose == is not a plain bool
        return a is b
