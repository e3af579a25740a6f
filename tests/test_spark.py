"""What xgboost.spark allows for masked multiclass (backend facts, pinned).

Runs only where pyspark and Java are installed (pyspark is not in the ``test`` extra: a
450 MB download for two facts); a local SparkSession on loopback, started and stopped here.
If a future xgboost accepts a K-wide ``base_margin_col``, the second test fails: then the
native Spark path (built-in ``multi:softprob`` plus the mask offset) becomes possible.
"""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("pyspark needs Java", allow_module_level=True)

from xgboost.spark import SparkXGBClassifier  # noqa: E402

import boostobj  # noqa: E402
from boostobj.datasets import make_transition_data  # noqa: E402

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this interpreter
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def frame(spark):
    X, y, mask = make_transition_data(400, 5, 3, 4, random_state=0)
    offset = mask.margin_offset(np.float64)
    rows = [(X[i].tolist(), int(y[i]), offset[i].tolist()) for i in range(len(y))]
    return spark.createDataFrame(rows, ["features", "label", "offset"])


def test_spark_classifier_takes_no_objective(frame):
    """A callable is refused outright; even "multi:softprob" is (the classifier sets it itself)."""
    with pytest.raises(ValueError, match="Only string type 'objective' param is allowed"):
        SparkXGBClassifier(objective=boostobj.xgboost_objective(), num_workers=1).fit(frame)
    with pytest.raises(ValueError, match="Setting custom 'objective' param is not allowed"):
        SparkXGBClassifier(objective="multi:softprob", num_workers=1).fit(frame)


def test_spark_base_margin_col_holds_one_margin_per_row(frame):
    clf = SparkXGBClassifier(num_workers=1, base_margin_col="offset", n_estimators=2)
    with pytest.raises(Exception, match="setting an array element with a sequence"):
        clf.fit(frame)
