"""DataFrames with categorical and string columns, for the estimators.

scikit-learn's ``validate_data`` turns a DataFrame into a float array: string columns
fail and a categorical column of integers silently becomes numbers. The estimators keep
such frames as pandas DataFrames instead and let the backends split on categories
natively (XGBoost ``enable_categorical``, LightGBM's pandas categoricals):

* string, object and categorical columns become pandas ``category`` columns whose
  categories are fixed at ``fit`` (a category first seen at predict time is a missing
  value, which both backends route like any missing value);
* polars (and pyarrow) frames go through pandas (``to_pandas``);
* a frame of plain numbers takes the usual array path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_native_frame", "fit_categories", "apply_categories"]


def _to_pandas(X: Any) -> Any:
    module = type(X).__module__.split(".")[0]
    if module in ("polars", "pyarrow") and hasattr(X, "to_pandas"):
        return X.to_pandas()
    return X


def is_native_frame(X: Any) -> bool:
    """Whether ``X`` is a DataFrame with a string, object or categorical column."""
    module = type(X).__module__.split(".")[0]
    if module == "polars":
        import polars as pl

        return any(dtype in (pl.Utf8, pl.Categorical, pl.Enum) or isinstance(dtype, (pl.Categorical, pl.Enum))
                   for dtype in X.dtypes)  # fmt: skip
    if module == "pyarrow":
        return any(
            str(t) in ("string", "large_string") or str(t).startswith("dictionary") for t in X.schema.types
        )
    if module != "pandas" or not hasattr(X, "dtypes") or getattr(X, "ndim", 2) != 2:
        return False
    return any(_categorical(dtype) for dtype in X.dtypes)


def _categorical(dtype: Any) -> bool:
    return str(dtype) == "category" or str(dtype) == "object" or str(dtype).startswith(("string", "str"))


def fit_categories(X: Any) -> tuple[Any, dict]:
    """``(frame, categories)``: ``X`` as a pandas frame and the categories of each
    categorical column (fixed from here on)."""
    frame = _to_pandas(X)
    categories = {}
    for name in frame.columns:
        column = frame[name]
        if not _categorical(column.dtype):
            continue
        if str(column.dtype) == "category":
            categories[name] = list(column.cat.categories)
        else:
            values = column.dropna().unique()
            try:
                categories[name] = sorted(values.tolist())
            except TypeError:  # mixed types: keep the order of appearance
                categories[name] = values.tolist()
    return apply_categories(frame, categories), categories


def apply_categories(X: Any, categories: dict) -> Any:
    """``X`` as a pandas frame with each categorical column cast to its fitted categories."""
    import pandas as pd

    frame = _to_pandas(X)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"X: the model was fitted on a DataFrame with categorical columns; got {type(X).__name__}"
        )
    missing = [name for name in categories if name not in frame.columns]
    if missing:
        raise ValueError(f"X: categorical columns {missing} seen in fit are missing")
    frame = frame.copy()
    for name, cats in categories.items():
        frame[name] = frame[name].astype(object).astype(pd.CategoricalDtype(cats))
    return frame
