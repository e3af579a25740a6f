"""The ``boostobj`` command (also ``python -m boostobj``).

``boostobj bench`` trains the conditional multiclass model with five contenders per
backend (the built-in objective without and with the mask, boostobj's objective, a
per-row Python loop and a vectorised NumPy objective) and reports their speed beside
their model quality::

    boostobj bench --quick                          # under a minute on 2 cores
    boostobj bench --backend xgboost --rows 1000000 --classes 24 --json out.json --plot out.png
    boostobj bench --data digits                    # a bundled data set, full mask (parity)

The table goes to stdout, progress to stderr. Bad options end with a one-line message
on stderr and exit code 2. This module parses and checks options and writes the
output; the benchmark itself lives in :mod:`boostobj._bench`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

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


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}; got {value}")
        return value

    return parse


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
    data.add_argument("--seed", type=int, default=0, help="seed of the data (default: %(default)s)")
    train = bench.add_argument_group("training")
    train.add_argument(
        "--backend", choices=["xgboost", "lightgbm", "both"], default="both", help="(default: %(default)s)"
    )
    train.add_argument(
        "--rounds", type=_int_at_least(1), metavar="R", help=f"boosting rounds (default: {full['rounds']})"
    )
    train.add_argument("--depth", type=_int_at_least(1), default=6, help="tree depth (default: %(default)s)")
    train.add_argument(
        "--learning-rate", type=_positive_float, default=0.3, metavar="ETA", help="(default: %(default)s)"
    )
    train.add_argument(
        "--threads",
        type=_int_at_least(1),
        metavar="T",
        help="threads of the backend and of boostobj's kernels (default: boostobj.get_num_threads(), "
        "i.e. OMP_NUM_THREADS or all cores)",
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
    for backend in backends:
        _require(backend, f"--backend {args.backend}: needs the {backend} package (pip install {backend})")
    if args.plot:
        _require("matplotlib", "--plot: needs matplotlib (pip install 'boostobj[plot]')")
    for option in ("json", "plot"):
        path = getattr(args, option)
        if path is not None:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise UsageError(f"--{option}: folder {folder!r} does not exist")
            if not os.access(folder, os.W_OK):
                raise UsageError(f"--{option}: folder {folder!r} is not writable")
    args.backends = tuple(backends)


def _require(module: str, message: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        raise UsageError(message) from None
    except OSError as error:  # installed, but a shared library it needs is missing
        raise UsageError(f"{message.split(':')[0]}: {module} cannot be loaded ({error})") from None


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _bench(args: argparse.Namespace, argv: Sequence[str]) -> None:
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
    print(format_table(report))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")
        _progress(f"wrote {args.json}")
    if args.plot:
        write_plot(report, args.plot)
        _progress(f"wrote {args.plot}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``boostobj`` command; returns the exit code (0 ok, 2 bad options)."""
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
        _bench(args, argv)
    except KeyboardInterrupt:
        print("boostobj bench: interrupted", file=sys.stderr)
        return 130
    return 0
