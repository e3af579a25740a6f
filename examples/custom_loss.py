"""Your own loss with ``boostobj.make_loss``: write the loss, get exact derivatives.

1. A loss of the label's probability ``q`` (PolyLoss, Leng et al. 2022:
   ``-log q + eps (1 - q)``), written as one NumPy expression: boostobj derives ``l'`` and
   ``l''`` exactly and applies the chain rule through the masked softmax in O(K) per row.
2. A loss of a row's valid margins (numba row function): the expected squared distance
   between the predicted and the true state of an ordinal scale, plus the cross-entropy.
   Its derivatives come from the complex step.

Both are checked against finite differences with ``boostobj.check_objective`` and trained
with XGBoost; the script prints the test metrics next to the plain cross-entropy's.

    python examples/custom_loss.py
    python examples/custom_loss.py --rows 2000 --rounds 10
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostobj
from boostobj.datasets import make_transition_data


def poly1(q, eps=1.0):
    return -np.log(q) + eps * (1.0 - q)


def ordinal_cost(f, classes, y):
    """sum_c p_c (c - label)^2 - log p_label over the row's valid classes (complex-safe)."""
    shift = np.max(np.real(f))  # a real shift: no overflow, and the complex step still works
    e = np.exp(f - shift)
    total = np.sum(e)
    cost = 0.0 * f[0]
    for t in range(f.shape[0]):
        cost += e[t] / total * (classes[t] - classes[y]) ** 2
    return cost + np.log(total) - (f[y] - shift)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--states", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)

    X, y, mask = make_transition_data(args.rows, args.states, 4, random_state=0)
    n_train = int(0.75 * y.size)
    tr, te = np.arange(n_train), np.arange(n_train, y.size)
    m_tr, m_te = mask.take(tr), mask.take(te)

    losses = {
        "SoftmaxLoss(hessian='exact')": boostobj.SoftmaxLoss(hessian="exact"),
        "make_loss(poly1, of='label_probability')": boostobj.make_loss(poly1, of="label_probability"),
        # its exact diagonal can be <= 0; a floor keeps each Newton step finite
        "make_loss(ordinal_cost)": boostobj.make_loss(ordinal_cost, hessian_floor=0.05, name="ordinal"),
    }
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(200, args.states))
    check_mask = m_tr.take(np.arange(200))
    for name in list(losses)[1:]:
        # check the exact diagonal, with the default floor on invalid classes
        exact = losses[name].set_params(hessian_kind="exact", hessian_floor=1e-16)
        report = boostobj.check_objective(exact, y[:200], raw, mask=check_mask)
        print(
            f"check_objective({name}): {'OK' if report.ok else 'FAILED'}, "
            f"max gradient error {report.gradient_error:.1e}, max Hessian error {report.hessian_error:.1e}"
        )

    params = {"num_class": args.states, "max_depth": 4, "eta": 0.2, "nthread": 2, "base_score": 0.5}
    dtrain = boostobj.xgboost_dmatrix(X[tr], y[tr], mask=m_tr)
    print(f"{'loss':44s} {'masked log-loss':>15s} {'accuracy':>9s} {'mean (state error)^2':>21s}")
    losses["make_loss(ordinal_cost)"].set_params(hessian_kind="positive", hessian_floor=0.05)
    for name, loss in losses.items():
        bst = xgb.train(params, dtrain, args.rounds, obj=boostobj.xgboost_objective(loss))
        proba = boostobj.predict_proba(bst, X[te], mask=m_te)
        logloss = -np.mean(np.log(proba[np.arange(te.size), y[te]]))
        sq = np.mean(np.sum(proba * (np.arange(args.states) - y[te, None]) ** 2, axis=1))
        print(f"{name:44s} {logloss:15.4f} {np.mean(proba.argmax(axis=1) == y[te]):9.4f} {sq:21.4f}")


if __name__ == "__main__":
    main()
