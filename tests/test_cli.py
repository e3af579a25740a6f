"""The ``boostobj bench`` command: runs on every backend and data set, writes the documented
JSON and a PNG, and turns each bad option into a one-line error with exit code 2.

Tiny sizes only; no timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from boostobj import cli
from boostobj._threads import MAX_THREADS
from boostobj.cli import main

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
TINY = ["--rounds", "3", "--repeat", "1"]
IDS = ["1", "2", "3", "2s", "4", "5"]  # 2s: contender 2 on the Python loop's subsample
LOSS_IDS = {
    "6": "focal",
    "7": "label_smoothing",
    "8": "make_loss_focal",
    "9": "make_loss_rows",
    "10": "grouped",
    "11": "choice",
    "12": "multilabel",
}
TOP_KEYS = {
    "command",
    "wall_seconds",
    "date",
    "machine",
    "versions",
    "config",
    "data",
    "memory_method",
    "results",
}
RESULT_KEYS = {
    "backend",
    "id",
    "contender",
    "label",
    "reference",
    "train_rows",
    "rounds",
    "train_seconds",
    "train_seconds_runs",
    "seconds_per_round",
    "objective_ms_per_round",
    "objective_share",
    "objective_ns_per_entry",
    "ratio_vs_reference",
    "ratio_runs",
    "peak_memory_mb",
    "test_log_loss",
    "test_accuracy",
    "max_dp_test",
    "max_dp_train",
    "train_rows_compared",
}


def _run(*args, blocked=(), timeout=300):
    """``python -m boostobj <args>`` in a fresh process; ``blocked`` modules fail to import."""
    if not blocked:
        cmd = [sys.executable, "-m", "boostobj", *args]
    else:
        code = f"""
            import sys
            class Block:
                def find_spec(self, name, path=None, target=None):
                    if name.split(".")[0] in {set(blocked)!r}:
                        raise ImportError("blocked: " + name)
            sys.meta_path.insert(0, Block())
            from boostobj.cli import main
            sys.exit(main({list(args)!r}))
        """
        cmd = [sys.executable, "-c", textwrap.dedent(code)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _check_report(report, backends, data):
    assert TOP_KEYS <= set(report)
    assert report["config"]["backends"] == backends and report["config"]["data"] == data
    assert report["command"].startswith("boostobj bench")
    results = report["results"]
    for result in results:
        assert RESULT_KEYS <= set(result), RESULT_KEYS - set(result)
        assert math.isfinite(result["test_log_loss"]) and result["test_log_loss"] > 0
        assert 0 <= result["test_accuracy"] <= 1
        if result["id"] in LOSS_IDS:  # another loss, another model: no probability difference
            assert result["contender"] == LOSS_IDS[result["id"]] and result["reference"] == "2"
            assert result["max_dp_test"] is None and result["max_dp_train"] is None
        else:
            assert 0 <= result["max_dp_test"] <= 1 and 0 <= result["max_dp_train"] <= 1
        assert result["train_seconds"] > 0 and result["rounds"] == 3
        assert len(result["train_seconds_runs"]) == report["config"]["repeat"]
        assert len(result["ratio_runs"]) == report["config"]["repeat"]
        assert result["ratio_vs_reference"] == pytest.approx(np.median(result["ratio_runs"]))
        builtin = result["contender"].startswith("builtin")
        assert (result["objective_ms_per_round"] is None) == builtin
        assert builtin or 0 <= result["objective_share"] <= 1
        assert (result["objective_ns_per_entry"] is None) == builtin
        assert builtin or result["objective_ns_per_entry"] > 0
    for backend in backends:
        by_id = {r["id"]: r for r in results if r["backend"] == backend}
        assert set(by_id) <= set(IDS) | set(LOSS_IDS) and {"1", "2", "3", "4", "5"} <= set(by_id)
        for ref in ("2", "2s"):
            if ref in by_id:  # contender 2 against itself
                assert by_id[ref]["max_dp_test"] == by_id[ref]["max_dp_train"] == 0
                assert by_id[ref]["ratio_vs_reference"] == 1
        # contenders 3, 4, 5 train contender 2's model: equal probabilities on the training
        # rows (on test rows a tied split threshold may be broken differently: not asserted)
        for contender in ("3", "4", "5"):
            assert by_id[contender]["max_dp_train"] <= 1e-5, (backend, contender)
    return {(r["backend"], r["id"]): r for r in results}


@pytest.fixture(scope="module")
def transition_run(tmp_path_factory):
    """Both backends on tiny transition data, two interleaved repetitions, the other losses
    (--losses), with --plot when matplotlib is installed."""
    out = tmp_path_factory.mktemp("cli")
    args = ["bench", "--rows", "400", "--classes", "5", "--valid-per-row", "3", "--loop-rows", "100"]
    args += ["--rounds", "3", "--repeat", "2", "--losses", "--json", str(out / "r.json")]
    if HAS_MATPLOTLIB:
        args += ["--plot", str(out / "r.png")]
    result = _run(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, out


def test_transition_run_table_lists_every_contender(transition_run):
    result, _ = transition_run
    table = result.stdout
    for backend, builtin in (("xgboost", "multi:softprob"), ("lightgbm", "multiclass")):
        assert f"\n{backend}\n" in table
        assert f"{builtin}, no mask*" in table and f"{builtin}, -1e30 offset" in table
    for label in ("boostobj objective", "Python per-row loop", "NumPy vectorised", "FocalLoss(gamma=2)"):
        assert table.count(label) == 2
    assert table.count("LabelSmoothingLoss(0.1)") == table.count("make_loss focal, derived") == 2
    assert table.count("make_loss CE rows, derived") == 2
    for label in ("GroupedSoftmaxLoss, one group", "ChoiceLoss, long format", "MultiLabelLoss, one-hot"):
        assert table.count(label) == 2
    assert "6-12: other boostobj losses (--losses)" in table
    for builtin in ("multi:softprob", "multiclass"):  # the headline, with the spread of 2 runs
        assert "boostobj (3) trains in " in table and f"x the time of {builtin} with the mask" in table
    assert table.count("over 2 runs).") == 2 and table.count("Its objective costs ") == 2
    assert "2s, 4: trained on a subsample of 100 rows" in table
    assert "Traceback" not in result.stderr
    # progress: one line per finished fit, on stderr
    assert (
        result.stderr.count("] xgboost")
        == result.stderr.count("] lightgbm")
        == 2 * (len(IDS) + len(LOSS_IDS))
    )


def test_transition_run_json(transition_run):
    _, out = transition_run
    report = json.loads((out / "r.json").read_text())
    by_key = _check_report(report, ["xgboost", "lightgbm"], "transition")
    assert report["config"]["repeat"] == 2
    for backend in ("xgboost", "lightgbm"):
        assert by_key[backend, "4"]["train_rows"] == by_key[backend, "2s"]["train_rows"] == 100
        assert by_key[backend, "4"]["reference"] == "2s"
        assert by_key[backend, "3"]["train_rows"] == 400 and by_key[backend, "3"]["reference"] == "2"
        assert by_key[backend, "8"]["objective_ms_per_round"] > 0


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib not installed (the exit-2 path is tested)")
def test_plot_writes_a_png(transition_run):
    _, out = transition_run
    assert (out / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("data", ["digits", "wine"])
def test_bundled_data_sets_with_full_masks(data, tmp_path):
    # run through main() in a fresh process, to see which modules a run imports
    path = tmp_path / "r.json"
    code = f"""
        import sys
        from boostobj.cli import main
        code = main(["bench", "--data", "{data}", *{TINY!r}, "--json", {str(path)!r}])
        print("matplotlib imported:", "matplotlib" in sys.modules)
        sys.exit(code)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matplotlib imported: False" in result.stdout  # only --plot imports it
    assert f"· {data}: " in result.stdout and "(full mask)" in result.stdout
    report = json.loads(path.read_text())
    by_key = _check_report(report, ["xgboost", "lightgbm"], data)
    # everything fits the loop's default subsample: no 2s, contender 4 compares with 2
    assert ("xgboost", "2s") not in by_key and by_key["xgboost", "4"]["reference"] == "2"
    assert report["data"]["mean_valid_per_row"] == report["data"]["classes"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rows", "-5"], "argument --rows: expected an integer >= 20; got -5"),
        (["--classes", "4", "--valid-per-row", "5"], "--valid-per-row: expected at most --classes (4)"),
        (["--backend", "catboost"], "argument --backend: invalid choice: 'catboost'"),
        (["--data", "iris"], "argument --data: invalid choice: 'iris'"),
        (["--repeat", "0"], "argument --repeat: expected an integer >= 1; got 0"),
        (["--learning-rate", "nan"], "argument --learning-rate: expected a positive number"),
        (["--data", "wine", "--rows", "100"], "--rows: applies to --data transition only"),
        (["--json", "/no/such/folder/r.json"], "--json: folder '/no/such/folder' does not exist"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
        (
            ["--threads", "100000"],
            f"argument --threads: expected an integer 1..{MAX_THREADS} (far larger thread counts crash "
            "LightGBM); got 100000",
        ),
        (["--threads", "0"], f"argument --threads: expected an integer 1..{MAX_THREADS}; got 0"),
        (["--threads", "two"], f"argument --threads: expected an integer 1..{MAX_THREADS}; got 'two'"),
        (["--seed", "-1"], "argument --seed: expected an integer >= 0; got -1"),
        (["--classes", "1"], "argument --classes: expected an integer >= 2; got 1"),
        (["--rounds", "0"], "argument --rounds: expected an integer 1..2147483647; got 0"),
        (["--rounds", "-3"], "argument --rounds: expected an integer 1..2147483647; got -3"),
        (
            ["--rounds", str(2**31)],
            "argument --rounds: expected an integer 1..2147483647 (the backends read it as a C int); "
            "got 2147483648",
        ),
        (
            ["--depth", "18"],
            "--depth: expected at most 17 with --backend both (LightGBM's num_leaves = 2**depth - 1 may be "
            "at most 131072); got 18",
        ),
        (["--depth", "0"], "argument --depth: expected an integer 1..2147483647; got 0"),
        (["--learning-rate", "inf"], "argument --learning-rate: expected a positive number; got inf"),
        (["--learning-rate", "1e999"], "argument --learning-rate: expected a positive number; got 1e999"),
        (["--learning-rate", "-0.1"], "argument --learning-rate: expected a positive number; got -0.1"),
        (["--json", ""], "--json: expected a file path; got ''"),
        (["--json", "out/"], "--json: expected a file path; got a folder, 'out/'"),
        (["--json", os.curdir], "--json: expected a file path; got a folder, '.'"),
        (["--data", "digits", "--seed", "-2"], "argument --seed: expected an integer >= 0; got -2"),
    ],
)
def test_bad_options_exit_2_with_one_line(args, message, capsys):
    assert main(["bench", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("boostobj bench: error: ") and message in captured.err
    assert captured.err.count("\n") == 1  # one line


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--rows", str(10**12)],
            "--rows: expected a workload that fits in this machine's 16.0 GiB of memory; got "
            "1,000,000,000,000 + 100,000 test rows x 24 classes x 10 features, depth 6, LightGBM's "
            "histograms: about 968,575.6 GiB",
        ),
        (
            ["--backend", "xgboost", "--classes", "100000", "--valid-per-row", "2", "--rows", "20"],
            "--rows, --classes: expected a workload that fits in this machine's 16.0 GiB "
            "of memory; got 20 + 5 test rows x 100,000 classes x 10 features, depth 6: about 83.9 GiB",
        ),
        (
            ["--backend", "lightgbm", "--features", "400", "--depth", "17"],
            "--features, --depth: expected a workload that fits in this machine's 16.0 GiB of memory; got "
            "200,000 + 50,000 test rows x 24 classes x 400 features, depth 17, LightGBM's histograms: "
            "about 200.2 GiB",
        ),
    ],
)
def test_workload_larger_than_memory_exits_2_before_any_work(args, message, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_memory_available", lambda: 16 * 2**30)
    monkeypatch.setattr("boostobj._bench.runner.run_bench", lambda *a, **k: pytest.fail("ran"))
    assert main(["bench", *args]) == 2
    err = capsys.readouterr().err
    assert err == f"boostobj bench: error: {message} (see boostobj bench --help)\n"


def test_memory_estimate_lets_the_documented_runs_through():
    # the README's large run (1M rows, K = 24, both backends) needs about 1 GiB
    assert cli._memory_needed(1_000_000, 100_000, 24, 10, 6, lightgbm=True) < 2 * 2**30
    assert cli._memory_available() is None or cli._memory_available() > 2**28


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="--plot needs matplotlib (its absence is tested)")
@pytest.mark.parametrize(
    "args, message",
    [
        (["--plot", "r.xyz"], "--plot: expected a .png file (or another format matplotlib writes: "),
        (
            ["--json", "r.png", "--plot", "./r.png"],
            "--plot: expected another file than --json's; got the same",
        ),
    ],
)
def test_bad_plot_paths_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"boostobj bench: error: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # the checks leave no file behind


