"""Render a benchmark report (:func:`~boostobj._bench.runner.run_bench`'s dict): a text table, a PNG."""

from __future__ import annotations

from typing import Any

__all__ = ["format_table", "write_plot"]

#: (header, result key, format) of the table's columns; the first two are left-aligned.
COLUMNS = (
    ("#", "id", "{}"),
    ("contender", "label", "{}"),
    ("rows", "train_rows", "{:,}"),
    ("train s", "train_seconds", "{:.2f}"),
    ("s/round", "seconds_per_round", "{:.3f}"),
    ("obj ms/rd", "objective_ms_per_round", "{:.1f}"),
    ("obj %", "objective_share", "{:.0%}"),
    ("ns/entry", "objective_ns_per_entry", "{:.1f}"),
    ("vs 2", "ratio_vs_reference", "{:.3f}"),
    ("range", "ratio_runs", "range"),
    ("peak MB", "peak_memory_mb", "{:.0f}"),
    ("logloss", "test_log_loss", "{:.4f}"),
    ("accuracy", "test_accuracy", "{:.3f}"),
    ("max|dp| test", "max_dp_test", "{:.0e}"),
    ("max|dp| train", "max_dp_train", "{:.0e}"),
)


def _text(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if fmt == "range":  # the per-run ratios' min-max
        return "-" if len(value) < 2 else f"{min(value):.2f}-{max(value):.2f}"
    if fmt == "{:.0e}" and value == 0:
        return "0"
    return fmt.format(value)


def _cell(result: dict[str, Any], key: str, fmt: str) -> str:
    if key == "ratio_runs" and result["id"] == result["reference"]:
        return "-"  # a reference against itself: 1 every time
    return _text(result[key], fmt)


def _render(cells: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]


def format_table(report: dict[str, Any]) -> str:
    """The results as a text table, one block per backend, with the settings and footnotes."""
    config = report["config"]
    lines = [
        f"boostobj bench · {report['data']['description']}",
        f"{config['rounds']} rounds, depth {config['depth']}, learning rate {config['learning_rate']:g}, "
        f"{config['threads']} threads · median of {config['repeat']} interleaved run"
        f"{'s' if config['repeat'] > 1 else ''} · {report['machine']['processor']}, "
        f"{report['machine']['cores']} cores",
    ]
    header = [name for name, _, _ in COLUMNS]
    subsampled = False
    for backend in config["backends"]:
        rows = [r for r in report["results"] if r["backend"] == backend]
        subsampled |= any(r["reference"] == "2s" for r in rows)
        table = _render([header] + [[_cell(r, key, fmt) for _, key, fmt in COLUMNS] for r in rows])
        lines += ["", backend, *_headline(rows, backend), table[0], "-" * len(table[0]), *table[1:]]
    compared = report["results"][0]["train_rows_compared"]
    notes = [
        "",
        "* trained without the mask; probabilities renormalised over each row's valid classes.",
        "vs 2: training time / contender 2's (median of the per-run ratios; range: their min-max, the "
        "noise); obj: time inside the objective callable",
        "('-': built-in, in C++); logloss, accuracy: masked, on the test set.",
        "max|dp|: largest difference of a probability from contender 2's, on the test set and on "
        f"{compared:,} training rows;",
        "a split threshold tied with another that sends the same training rows each way, broken "
        "differently by",
        "a 1-ulp gradient difference, shows on the test set only.",
        f"peak MB: {report['memory_method']}.",
    ]
    if config.get("losses"):
        notes.append(
            "6-12: other boostobj losses (--losses); they train other models, so no max|dp|; 'vs 2' is "
            "their cost in time; ns/entry is the objective's time per round over the margins it got."
        )
    if subsampled:
        notes.append(
            f"2s, 4: trained on a subsample of {config['loop_rows']:,} rows (--loop-rows); 4's 'vs 2' "
            "and max|dp| compare with 2s."
        )
    return "\n".join(lines + notes)


def _times(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def _headline(rows: list[dict[str, Any]], backend: str) -> list[str]:
    """What a user came for: boostobj's training time against the built-in with the same mask,
    with its spread, and its objective's cost per entry against the NumPy and per-row loops."""
    by_id = {r["id"]: r for r in rows}
    if "3" not in by_id or by_id["3"]["reference"] != "2":
        return []
    mine = by_id["3"]
    runs = mine["ratio_runs"]
    spread = f" (range {min(runs):.2f}-{max(runs):.2f} over {len(runs)} runs)" if len(runs) > 1 else ""
    builtin = "multi:softprob" if backend == "xgboost" else "multiclass"
    lines = [
        f"boostobj (3) trains in {mine['ratio_vs_reference']:.3f}x the time of {builtin} with the mask "
        f"as an offset (2){spread}."
    ]
    per_entry = mine["objective_ns_per_entry"]
    others = [
        f"{r['objective_ns_per_entry']:.1f} ({_times(r['objective_ns_per_entry'] / per_entry)}) for the "
        f"{name} ({r['id']})"
        for r, name in ((by_id.get("5"), "NumPy version"), (by_id.get("4"), "per-row Python loop"))
        if r is not None and r["objective_ns_per_entry"] and per_entry
    ]
    if per_entry and others:
        lines.append(
            f"Its objective costs {per_entry:.1f} ns per (row, class) entry, against "
            + " and ".join(others)
            + "."
        )
    return lines + [""]


def write_plot(report: dict[str, Any], path: str) -> None:
    """A PNG: seconds per round and masked test log-loss of each contender, per backend.

    Needs matplotlib (the ``plot`` extra); imported here only.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    backends = report["config"]["backends"]
    fig, axes = plt.subplots(
        len(backends), 2, figsize=(11, 1.2 + 0.5 * len(report["results"])), squeeze=False
    )
    for row, backend in enumerate(backends):
        results = [r for r in report["results"] if r["backend"] == backend][::-1]
        labels = [
            f"{r['id']}  {r['label']}" + (f" ({r['train_rows']:,} rows)" if r["reference"] == "2s" else "")
            for r in results
        ]
        colors = ["tab:gray" if r["reference"] == "2s" else "tab:blue" for r in results]
        for col, (key, title, fmt) in enumerate(
            (
                ("seconds_per_round", "seconds per round", "{:.3g}"),
                ("test_log_loss", "masked test log-loss", "{:.4f}"),
            )
        ):
            ax = axes[row, col]
            values = [r[key] for r in results]
            bars = ax.barh(range(len(results)), values, color=colors)
            ax.bar_label(bars, [fmt.format(v) for v in values], padding=2, fontsize=8)
            ax.set_yticks(range(len(results)), labels if col == 0 else [""] * len(results))
            ax.set_xlim(0, 1.2 * max(values))
            ax.set_title(f"{backend}: {title}", fontsize=10)
    fig.suptitle(f"{report['data']['description']}; gray: trained on a subsample (--loop-rows)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
