"""Run the training benchmark: every contender on every backend, repetitions interleaved.

The result is a JSON-ready dict (the ``--json`` output of ``boostobj bench``); its keys
are documented in :func:`run_bench`.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._threads import get_num_threads, set_num_threads
from .contenders import BY_KEY, CONTENDERS, LOSS_CONTENDERS, Fit, Settings, fit
from .measure import MEMORY_METHOD
from .workloads import Workload, make_workload

__all__ = ["BenchConfig", "Run", "plan_runs", "run_bench"]

#: Rows and rounds of the untimed warm-up fits (numba kernels loaded, backends started).
WARMUP_ROWS, WARMUP_ROUNDS = 300, 2


@dataclass(frozen=True)
class BenchConfig:
    """Everything ``boostobj bench`` was asked to do (validated by the CLI).

    Attributes
    ----------
    data : {"transition", "digits", "wine"}
    backends : tuple of {"xgboost", "lightgbm"}
    rows, test_rows, classes, valid_per_row, features : int or None
        Size of the transition data (None for the bundled data sets).
    rounds, depth : int
    learning_rate : float
    threads : int
        Backend threads (``nthread`` / ``num_threads``) and boostobj's kernel threads.
    repeat : int
        Timed runs of each contender, interleaved.
    loop_rows : int
        Training rows of the per-row Python loop contender (4), a subsample; when fewer
        than the training rows, contender 2 is also trained on them (as "2s") to compare
        with.
    seed : int
    losses : bool
        Also time boostobj's other losses (contenders 6 to 12).
    """

    data: str
    backends: tuple[str, ...]
    rows: int | None
    test_rows: int | None
    classes: int | None
    valid_per_row: int | None
    features: int | None
    rounds: int
    depth: int
    learning_rate: float
    threads: int
    repeat: int
    loop_rows: int
    seed: int
    losses: bool = False

    @property
    def settings(self) -> Settings:
        return Settings(self.rounds, self.depth, self.learning_rate, self.threads)


@dataclass(frozen=True)
class Run:
    """One row of the results: a contender trained on some rows.

    ``id`` is the contender's number, or ``"2s"`` for contender 2 on the loop's
    subsample; ``reference`` is the id of the contender-2 run on the same rows, which
    the ratio and ``max |dp|`` compare with.
    """

    id: str
    key: str
    workload: Workload
    reference: str


def plan_runs(workload: Workload, loop_rows: int, losses: bool = False) -> list[Run]:
    """The runs of one backend, in table order: 1, 2, 3, (2s,) 4, 5 (and 6 to 12 with ``losses``)."""
    runs = [Run(c.number, c.key, workload, "2") for c in CONTENDERS if c.key != "python_loop"]
    subsample = workload.head(loop_rows)
    loop_ref = "2" if subsample is workload else "2s"
    extra = [Run("4", "python_loop", subsample, loop_ref)]
    if loop_ref == "2s":
        extra.insert(0, Run("2s", "builtin_masked", subsample, "2s"))
    others = [Run(c.number, c.key, workload, "2") for c in LOSS_CONTENDERS] if losses else []
    return runs[:3] + extra + runs[3:] + others


def _warm_up(backend: str, workload: Workload, config: BenchConfig) -> None:
    """Untimed tiny fits of every contender: loads numba's kernels and the backend."""
    small = workload.head(min(WARMUP_ROWS, workload.n_rows))
    settings = Settings(WARMUP_ROUNDS, config.depth, config.learning_rate, config.threads)
    for contender in CONTENDERS + (LOSS_CONTENDERS if config.losses else ()):
        fit(contender.key, backend, small, settings, score=False)