def test_output_check_leaves_new_and_existing_files_as_they_were(tmp_path):
    new = tmp_path / "new.json"
    cli._check_output("json", str(new))
    assert not new.exists()
    old = tmp_path / "old.json"
    old.write_text("previous results")
    cli._check_output("json", str(old))
    assert old.read_text() == "previous results"


def test_unwritable_output_exits_2_before_any_work(tmp_path, monkeypatch, capsys):
    # as root every file is writable: refuse the open itself, as a read-only file system would
    target = str(tmp_path / "r.json")
    real_open = os.open

    def refusing_open(path, *args, **kwargs):
        if path == target:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    assert main(["bench", "--json", target]) == 2
    err = capsys.readouterr().err
    message = f"--json: cannot write {target!r} (Permission denied)"
    assert err == f"boostobj bench: error: {message} (see boostobj bench --help)\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder_exits_2(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["bench", "--json", str(folder / "r.json")]) == 2
    finally:
        folder.chmod(0o700)
    assert f"--json: folder {str(folder)!r} is not writable" in capsys.readouterr().err


def _fake_run(remove=None):
    """A stand-in for the benchmark (no training): removes ``remove`` meanwhile, returns a report."""

    def run_bench(config, progress=None):
        if remove is not None:
            for child in remove.iterdir():
                child.unlink()
            remove.rmdir()
        return {"config": {"rows": config.rows}, "results": [{"id": "1", "train_seconds": 0.5}]}

    return run_bench


