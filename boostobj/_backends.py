"""Training and prediction for the estimators, one small class per backend.

The estimators (``boostobj.sklearn``) decide *what* to train (loss, engine, mask,
intercept, parameters); these classes know *how* XGBoost or LightGBM does it: their data
objects, train calls, early stopping, best iteration and feature importances. Both
import their backend lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .predict import predict_margin


@dataclass
class DataSet:
    """One data set of a fit: features, label indices, mask, weights, start margins."""

    X: Any
    y: np.ndarray
    mask: Any = None
    weight: np.ndarray | None = None


@dataclass
class Fitted:
    """What a backend returns from training."""

    booster: Any
    evals_result: dict = field(default_factory=dict)
    best_iteration: int | None = None


class XGBoostBackend:
    """``xgboost.train`` with boostobj's data sets, objective and metric."""

    name = "xgboost"

    @staticmethod
    def builtin_objective(multiclass: bool) -> str:
        return "multi:softprob" if multiclass else "binary:logistic"

    def train(
        self,
        params: dict,
        train: DataSet,
        evals: list[DataSet],
        rounds: int,
        objective: Any,
        metric: Any,
        intercept: np.ndarray,
        early_stopping_rounds: int | None,
    ) -> Fitted:
        import xgboost

        from .xgb import xgboost_dmatrix

        def data(ds: DataSet) -> Any:
            return xgboost_dmatrix(ds.X, ds.y, mask=ds.mask, weight=ds.weight, init_score=intercept)

        params = {**params, "disable_default_eval_metric": 1}
        obj = None
        if isinstance(objective, str):
            params["objective"] = objective
        else:
            obj = objective
        watch = [(data(ds), f"validation_{i}") for i, ds in enumerate(evals)]
        result: dict = {}
        booster = xgboost.train(
            params,
            data(train),
            num_boost_round=rounds,
            evals=watch,
            obj=obj,
            custom_metric=metric if watch else None,
            early_stopping_rounds=early_stopping_rounds,
            evals_result=result,
            verbose_eval=False,
        )
        best = getattr(booster, "best_iteration", None) if early_stopping_rounds else None
        return Fitted(booster, result, best)

    @staticmethod
    def predict_margin(
        booster: Any, best_iteration: int | None, X: Any, mask: Any, intercept: np.ndarray
    ) -> np.ndarray:
        kwargs = {} if best_iteration is None else {"iteration_range": (0, best_iteration + 1)}
        return predict_margin(booster, X, mask=mask, init_score=intercept, **kwargs)

    @staticmethod
    def feature_importances(booster: Any, n_features: int) -> np.ndarray:
        scores = booster.get_score(importance_type="total_gain")
        names = booster.feature_names or [f"f{i}" for i in range(n_features)]
        gains = np.array([scores.get(name, 0.0) for name in names], dtype=np.float64)
        return gains / gains.sum() if gains.sum() > 0 else gains


class LightGBMBackend:
    """``lightgbm.train`` with boostobj's data sets, objective and metric."""

    name = "lightgbm"

    @staticmethod
    def builtin_objective(multiclass: bool) -> str:
        return "multiclass" if multiclass else "binary"

    def train(
        self,
        params: dict,
        train: DataSet,
        evals: list[DataSet],
        rounds: int,
        objective: Any,
        metric: Any,
        intercept: np.ndarray,
        early_stopping_rounds: int | None,
    ) -> Fitted:
        import lightgbm

        from .lgb import lightgbm_dataset

        params = {**params, "objective": objective, "metric": "None"}
        dtrain = lightgbm_dataset(
            train.X, train.y, mask=train.mask, weight=train.weight, init_score=intercept
        )
        valid = [
            lightgbm_dataset(
                ds.X, ds.y, mask=ds.mask, weight=ds.weight, init_score=intercept, reference=dtrain
            )
            for ds in evals
        ]
        result: dict = {}
        callbacks = [lightgbm.record_evaluation(result)]
        if early_stopping_rounds:
            callbacks.append(
                lightgbm.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False)
            )
        booster = lightgbm.train(
            params,
            dtrain,
            num_boost_round=rounds,
            valid_sets=valid,
            valid_names=[f"validation_{i}" for i in range(len(valid))],
            feval=metric if valid else None,
            callbacks=callbacks,
        )
        best = booster.best_iteration if early_stopping_rounds and booster.best_iteration > 0 else None
        return Fitted(booster, result, None if best is None else best - 1)

    @staticmethod
    def predict_margin(
        booster: Any, best_iteration: int | None, X: Any, mask: Any, intercept: np.ndarray
    ) -> np.ndarray:
        kwargs = {} if best_iteration is None else {"num_iteration": best_iteration + 1}
        return predict_margin(booster, X, mask=mask, init_score=intercept, **kwargs)

    @staticmethod
    def feature_importances(booster: Any, n_features: int) -> np.ndarray:
        gains = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
        return gains / gains.sum() if gains.sum() > 0 else gains
