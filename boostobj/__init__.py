"""boostobj: fast, exact custom objectives for XGBoost and LightGBM.

Public names only; each lives in a small module of its own. Importing boostobj compiles
nothing and imports neither XGBoost, LightGBM nor scikit-learn: the adapters import their
backend when first used, and the estimators (``boostobj.sklearn``) are loaded on first
access.
"""

from ._threads import get_num_threads, set_num_threads
from .choice import ChoiceLoss
from .custom import CustomLoss, make_loss
from .explanations import MaskedExplanation, explain
from .export import ExportedModel, export_model
from .focal import BinaryFocalLoss, FocalLoss
from .grouped import GroupedSoftmaxLoss
from .lgb import (
    LightGBMMetric,
    LightGBMObjective,
    lightgbm_dataset,
    lightgbm_metric,
    lightgbm_objective,
)
from .losses import BinaryLogLoss, Loss, SoftmaxLoss, masked_softmax
from .masks import INVALID_OFFSET, ClassMask, TransitionMask
from .metrics import masked_error_rate, masked_log_loss
from .multilabel import MultiLabelLoss
from .persist import SavedBooster, load_model, save_model
from .predict import predict_margin, predict_proba
from .smoothing import LabelSmoothingLoss
from .testing import ObjectiveCheck, check_objective
from .xgb import XGBoostMetric, XGBoostObjective, xgboost_dmatrix, xgboost_metric, xgboost_objective

__all__ = [
    "ClassMask",
    "TransitionMask",
    "MaskedXGBClassifier",
    "MaskedLGBMClassifier",
    "MaskedMultiOutputXGBClassifier",
    "MaskedMultiOutputLGBMClassifier",
    "ChoiceXGBClassifier",
    "ChoiceLGBMClassifier",
    "MaskedCalibratedClassifier",
    "INVALID_OFFSET",
    "Loss",
    "SoftmaxLoss",
    "BinaryLogLoss",
    "FocalLoss",
    "BinaryFocalLoss",
    "LabelSmoothingLoss",
    "GroupedSoftmaxLoss",
    "ChoiceLoss",
    "MultiLabelLoss",
    "make_loss",
    "CustomLoss",
    "check_objective",
    "ObjectiveCheck",
    "masked_softmax",
    "masked_log_loss",
    "masked_error_rate",
    "xgboost_objective",
    "xgboost_metric",
    "xgboost_dmatrix",
    "XGBoostObjective",
    "XGBoostMetric",
    "lightgbm_objective",
    "lightgbm_metric",
    "lightgbm_dataset",
    "LightGBMObjective",
    "LightGBMMetric",
    "predict_proba",
    "predict_margin",
    "set_num_threads",
    "get_num_threads",
    "save_model",
    "load_model",
    "SavedBooster",
    "export_model",
    "ExportedModel",
    "explain",
    "MaskedExplanation",
]

__version__ = "0.1.0"


def __getattr__(name: str):  # the estimators import scikit-learn: only when asked for
    if name in ("MaskedXGBClassifier", "MaskedLGBMClassifier", "MaskedBoostingClassifier"):
        from . import sklearn as _sklearn

        return getattr(_sklearn, name)
    if name in ("MaskedMultiOutputXGBClassifier", "MaskedMultiOutputLGBMClassifier"):
        from . import multioutput as _multioutput

        return getattr(_multioutput, name)
    if name in ("ChoiceXGBClassifier", "ChoiceLGBMClassifier"):
        from . import choice_models as _choice_models

        return getattr(_choice_models, name)
    if name == "MaskedCalibratedClassifier":
        from .calibration import MaskedCalibratedClassifier

        return MaskedCalibratedClassifier
    raise AttributeError(f"module 'boostobj' has no attribute {name!r}")