def _fake_outputs(monkeypatch, plot_error=None):
    monkeypatch.setattr("boostobj._bench.report.format_table", lambda report: "THE TABLE")

    def write_plot(report, path):
        if plot_error is not None:
            raise plot_error
        Path(path).write_bytes(b"png")

    monkeypatch.setattr("boostobj._bench.report.write_plot", write_plot)


def test_json_that_fails_at_the_end_keeps_the_results(tmp_path, monkeypatch, capsys):
    """The folder checked up front is removed during the run: the table is printed, the JSON
    saved to a temporary file, the failure reported in one line, exit code 1, no traceback."""
    out = tmp_path / "out"
    out.mkdir()
    _fake_outputs(monkeypatch)
    monkeypatch.setattr("boostobj._bench.runner.run_bench", _fake_run(remove=out))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    target = str(out / "r.json")
    assert main(["bench", "--backend", "xgboost", "--rows", "20", "--json", target]) == 1
    captured = capsys.readouterr()
    assert captured.out == "THE TABLE\n"
    last = captured.err.splitlines()[-1]
    prefix = (
        f"boostobj bench: error: --json: could not write {target!r} (No such file or directory); "
        "the results are in the table above and in "
    )
    assert last.startswith(prefix)
    saved = json.loads(Path(last.removeprefix(prefix)).read_text())
    assert saved["results"] == [{"id": "1", "train_seconds": 0.5}] and saved["command"].startswith("boostobj")


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="--plot needs matplotlib")
def test_plot_that_fails_at_the_end_still_writes_the_json(tmp_path, monkeypatch, capsys):
    _fake_outputs(monkeypatch, plot_error=OSError(28, "No space left on device"))
    monkeypatch.setattr("boostobj._bench.runner.run_bench", _fake_run())
    json_path, png_path = tmp_path / "r.json", tmp_path / "r.png"
    args = [
        "bench",
        "--backend",
        "xgboost",
        "--rows",
        "20",
        "--json",
        str(json_path),
        "--plot",
        str(png_path),
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == "THE TABLE\n"
    assert json.loads(json_path.read_text())["results"][0]["id"] == "1"
    assert captured.err.splitlines()[-1] == (
        f"boostobj bench: error: --plot: could not write {str(png_path)!r} (No space left on device); "
        "the results are in the table above"
    )


def test_bad_option_in_a_real_process_has_no_traceback():
    result = _run("bench", "--rows", "-5")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_command_exits_2(capsys):
    assert main([]) == 2
    assert capsys.readouterr().err.startswith("boostobj: error: ")


@pytest.mark.parametrize(
    "args, blocked, message",
    [
        (["--backend", "xgboost"], "xgboost", "--backend xgboost: needs the xgboost package"),
        (["--backend", "both"], "lightgbm", "--backend both: needs the lightgbm package"),
        (["--plot", "r.png"], "matplotlib", "--plot: needs matplotlib (pip install 'boostobj[plot]')"),
    ],
)
def test_missing_optional_package_exits_2_with_one_line(args, blocked, message):
    result = _run("bench", *args, blocked=(blocked,))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("boostobj bench: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_help_is_useful_and_imports_nothing_heavy():
    code = """
        import sys
        from boostobj.cli import main
        try:
            main(["bench", "--help"])
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        heavy = ("xgboost", "lightgbm", "sklearn", "matplotlib")
        print("heavy:", sorted(m for m in heavy if m in sys.modules))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout
    for option in ("--quick", "--rows", "--valid-per-row", "--backend", "--loop-rows", "--json", "--plot"):
        assert option in result.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "boostobj"
    if not script.exists():
        pytest.skip("the boostobj console script is not installed next to this interpreter")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("boostobj ")
