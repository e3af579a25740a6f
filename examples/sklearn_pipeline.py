"""A masked classifier inside scikit-learn: Pipeline, GridSearchCV, held-out masked log-loss.

The valid next states come from the current state (column 0) through
``boostobj.TransitionMask``, so the mask needs no routing: the pipeline, the grid search
and its scorer work unchanged. The state column is passed through untouched by the
preprocessing, because the mask rule reads it.

    python examples/sklearn_pipeline.py
    python examples/sklearn_pipeline.py --rows 2000 --estimators 10
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from boostobj import MaskedLGBMClassifier, TransitionMask
from boostobj.datasets import make_transition_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--estimators", type=int, default=100)
    args = parser.parse_args(argv)

    X, y, mask, allowed = make_transition_data(args.rows, 12, 4, random_state=0, return_allowed=True)
    labels = np.array([f"state-{i:02d}" for i in range(12)])[y]  # string labels work too
    X_train, X_test, y_train, y_test = train_test_split(X, labels, test_size=0.25, random_state=0)

    n_features = X.shape[1]
    pipe = Pipeline([
        ("prep", ColumnTransformer([
            ("state", "passthrough", [0]),  # TransitionMask reads the state from column 0
            ("covariates", StandardScaler(), list(range(1, n_features))),
        ])),
        ("clf", MaskedLGBMClassifier(n_estimators=args.estimators, mask_from=TransitionMask(0, allowed))),
    ])  # fmt: skip
    search = GridSearchCV(pipe, {"clf__num_leaves": [7, 31]}, cv=3, scoring="neg_log_loss")
    search.fit(X_train, y_train)

    proba = search.predict_proba(X_test)
    test_mask = TransitionMask(0, allowed)(X_test)
    assert (proba[~test_mask.to_dense()] == 0).all()
    print(f"best parameters: {search.best_params_}")
    print(f"cross-validated masked log-loss: {-search.best_score_:.4f}")
    print(f"held-out masked log-loss: {log_loss(y_test, proba, labels=search.classes_):.4f}")
    print(f"held-out accuracy: {(search.predict(X_test) == y_test).mean():.4f}")


if __name__ == "__main__":
    main()
