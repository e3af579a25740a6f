"""Training and prediction for the estimators, one small class per backend.

The estimators (``boostobj.sklearn``, ``boostobj.multioutput``, ``boostobj.choice_models``)
decide *what* to train (loss, engine, mask, intercept, parameters); these classes know
*how* XGBoost or LightGBM does it: their data objects, objective and metric callables,
train calls, early stopping (on the last eval set, for both), best iteration and feature
importances. Both import their backend lazily.

A :class:`DataSet` carries everything its backend data object needs, so every estimator
family trains through the same ``train``: class indices and a mask (the masked
classifiers), labels a loss encodes itself (``loss=``: the grouped softmax's (n, G)
labels), and contiguous groups of rows (``group=``: choice situations).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .predict import predict_margin


def check_booster_params(params: dict, reserved: dict[str, tuple[str, ...]], backend: str) -> None:
    """Refuse ``booster_params`` that would silently override what the estimator sets.

    ``reserved`` maps each parameter the estimator owns to the backend's names for it
    (aliases included, as the backend reads them) and is paired with what to use instead.
    """
    if not isinstance(params, dict):
        raise TypeError(
            f"booster_params: expected a dict of {backend} parameters; got {type(params).__name__}"
        )
    for owner, (aliases, instead) in reserved.items():
        given = sorted(key for key in params if key in aliases)
        if given:
            raise ValueError(
                f"booster_params: {given[0]!r} is {backend}'s {owner}, which the estimator sets itself; "
                f"{instead}"
            )


@dataclass
class DataSet:
    """One data set of a fit, as the backends' data objects get it.

    Attributes
    ----------
    X : array, sparse matrix or DataFrame of shape (n, n_features)
    y : ndarray
        Class indices of shape (n,); or, with ``loss``, the labels that loss encodes
        itself (``loss.backend_labels``: (n, G) positions for ``GroupedSoftmaxLoss``,
        (n,) choice shares for ``ChoiceLoss``).
    mask : ClassMask, optional
        Valid classes per row (travels as the -1e30 margin offset).
    weight : ndarray of shape (n,), optional
        Per row (for groups: constant within each group; XGBoost keeps one per group).
    loss : Loss, optional
        The loss whose labels ``y`` are (given to ``xgboost_dmatrix``/``lightgbm_dataset``
        as ``loss=``); None: class indices.
    group : ndarray of shape (n_groups,), optional
        Rows per group (choice situation), the groups' rows contiguous; XGBoost and
        LightGBM both take it as ``group=``, and the choice objective reads it back.
    """

    X: Any
    y: np.ndarray
    mask: Any = None
    weight: np.ndarray | None = None
    loss: Any = None
    group: np.ndarray | None = None


@dataclass
class Fitted:
    """What a backend returns from training."""

    booster: Any
    evals_result: dict = field(default_factory=dict)
    best_iteration: int | None = None


class XGBoostBackend:
    """``xgboost.train`` with boostobj's data sets, objective and metric."""

    name = "xgboost"
    #: booster_params the estimator owns: XGBoost's names for each, and what to use instead.
    reserved = {
        "objective": (("objective", "obj"), "choose it with loss= (and engine=)"),
        "num_class": (("num_class",), "it is the number of classes_"),
        "base_score": (("base_score",), "the estimator starts from its own intercept (intercept_)"),
        "eval_metric": (("eval_metric", "disable_default_eval_metric"), "the masked log-loss is used"),
        "number of rounds": (("n_estimators", "num_boost_round"), "set n_estimators"),
        "thread count": (("nthread", "n_jobs"), "set n_jobs"),
        "seed": (("seed", "random_state"), "set random_state"),
        "learning rate": (("eta", "learning_rate"), "set learning_rate"),
        "depth": (("max_depth",), "set max_depth"),
        "min_child_weight": (("min_child_weight",), "set min_child_weight"),
        "row subsampling": (("subsample",), "set subsample"),
        "column subsampling": (("colsample_bytree",), "set colsample_bytree"),
        "L2 penalty": (("lambda", "reg_lambda"), "set reg_lambda"),
        "L1 penalty": (("alpha", "reg_alpha"), "set reg_alpha"),
        "tree method": (("tree_method",), "set tree_method"),
        "max_bin": (("max_bin",), "set max_bin"),
    }

    @staticmethod
    def builtin_objective(multiclass: bool) -> str:
        return "multi:softprob" if multiclass else "binary:logistic"

    @staticmethod
    def objective(loss: Any) -> Any:
        """boostobj's objective callable for ``loss``."""
        from .xgb import XGBoostObjective

        return XGBoostObjective(loss)

    @staticmethod
    def metric(metric: Any, output_margin: bool = True) -> Any:
        """boostobj's eval metric (a metric name or a Loss)."""
        from .xgb import XGBoostMetric

        return XGBoostMetric(metric, output_margin=output_margin)

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
        callbacks: list = (),
        verbose: int = 0,
    ) -> Fitted:
        import xgboost

        from .xgb import xgboost_dmatrix

        def data(ds: DataSet) -> Any:
            return xgboost_dmatrix(
                ds.X, ds.y, mask=ds.mask, weight=ds.weight, init_score=intercept, loss=ds.loss,
                group=ds.group, enable_categorical=True,
            )  # fmt: skip

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
            verbose_eval=verbose if watch and verbose else False,
            callbacks=[*callbacks, *([_xgboost_progress(rounds, verbose)] if verbose and not watch else [])],
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
    #: booster_params the estimator owns, with LightGBM's aliases (lightgbm.basic._ConfigAliases).
    reserved = {
        "objective": (("objective", "objective_type", "app", "application", "loss"), "choose it with loss="),
        "num_class": (("num_class", "num_classes"), "it is the number of classes_"),
        "metric": (("metric", "metrics", "metric_types"), "the masked log-loss is used"),
        "number of rounds": (
            (
                "num_iterations",
                "num_iteration",
                "n_iter",
                "num_tree",
                "num_trees",
                "num_round",
                "num_rounds",
                "nrounds",
                "num_boost_round",
                "n_estimators",
                "max_iter",
            ),
            "set n_estimators",
        ),
        "early stopping": (
            ("early_stopping_round", "early_stopping_rounds", "early_stopping", "n_iter_no_change"),
            "set early_stopping_rounds",
        ),
        "thread count": (("num_threads", "num_thread", "nthread", "nthreads", "n_jobs"), "set n_jobs"),
        "seed": (("seed", "random_seed", "random_state"), "set random_state"),
        "initial score": (("init_score", "boost_from_average"), "the estimator starts from intercept_"),
        "learning rate": (("learning_rate", "shrinkage_rate", "eta"), "set learning_rate"),
        "number of leaves": (
            ("num_leaves", "num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
            "set num_leaves",
        ),
        "depth": (("max_depth",), "set max_depth"),
        "leaf size": (
            ("min_data_in_leaf", "min_data_per_leaf", "min_data", "min_child_samples", "min_samples_leaf"),
            "set min_child_samples",
        ),
        "row subsampling": (
            ("bagging_fraction", "sub_row", "subsample", "bagging"),
            "set subsample",
        ),
        "row subsampling frequency": (("bagging_freq", "subsample_freq"), "set subsample_freq"),
        "column subsampling": (
            ("feature_fraction", "sub_feature", "colsample_bytree"),
            "set colsample_bytree",
        ),
        "L1 penalty": (("lambda_l1", "reg_alpha", "l1_regularization"), "set reg_alpha"),
        "L2 penalty": (("lambda_l2", "reg_lambda", "lambda", "l2_regularization"), "set reg_lambda"),
        "boosting type": (
            ("boosting", "boosting_type", "boost"),
            "the masked estimators boost with 'gbdt' (LightGBM's random forest mode 'rf' averages trees "
            "and refuses custom objectives); for DART use lightgbm.train with lightgbm_objective()",
        ),
    }

    @staticmethod
    def builtin_objective(multiclass: bool) -> str:
        return "multiclass" if multiclass else "binary"

    @staticmethod
    def objective(loss: Any) -> Any:
        """boostobj's objective callable for ``loss``."""
        from .lgb import LightGBMObjective

        return LightGBMObjective(loss)

    @staticmethod
    def metric(metric: Any, output_margin: bool = True) -> Any:
        """boostobj's eval metric (a metric name or a Loss)."""
        from .lgb import LightGBMMetric

        return LightGBMMetric(metric, output_margin=output_margin)

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
        callbacks: list = (),
        verbose: int = 0,
    ) -> Fitted:
        import lightgbm

        from .lgb import lightgbm_dataset

        params = {**params, "objective": objective, "metric": "None"}
        if callable(objective):
            # With a callable objective, LightGBM ends training with a fatal error ("Check failed:
            # num_features() > 0") when its pre-filter drops every feature as unsplittable under
            # min_data_in_leaf (small data); the built-in objectives train constant trees there.
            # Keeping the features changes no tree (they are never split).
            params.setdefault("feature_pre_filter", False)

        def data(ds: DataSet, **kwargs: Any) -> Any:
            return lightgbm_dataset(
                ds.X, ds.y, mask=ds.mask, weight=ds.weight, init_score=intercept, loss=ds.loss,
                group=ds.group, **kwargs,
            )  # fmt: skip

        dtrain = data(train)
        valid = [data(ds, reference=dtrain) for ds in evals]
        result: dict = {}
        callbacks = [lightgbm.record_evaluation(result), *callbacks]
        if early_stopping_rounds and valid:
            callbacks.append(_lightgbm_stop_on_last(early_stopping_rounds, f"validation_{len(valid) - 1}"))
        if verbose:
            callbacks.append(
                lightgbm.log_evaluation(verbose) if valid else _lightgbm_progress(rounds, verbose)
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


# ---------------------------------------------------------------------- progress
def _progress_line(done: int, rounds: int, started: float) -> str:
    return f"[boostobj] round {done}/{rounds}, {time.perf_counter() - started:.1f} s"


def _xgboost_progress(rounds: int, period: int) -> Any:
    """An XGBoost callback printing the round and the elapsed time every ``period`` rounds."""
    import xgboost

    class Progress(xgboost.callback.TrainingCallback):
        def before_training(self, model: Any) -> Any:
            self.started = time.perf_counter()
            return model

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if (epoch + 1) % period == 0 or epoch + 1 == rounds:
                print(_progress_line(epoch + 1, rounds, self.started), flush=True)
            return False

    return Progress()


def _lightgbm_stop_on_last(rounds: int, name: str) -> Any:
    """Early stopping on the eval set ``name`` only (the last), as XGBoost stops: LightGBM's
    own ``early_stopping`` stops as soon as ANY valid set has not improved for ``rounds``."""
    import lightgbm

    state: dict = {"best": None, "iteration": 0, "results": None}

    def stop(env: Any) -> None:
        for result in env.evaluation_result_list or ():
            if result[0] != name:
                continue
            value, higher_better = result[2], result[3]
            best = state["best"]
            if best is None or (value > best if higher_better else value < best):
                state.update(best=value, iteration=env.iteration, results=env.evaluation_result_list)
            elif env.iteration - state["iteration"] >= rounds:
                raise lightgbm.callback.EarlyStopException(state["iteration"], state["results"])
        if env.iteration == env.end_iteration - 1 and state["results"] is not None:
            # as LightGBM's own callback: the last round reached, the best one is the model's
            raise lightgbm.callback.EarlyStopException(state["iteration"], state["results"])

    stop.order = 30  # after record_evaluation (20), as lightgbm.early_stopping
    return stop


def _lightgbm_progress(rounds: int, period: int) -> Any:
    """A LightGBM callback printing the round and the elapsed time every ``period`` rounds."""
    started = time.perf_counter()

    def progress(env: Any) -> None:
        done = env.iteration + 1
        if done % period == 0 or done == env.end_iteration:
            print(_progress_line(done, rounds, started), flush=True)

    return progress