def run_bench(config: BenchConfig, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmark.

    Parameters
    ----------
    config : BenchConfig
    progress : callable, optional
        Called with one line of text as the run advances (data built, warm-up done,
        each fit finished).

    Returns
    -------
    dict
        ``date``, ``machine`` (``platform``, ``processor``, ``cores``), ``versions``,
        ``config`` (the :class:`BenchConfig` fields), ``data`` (``description``,
        ``train_rows``, ``test_rows``, ``classes``, ``mean_valid_per_row``),
        ``memory_method`` and ``results``: one dict per (backend, run) with ``backend``,
        ``id``, ``contender``, ``label``, ``reference``, ``train_rows``, ``rounds``,
        ``train_seconds`` (median), ``train_seconds_runs``, ``seconds_per_round``,
        ``objective_ms_per_round`` and ``objective_share`` (None for the built-ins),
        ``ratio_vs_reference`` (median of the per-repetition ratios of training times),
        ``ratio_runs`` (those ratios, one per repetition: their spread is the noise),
        ``objective_ns_per_entry`` (the objective's time per round over the number of
        margins it got; None for the built-ins),
        ``peak_memory_mb`` (largest over repetitions; None where unmeasurable),
        ``test_log_loss``, ``test_accuracy``, ``max_dp_test`` and ``max_dp_train`` (the
        largest difference of a probability from the reference's, on the test rows and on
        the first ``train_rows_compared`` training rows).
    """
    say = progress or (lambda line: None)
    start = time.perf_counter()
    workload = make_workload(
        config.data,
        rows=config.rows,
        test_rows=config.test_rows,
        classes=config.classes,
        valid_per_row=config.valid_per_row,
        features=config.features,
        seed=config.seed,
    )
    say(f"data: {workload.describe()}")
    runs = plan_runs(workload, config.loop_rows, config.losses)
    results = []
    threads_before = get_num_threads()
    set_num_threads(config.threads)
    try:
        for backend in config.backends:
            _warm_up(backend, workload, config)
            say(f"{backend}: warmed up; {config.repeat} x {len(runs)} timed fits")
            fits: dict[str, list[Fit]] = {run.id: [] for run in runs}
            done = 0
            for repetition in range(config.repeat):
                # interleaved; every other repetition in reverse order, so that drifts in
                # the machine's speed hit every contender alike
                order = runs if repetition % 2 == 0 else runs[::-1]
                for run in order:
                    # the models are the same in every repetition: predict and score once
                    result = fit(run.key, backend, run.workload, config.settings, score=repetition == 0)
                    fits[run.id].append(result)
                    done += 1
                    say(
                        f"[{done}/{config.repeat * len(runs)}] {backend} {run.id:>2} "
                        f"{_label(run, backend)} ({run.workload.n_rows:,} rows): {result.seconds:.2f} s"
                    )
            results.extend(_summarise(run, backend, fits) for run in runs)
    finally:
        set_num_threads(threads_before)
    say(f"done in {time.perf_counter() - start:.1f} s")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": _machine(config.threads),
        "versions": _versions(config.backends),
        "config": {**asdict(config), "backends": list(config.backends)},
        "data": {
            "description": workload.describe(),
            "train_rows": workload.n_rows,
            "test_rows": len(workload.y_test),
            "classes": workload.n_classes,
            "mean_valid_per_row": workload.mean_valid,
        },
        "memory_method": MEMORY_METHOD,
        "results": results,
    }


def _label(run: Run, backend: str) -> str:
    return BY_KEY[run.key].describe(backend)


def _summarise(run: Run, backend: str, fits: dict[str, list[Fit]]) -> dict[str, Any]:
    mine, ref = fits[run.id], fits[run.reference]
    seconds = np.array([f.seconds for f in mine])
    rounds = mine[0].rounds
    median = float(np.median(seconds))
    objective = None
    share = None
    per_entry = None
    if mine[0].objective_seconds is not None:
        per_fit = np.array([f.objective_seconds for f in mine])
        objective = float(np.median(per_fit / rounds) * 1e3)
        share = float(np.median(per_fit / seconds))
        if mine[0].objective_entries:
            per_entry = float(np.median(per_fit / rounds / mine[0].objective_entries) * 1e9)
    ratios = seconds / np.array([f.seconds for f in ref])  # per repetition: A and B ran side by side
    peaks = [f.peak_bytes for f in mine]
    scores, ref_scores = mine[0].scores, ref[0].scores
    other_loss = run.key in {c.key for c in LOSS_CONTENDERS}
    assert scores is not None and ref_scores is not None
    return {
        "backend": backend,
        "id": run.id,
        "contender": run.key,
        "label": _label(run, backend),
        "reference": run.reference,
        "train_rows": run.workload.n_rows,
        "rounds": rounds,
        "train_seconds": median,
        "train_seconds_runs": seconds.tolist(),
        "seconds_per_round": median / rounds,
        "objective_ms_per_round": objective,
        "objective_share": share,
        "objective_ns_per_entry": per_entry,
        "ratio_vs_reference": float(np.median(ratios)),
        "ratio_runs": ratios.tolist(),
        "peak_memory_mb": None if None in peaks else max(peaks) / 2**20,
        "test_log_loss": scores.log_loss,
        "test_accuracy": scores.accuracy,
        # another loss trains another model: no probability difference to report
        "max_dp_test": None if other_loss else float(np.abs(scores.proba_test - ref_scores.proba_test).max()),
        "max_dp_train": None
        if other_loss
        else float(np.abs(scores.proba_train - ref_scores.proba_train).max()),
        "train_rows_compared": len(scores.proba_train),
    }


def _machine(threads: int) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "threads": threads,
        "python": sys.version.split()[0],
    }


def _cpu_model() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions(backends: tuple[str, ...]) -> dict[str, str]:
    import numba

    from .. import __version__

    versions = {"boostobj": __version__, "numpy": np.__version__, "numba": numba.__version__}
    for backend in backends:
        versions[backend] = __import__(backend).__version__
    return versions
