"""The larger ``boostobj bench`` runs, stored under ``bench/results/``.

Each configuration runs ``python -m boostobj bench`` in a fresh process and writes
``bench/results/cli_<name>.txt`` (the exact command, then the table), ``cli_<name>.json``
(``--json``: every measurement, the machine and the versions) and, when matplotlib is
installed, ``cli_<name>.png`` (``--plot``). Progress goes to stderr as it runs.

    python bench/run_large.py                       # all configurations (~30 min on 2 cores)
    python bench/run_large.py --only n1M_K24        # one of them
    python bench/run_large.py --backend xgboost     # other options go to boostobj bench
    python bench/run_large.py --small --out /tmp/b  # the same on small sizes, to check the script

Configurations: n = 1,000,000 rows, K = 24 classes, 6 valid per row (the README's kernel
benchmark shape); n = 200,000, K = 100, 10 valid per row. Both with the CLI's defaults
otherwise: 20 rounds, depth 6, learning rate 0.3, 3 interleaved repetitions, the Python
loop on 20,000 rows, all cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

CONFIGS = {
    "n1M_K24": ["--rows", "1000000", "--classes", "24", "--valid-per-row", "6"],
    "n200k_K100": ["--rows", "200000", "--classes", "100", "--valid-per-row", "10"],
}
#: With --small: overrides that make every configuration run in seconds.
SMALL = ["--rows", "2000", "--rounds", "2", "--repeat", "1", "--loop-rows", "200"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(CONFIGS), action="append", help="run only this one")
    parser.add_argument("--small", action="store_true", help="small sizes (checks the script)")
    parser.add_argument(
        "--out", type=Path, help=f"results folder (default: {RESULTS}; required with --small)"
    )
    args, passthrough = parser.parse_known_args(argv)
    if args.small and args.out is None:
        parser.error("--small needs --out (small results do not belong in bench/results/)")
    out = (args.out or RESULTS).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # run from the repository root, so that the stored commands name bench/results/... as given
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    plot = importlib.util.find_spec("matplotlib") is not None
    for name in args.only or CONFIGS:
        bench_args = [*CONFIGS[name], *(SMALL if args.small else []), *passthrough]
        outputs = ["--json", str(shown / f"cli_{name}.json")]
        if plot:
            outputs += ["--plot", str(shown / f"cli_{name}.png")]
        command = ["boostobj", "bench", *bench_args, *outputs]
        print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "boostobj", "bench", *bench_args, *outputs],
            stdout=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0:
            print(f"{name}: boostobj bench failed (exit code {result.returncode})", file=sys.stderr)
            return result.returncode
        seconds = time.perf_counter() - start
        header = f"$ {shlex.join(command)}\n# {time.strftime('%Y-%m-%d %H:%M')}, {seconds:.0f} s wall\n\n"
        (out / f"cli_{name}.txt").write_text(header + result.stdout)
        print(result.stdout, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
