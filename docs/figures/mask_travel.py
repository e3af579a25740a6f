"""Draw docs/_static/mask-travel.png, the figure of docs/how-masks-travel.md.

Regenerate after editing (needs matplotlib, in the ``test`` and ``plot`` extras)::

    python docs/figures/mask_travel.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static" / "mask-travel.png"
BLUE, GREEN, GREY, RED = "#dbe9f6", "#e3f1df", "#f2f2f2", "#c0392b"


def box(ax, x, y, w, h, title, lines, color):
    ax.add_patch(
        FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08", fc=color, ec="#555", lw=1)
    )
    ax.text(x + 0.12, y + h - 0.14, title, ha="left", va="top", fontsize=10.5, weight="bold")
    ax.text(x + 0.12, y + h - 0.48, "\n".join(lines), ha="left", va="top", fontsize=9, linespacing=1.45)


def arrow(ax, start, end, text=None, rad=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            lw=1.3,
            color="#333",
            connectionstyle=f"arc3,rad={rad}",
        )
    )
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.12, text, ha="center", fontsize=8.5)


def offset_grid(ax, x, y, cell=0.44):
    """A small (rows x classes) start-margin matrix: 0 on valid, -1e30 on invalid."""
    valid = [[1, 1, 0, 0, 1], [0, 1, 1, 0, 0], [1, 0, 0, 1, 1], [0, 0, 1, 1, 0]]
    for i, row in enumerate(valid):
        for j, ok in enumerate(row):
            ax.add_patch(
                Rectangle(
                    (x + j * cell, y - i * cell), cell, cell, fc="white" if ok else "#f5c6c0", ec="#888"
                )
            )
            ax.text(
                x + (j + 0.5) * cell,
                y - i * cell + cell / 2,
                "b" if ok else "-1e30",
                ha="center",
                va="center",
                fontsize=7.5,
                color="#333" if ok else RED,
            )
    ax.text(x + 2.5 * cell, y + cell + 0.08, "classes", ha="center", fontsize=8)
    ax.text(x - 0.1, y - 1.5 * cell + cell / 2, "rows", ha="right", va="center", fontsize=8, rotation=90)


def main() -> None:
    fig, ax = plt.subplots(figsize=(13, 7.2))
    ax.set_xlim(0, 13)
    ax.set_ylim(0, 7.2)
    ax.axis("off")

    box(
        ax,
        0.2,
        4.3,
        3.0,
        2.7,
        "Your mask, any form",
        [
            "lists of valid classes per row",
            "ClassMask.from_invalid(...)",
            "boolean (n, K) array",
            "DataFrame, column per class",
            "scipy sparse (n, K)",
            "TransitionMask(column, allowed)",
        ],
        GREY,
    )
    box(
        ax,
        0.2,
        1.6,
        3.0,
        2.1,
        "ClassMask.coerce",
        [
            "one parser, one canonical form",
            "validated: K, rows, labels,",
            "no empty row, no ambiguity",
        ],
        GREY,
    )
    arrow(ax, (1.7, 4.3), (1.7, 3.7))

    box(
        ax,
        3.8,
        1.6,
        3.6,
        5.4,
        "Start margins of each data set",
        [
            "offset: 0 on valid classes,",
            "-1e30 on invalid ones,",
            "plus the intercept b (optional)",
            "",
            "XGBoost: DMatrix base_margin",
            "LightGBM: Dataset init_score",
            "(xgboost_dmatrix, lightgbm_dataset,",
            " boostobj.dask.start_margins)",
        ],
        BLUE,
    )
    offset_grid(ax, 4.5, 3.7)
    arrow(ax, (3.2, 2.65), (3.8, 2.65))

    right = [
        (
            5.8,
            "Training set",
            [
                "objective reads valid = margin > -1e29:",
                "softmax over valid classes; invalid:",
                "gradient 0, Hessian floor",
            ],
        ),
        (
            4.5,
            "Eval sets",
            [
                "each its own offset: the masked metric",
                "(xgboost_metric / lightgbm_metric)",
                "drives early stopping",
            ],
        ),
        (
            3.2,
            "CV folds",
            [
                "rows split with their offsets:",
                "xgboost.cv, lightgbm.cv, scikit-learn",
                "splitters (a ClassMask splits by rows)",
            ],
        ),
        (
            1.9,
            "Dask partitions",
            ["each partition's offset built and", "checked on the worker that holds it", "(boostobj.dask)"],
        ),
    ]
    for y, title, lines in right:
        box(ax, 8.2, y, 4.6, 1.2, title, lines, GREEN)
        arrow(ax, (7.4, 4.4), (8.2, y + 0.6), rad=0.0)

    box(
        ax,
        3.8,
        0.1,
        9.0,
        1.2,
        "Prediction and serving",
        [
            "predict_proba(booster, X, mask=..., init_score=...) adds the offset again: "
            "exactly 0 on invalid classes;",
            "export_model compiles a TransitionMask into one extra tree per class, "
            "so plain XGBoost/LightGBM serve it",
        ],
        "#fbf0d9",
    )
    arrow(ax, (5.6, 1.6), (5.6, 1.3))

    ax.text(
        0.2,
        0.55,
        "A mask kept in a closure\nbelongs to the training rows\nonly: eval sets, CV folds\n"
        "and Dask partitions would\nget the wrong rows' mask.",
        fontsize=8.5,
        color=RED,
        va="center",
    )
    fig.savefig(OUT, dpi=110, bbox_inches="tight")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
