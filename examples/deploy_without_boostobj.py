"""Train a masked model, export it, and serve it from a process that has only XGBoost and
LightGBM: the exported files predict the masked probabilities by themselves.

The valid next states are a function of the current state (column 0), so
``boostobj.export_model`` compiles the mask into the model as one extra tree per class;
the serving process below never imports boostobj, and its probabilities are exactly 0 on
forbidden classes and equal to boostobj's own within float32 rounding.

    python examples/deploy_without_boostobj.py
    python examples/deploy_without_boostobj.py --rows 2000 --estimators 5
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from boostobj import MaskedLGBMClassifier, MaskedXGBClassifier, TransitionMask, export_model
from boostobj.datasets import make_transition_data

SERVE = """
    import sys
    import numpy as np
    import lightgbm, xgboost

    X = np.load(sys.argv[1])
    xgb_proba = xgboost.Booster(model_file=sys.argv[2]).predict(xgboost.DMatrix(X))
    lgb_proba = lightgbm.Booster(model_file=sys.argv[3]).predict(X)
    np.save(sys.argv[4], np.stack([xgb_proba, lgb_proba]))
    print("served in a process without boostobj:", "boostobj" not in sys.modules)
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--estimators", type=int, default=100)
    args = parser.parse_args(argv)

    X, y, mask, allowed = make_transition_data(args.rows, 12, 3, random_state=0, return_allowed=True)
    rule = TransitionMask(0, allowed)
    n_train = int(0.8 * len(y))
    models = {
        "xgboost": MaskedXGBClassifier(n_estimators=args.estimators, mask_from=rule),
        "lightgbm": MaskedLGBMClassifier(n_estimators=args.estimators, mask_from=rule),
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = {}
        for name, model in models.items():
            model.fit(X[:n_train], y[:n_train])
            info = export_model(model, tmp / ("model.json" if name == "xgboost" else "model.txt"))
            paths[name] = info.path
            print(f"{name}: wrote {info.path.name}; mask compiled into the model: {info.mask_in_model}")
        np.save(tmp / "X.npy", X[n_train:])
        served = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(SERVE), str(tmp / "X.npy"), str(paths["xgboost"]),
             str(paths["lightgbm"]), str(tmp / "proba.npy")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print(served.stdout.strip())
        proba = dict(zip(models, np.load(tmp / "proba.npy"), strict=True))

    forbidden = ~mask.take(np.arange(n_train, len(y))).to_dense()
    for name, model in models.items():
        expected = model.predict_proba(X[n_train:])
        print(
            f"{name}: max |p_served - p_boostobj| = {np.abs(proba[name] - expected).max():.2e}, "
            f"mass on forbidden classes = {proba[name][forbidden].sum():.1f}"
        )


if __name__ == "__main__":
    main()
