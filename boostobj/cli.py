"""The ``boostobj`` command (also ``python -m boostobj``).

``boostobj bench`` trains the conditional multiclass model with five contenders per
backend (the built-in objective without and with the mask, boostobj's objective, a
per-row Python loop and a vectorised NumPy objective) and reports their speed beside
their model quality::

    boostobj bench --quick                          # under a minute on 2 cores
    boostobj bench --backend xgboost --rows 1000000 --classes 24 --json out.json --plot out.png
    boostobj bench --data digits                    # a bundled data set, full mask (parity)

The table goes to stdout, progress to stderr. Bad options end with a one-line message
on stderr and exit code 2, before any training: among them a workload that cannot fit in
memory and ``--json``/``--plot`` files that cannot be written. An output that still fails
to be written at the end (disk full, folder removed meanwhile) is reported on stderr with
exit code 1; the table is on stdout all the same, and the JSON is saved to a temporary
file instead where possible. This module parses and checks options and writes the output;
the benchmark itself lives in :mod:`boostobj._bench`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from ._threads import MAX_THREADS, check_thread_count

__all__ = ["main", "build_parser"]

#: Defaults of the size options: a full run, and ``--quick``.
PRESETS: dict[str, dict[str, int]] = {
    "full": {"rows": 200_000, "rounds": 20, "repeat": 3, "loop_rows": 20_000},
    "quick": {"rows": 20_000, "rounds": 15, "repeat": 3, "loop_rows": 1_000},
}
#: Default test rows: a quarter of the training rows, at most this many.
MAX_DEFAULT_TEST_ROWS = 100_000
#: Defaults of the other options that size the synthetic data.
SIZES = {"classes": 24, "valid_per_row": 6, "features": 10}
#: Options that size the synthetic data (not accepted with a bundled data set).
TRANSITION_ONLY = ("rows", "test_rows", "classes", "valid_per_row", "features")
#: ``--data`` choices (as in ``boostobj._bench.workloads.DATA_SETS``, not imported for ``--help``).
DATA_SETS = ("transition", "digits", "wine")
#: Default tree depth.
DEPTH = 6
#: Options the backends read as a C ``int`` (LightGBM wraps larger values: 2**31 rounds
#: fail with "num_iterations >= 0", 2**32 + n reads as n).
INT_MAX = 2**31 - 1
#: LightGBM's ``num_leaves`` (``2**depth - 1`` here) may be at most 131072 = 2**17.
MAX_LIGHTGBM_DEPTH = 17
#: Memory a transition run needs, per unit, measured with ``ru_maxrss``/VmHWM on Linux:
#: generating the data peaks at ~41 bytes per (row, class) of all rows (logits,
#: probabilities, their cumulative sum, the dense mask); a fit grows resident memory by
#: ~52 bytes per training (row, class) (``bench/results/cli_*.json``, peak MB); the
#: features are 8 bytes a value; the transition tables 9 bytes per (class, class); and
#: LightGBM allocates its histogram pool up front, 16 bytes per (leaf, feature, bin).
BYTES_PER_ENTRY, BYTES_PER_VALUE, BYTES_PER_CLASS_PAIR, BYTES_PER_HISTOGRAM_BIN = 40, 8, 9, 16
#: LightGBM's default ``max_bin``: at most this many bins per feature.
MAX_BIN = 255


class UsageError(Exception):
    """A bad command line: reported in one line, exit code 2.

    Parameters
    ----------
    message : str
    prog : str
        The (sub)command it concerns.
    """

    def __init__(self, message: str, prog: str = "boostobj bench") -> None:
        super().__init__(message)
        self.prog = prog

    def __str__(self) -> str:
        return f"{self.prog}: error: {self.args[0]} (see {self.prog} --help)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)


def _int_at_least(low: int, high: int | None = None, why: str = "") -> Callable[[str], int]:
    expected = f"an integer >= {low}" if high is None else f"an integer {low}..{high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {expected}; got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"expected {expected}{why}; got {value}")
        return value

    return parse


def _thread_count(text: str) -> int:
    try:
        value: Any = int(text)
    except ValueError:
        value = text  # refused below, with the expected range
    try:
        count = check_thread_count(value, "--threads", allow_default=False)
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--threads: ")) from None
    assert count is not None  # no default without allow_default
    return count


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``boostobj`` argument parser (subcommand ``bench``)."""
    from . import __version__

    parser = _Parser(
        prog="boostobj", description="boostobj: fast custom objectives for XGBoost and LightGBM."
    )
    parser.add_argument("--version", action="version", version=f"boostobj {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    full, quick = PRESETS["full"], PRESETS["quick"]
    bench = commands.add_parser(
        "bench",
        help="training benchmark: built-in objectives vs boostobj vs hand-written objectives",
        description=(
            "Train the conditional multiclass model (each row has its own valid classes) with, per "
            "backend: 1 the built-in objective without the mask (probabilities renormalised over valid "
            "classes), 2 the built-in objective with the mask as a -1e30 margin offset, 3 boostobj's "
            "objective, 4 a per-row Python loop objective (on at most --loop-rows rows), 5 a vectorised "
            "NumPy objective; with --losses also 6 FocalLoss, 7 LabelSmoothingLoss, 8 a make_loss "
            "focal loss with derived derivatives and 9 the cross-entropy as make_loss row functions. "
            "Reports training time, time per round, time inside the objective, peak memory, masked "
            "test log-loss and accuracy, and max |dp| against contender 2."
        ),
        epilog="Options given explicitly override --quick's. Results: table on stdout, progress on stderr.",
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help=f"small workload, under a minute on 2 cores: --rows {quick['rows']:,} --repeat "
        f"{quick['repeat']} --loop-rows {quick['loop_rows']:,}",
    )
    data = bench.add_argument_group("workload")
    data.add_argument(
        "--data",
        choices=DATA_SETS,
        default="transition",
        help="synthetic transitions (boostobj.datasets.make_transition_data, sized by the options "
        "below), or a scikit-learn bundled data set with every class valid, 25%% held out (default: "
        "%(default)s)",
    )
    data.add_argument(
        "--rows", type=_int_at_least(20), help=f"training rows (default: {full['rows']:,})", metavar="N"
    )
    data.add_argument(
        "--test-rows",
        type=_int_at_least(1),
        metavar="N",
        help=f"test rows (default: rows / 4, at most {MAX_DEFAULT_TEST_ROWS:,})",
    )
    data.add_argument(
        "--classes", type=_int_at_least(2), metavar="K", help=f"classes (default: {SIZES['classes']})"
    )
    data.add_argument(
        "--valid-per-row",
        type=_int_at_least(1),
        metavar="V",
        help=f"valid classes per row, at most K (default: {SIZES['valid_per_row']})",
    )
    data.add_argument(
        "--features",
        type=_int_at_least(2),
        metavar="F",
        help=f"feature columns (default: {SIZES['features']})",
    )
    data.add_argument(
        "--seed", type=_int_at_least(0), default=0, help="seed of the data, >= 0 (default: %(default)s)"
    )
    train = bench.add_argument_group("training")
    train.add_argument(
        "--backend", choices=["xgboost", "lightgbm", "both"], default="both", help="(default: %(default)s)"
    )
    in_c = " (the backends read it as a C int)"
    train.add_argument(
        "--rounds",
        type=_int_at_least(1, INT_MAX, in_c),
        metavar="R",
        help=f"boosting rounds (default: {full['rounds']})",
    )
    train.add_argument(
        "--depth",
        type=_int_at_least(1, INT_MAX, in_c),
        help=f"tree depth, at most {MAX_LIGHTGBM_DEPTH} with LightGBM (default: {DEPTH})",
    )
    train.add_argument(
        "--learning-rate", type=_positive_float, default=0.3, metavar="ETA", help="(default: %(default)s)"
    )
    train.add_argument(
        "--threads",
        type=_thread_count,
        metavar="T",
        help=f"threads of the backend and of boostobj's kernels, 1..{MAX_THREADS} (default: "
        "boostobj.get_num_threads(), i.e. OMP_NUM_THREADS or all cores)",
    )
    train.add_argument(
        "--repeat",
        type=_int_at_least(1),
        metavar="N",
        help=f"timed runs of each contender, interleaved; medians are reported (default: {full['repeat']})",
    )
    train.add_argument(
        "--loop-rows",
        type=_int_at_least(1),
        metavar="N",
        help="training rows of the per-row Python loop contender, a subsample; contender 2 is also "
        f"trained on them (as 2s) to compare with (default: {full['loop_rows']:,})",
    )
    train.add_argument(
        "--losses",
        action="store_true",
        help="also time boostobj's other losses: 6 FocalLoss(gamma=2), 7 LabelSmoothingLoss(0.1), "
        "8 the focal loss written with make_loss (derived derivatives), 9 the cross-entropy as "
        "make_loss margins-form row functions (complex-step derivatives)",
    )
    out = bench.add_argument_group("output")
    out.add_argument("--json", metavar="PATH", help="write the results as JSON")
    out.add_argument(
        "--plot",
        metavar="PATH",
        help="write a PNG of time per round and test log-loss per contender (needs matplotlib: "
        "pip install 'boostobj[plot]')",
    )
    return parser


def _check(args: argparse.Namespace) -> None:
    """Checks argparse cannot make; fills the defaults that depend on other options.

    With a bundled data set the size options stay None (they do not apply).
    """
    preset = dict(PRESETS["quick" if args.quick else "full"])
    sized_by = [name for name in (*TRANSITION_ONLY, "depth") if getattr(args, name) is not None]
    if args.depth is None:
        args.depth = DEPTH
    if args.data != "transition":
        given = [name for name in TRANSITION_ONLY if getattr(args, name) is not None]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise UsageError(f"{option}: applies to --data transition only, not to --data {args.data}")
        del preset["rows"]
    else:
        for name, value in SIZES.items():
            if getattr(args, name) is None:
                setattr(args, name, value)
        if args.valid_per_row > args.classes:
            raise UsageError(
                f"--valid-per-row: expected at most --classes ({args.classes}); got {args.valid_per_row}"
            )
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.data == "transition":
        if args.test_rows is None:
            args.test_rows = max(1, min(args.rows // 4, MAX_DEFAULT_TEST_ROWS))
        args.loop_rows = min(args.loop_rows, args.rows)
    backends = ["xgboost", "lightgbm"] if args.backend == "both" else [args.backend]
    if "lightgbm" in backends and args.depth > MAX_LIGHTGBM_DEPTH:
        raise UsageError(
            f"--depth: expected at most {MAX_LIGHTGBM_DEPTH} with --backend {args.backend} (LightGBM's "
            f"num_leaves = 2**depth - 1 may be at most 131072); got {args.depth}"
        )
    if args.data == "transition":
        _check_memory(args, "lightgbm" in backends, sized_by)
    for backend in backends:
        _require(backend, f"--backend {args.backend}: needs the {backend} package (pip install {backend})")
    if args.plot:
        _require("matplotlib", "--plot: needs matplotlib (pip install 'boostobj[plot]')")
        _check_plot_format(args.plot)
    for option in ("json", "plot"):
        path = getattr(args, option)
        if path is not None:
            _check_output(option, path)
    if args.json and args.plot and args.plot != os.devnull:
        if os.path.realpath(args.json) == os.path.realpath(args.plot):
            raise UsageError(f"--plot: expected another file than --json's; got the same, {args.plot!r}")
    args.backends = tuple(backends)


def _memory_needed(rows: int, test_rows: int, classes: int, features: int, depth: int, lightgbm: bool) -> int:
    """About how many bytes a transition run needs at its peak (see ``BYTES_PER_ENTRY``)."""
    all_rows = rows + test_rows
    need = (
        BYTES_PER_ENTRY * all_rows * classes
        + BYTES_PER_VALUE * all_rows * features
        + BYTES_PER_CLASS_PAIR * classes**2
    )
    if lightgbm:
        need += BYTES_PER_HISTOGRAM_BIN * (2**depth - 1) * features * min(MAX_BIN, rows)
    return need


def _memory_available() -> int | None:
    """This machine's memory in bytes (its physical memory, or a lower cgroup limit); None if unknown."""
    total = None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX, or not reported
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                limit = int(fh.read().strip())  # "max": no limit (ValueError)
        except (OSError, ValueError):
            continue
        total = limit if total is None else min(total, limit)
    return total if total and total > 0 else None


def _check_memory(args: argparse.Namespace, lightgbm: bool, sized_by: list[str]) -> None:
    """Refuse, before any work, a transition workload larger than this machine's memory."""
    have = _memory_available()
    if have is None:
        return
    need = _memory_needed(args.rows, args.test_rows, args.classes, args.features, args.depth, lightgbm)
    if need > have:
        unrelated = {"valid_per_row"} if lightgbm else {"valid_per_row", "depth"}
        named = [name for name in sized_by if name not in unrelated] or ["rows"]
        options = ", ".join("--" + name.replace("_", "-") for name in named)
        backend = ", LightGBM's histograms" if lightgbm else ""
        raise UsageError(
            f"{options}: expected a workload that fits in this machine's {have / 2**30:,.1f} GiB of "
            f"memory; got {args.rows:,} + {args.test_rows:,} test rows x {args.classes:,} classes x "
            f"{args.features:,} features, depth {args.depth}{backend}: about {need / 2**30:,.1f} GiB"
        )


def _check_plot_format(path: str) -> None:
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise UsageError(
            f"--plot: expected a .png file (or another format matplotlib writes: "
            f"{', '.join(sorted(formats))}); got {path!r}"
        )


def _check_output(option: str, path: str) -> None:
    """Refuse, before any work, an output path that cannot be written.

    Opening the file for appending (without blocking, for a pipe) proves it can be written
    and changes nothing in an existing file; a file it creates is removed again.
    """
    if not path:
        raise UsageError(f"--{option}: expected a file path; got ''")
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        raise UsageError(f"--{option}: expected a file path; got a folder, {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--{option}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK) and not os.path.exists(path):
        raise UsageError(f"--{option}: folder {folder!r} is not writable")
    existed = os.path.lexists(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as error:
        raise UsageError(f"--{option}: cannot write {path!r} ({error.strerror})") from None
    os.close(fd)
    if not existed:
        os.remove(path)


def _require(module: str, message: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        raise UsageError(message) from None
    except OSError as error:  # installed, but a shared library it needs is missing
        raise UsageError(f"{message.split(':')[0]}: {module} cannot be loaded ({error})") from None


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ._bench.report import format_table, write_plot
    from ._bench.runner import BenchConfig, run_bench
    from ._threads import get_num_threads

    config = BenchConfig(
        data=args.data,
        backends=args.backends,
        rows=args.rows,
        test_rows=args.test_rows,
        classes=args.classes,
        valid_per_row=args.valid_per_row,
        features=args.features,
        rounds=args.rounds,
        depth=args.depth,
        learning_rate=args.learning_rate,
        threads=args.threads or get_num_threads(),
        repeat=args.repeat,
        loop_rows=args.loop_rows,
        seed=args.seed,
        losses=args.losses,
    )
    start = time.perf_counter()
    report = run_bench(config, progress=_progress)
    report = {
        "command": shlex.join(["boostobj", *argv]),
        "wall_seconds": time.perf_counter() - start,
        **report,
    }
    print(format_table(report), flush=True)
    failed = False
    if args.json:
        text = json.dumps(report, indent=2) + "\n"
        failed |= not _write("--json", args.json, lambda path: _write_text(path, text), text)
    if args.plot:
        failed |= not _write("--plot", args.plot, lambda path: write_plot(report, path))
    return 1 if failed else 0


def _write_text(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _write(option: str, path: str, write: Callable[[str], None], text: str | None = None) -> bool:
    """Write an output; on failure say so (with where ``text`` went instead) and return False."""
    try:
        write(path)
    except OSError as error:
        where = "the results are in the table above"
        if text is not None:
            try:
                fd, fallback = tempfile.mkstemp(prefix="boostobj-bench-", suffix=".json")
                with os.fdopen(fd, "w") as fh:
                    fh.write(text)
                where += f" and in {fallback}"
            except OSError:
                pass
        reason = error.strerror or str(error)
        message = f"{option}: could not write {path!r} ({reason}); {where}"
        print(f"boostobj bench: error: {message}", file=sys.stderr)
        return False
    _progress(f"wrote {path}")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``boostobj`` command; returns the exit code.

    0: done; 1: an output could not be written at the end (the table is on stdout);
    2: bad options (nothing was run); 130: interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # reported by the subcommand they were given to
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)}", f"boostobj {args.command}")
        _check(args)
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        return _bench(args, argv)
    except KeyboardInterrupt:
        print("boostobj bench: interrupted", file=sys.stderr)
        return 130
