"""Explain a masked model: per-feature contributions that add up to the masked margins,
with the classes that are forbidden in a row left out instead of drowning the plot.

``boostobj.explain`` runs the backend's exact TreeSHAP with boostobj's intercept as the
base value. A plain TreeSHAP over every (row, class) would spend most of its mass on
classes that cannot occur (their probability is exactly 0 whatever the trees say): this
example prints that share, then the top features of one class over the rows where it can
occur, and, given ``--plot FILE`` with shap and matplotlib installed, draws shap's
beeswarm plot of them into FILE.

    python examples/explain_masked_model.py --plot beeswarm.png
    python examples/explain_masked_model.py --rows 2000 --estimators 5
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from boostobj import MaskedXGBClassifier, TransitionMask, explain
from boostobj.datasets import make_transition_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--estimators", type=int, default=60)
    parser.add_argument("--plot", type=Path, default=None, help="write shap's beeswarm plot to this PNG")
    args = parser.parse_args(argv)

    X, y, mask, allowed = make_transition_data(
        args.rows, 12, 3, n_features=6, random_state=0, return_allowed=True
    )
    frame = pd.DataFrame(X, columns=["state"] + [f"x{j}" for j in range(1, X.shape[1])])
    clf = MaskedXGBClassifier(n_estimators=args.estimators, mask_from=TransitionMask("state", allowed))
    clf.fit(frame, y)

    ex = explain(clf, frame)
    unmasked = explain(clf, frame, valid_mask="all")  # what a mask-unaware TreeSHAP would show
    share = np.abs(unmasked.values[~ex.valid]).sum() / np.abs(unmasked.values).sum()
    print(f"{ex.values.shape[0]} rows x {ex.values.shape[1]} classes x {ex.values.shape[2]} features")
    print(f"share of |SHAP| an unmasked explanation puts on forbidden (row, class) pairs: {share:.0%}")

    k = 0
    one = ex.values[ex.valid[:, k], k, :]
    order = np.argsort(-np.abs(one).mean(axis=0))
    print(f"class {ex.classes[k]}: mean |SHAP| over the {len(one)} rows where it may occur")
    for j in order[:4]:
        print(f"  {ex.feature_names[j]:>6s}  {np.abs(one[:, j]).mean():.4f}")

    if args.plot is None:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import shap
    except ImportError:
        print("shap or matplotlib not installed: no plot (pip install 'boostobj[explain]')")
        return
    shap.plots.beeswarm(ex.to_shap(k), show=False)
    plt.tight_layout()
    plt.savefig(args.plot)
    plt.close("all")
    print(f"beeswarm plot of class {ex.classes[k]}: {args.plot}")


if __name__ == "__main__":
    main()
