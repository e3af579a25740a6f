"""Every script in examples/ runs (small sizes), so examples never rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
# Small sizes so the smoke test stays quick; every example accepts these options.
SMALL = {
    "transition_model.py": ["--rows", "2000", "--rounds", "5"],
    "sklearn_pipeline.py": ["--rows", "1500", "--estimators", "5"],
    "focal_loss.py": ["--rows", "2000", "--rounds", "5"],
    "label_smoothing.py": ["--rows", "2000", "--rounds", "50"],
    "custom_loss.py": ["--rows", "2000", "--rounds", "5"],
    "dask_training.py": ["--rows", "3000", "--rounds", "5"],
    "deploy_without_boostobj.py": ["--rows", "2000", "--estimators", "5"],
    "explain_masked_model.py": ["--rows", "2000", "--estimators", "5", "--plot", "beeswarm.png"],
    "calibrate_masked_model.py": ["--rows", "3000", "--estimators", "20"],
    "mode_choice.py": ["--trips", "2000", "--rounds", "20"],
    "grouped_softmax.py": ["--rows", "3000", "--rounds", "20"],
    "multilabel_tags.py": ["--rows", "2000", "--rounds", "10"],
}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    assert script.name in SMALL, f"add small-size options for {script.name} to SMALL"
    result = subprocess.run(  # in a scratch directory: files an example writes land there
        [sys.executable, str(script), *SMALL[script.name]],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip(), "an example should print its results"
