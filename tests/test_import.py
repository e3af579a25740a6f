"""Import-time guarantees: nothing compiled, no backend imported, layering, read-only installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, env: dict | None = None, cwd: Path | None = None, user: str | None = None):
    cmd = [sys.executable, "-c", textwrap.dedent(code)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_import_compiles_nothing_and_imports_no_backend():
    out = _run(
        """
        import sys, numba
        import boostobj
        from boostobj._kernels import binary, fastexp, multiclass, softmax
        dispatchers = [
            obj for mod in (binary, fastexp, multiclass, softmax) for obj in vars(mod).values()
            if isinstance(obj, numba.core.registry.CPUDispatcher)
        ]
        assert len(dispatchers) >= 10, len(dispatchers)
        compiled = [d.py_func.__name__ for d in dispatchers if d.signatures]
        print("compiled:", compiled)
        heavy = ("xgboost", "lightgbm", "sklearn", "dask", "distributed", "jax", "matplotlib")
        heavy = (*heavy, "boostobj.dask")
        heavy = sorted(m for m in heavy if m in sys.modules)
        print("heavy:", heavy)
        """
    )
    assert "compiled: []" in out
    assert "heavy: []" in out


def test_kernels_need_only_numpy_and_numba():
    _run(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"sklearn", "xgboost", "lightgbm", "scipy"}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        from boostobj._kernels import multiclass, softmax
        raw = np.zeros((2, 3)); out = np.empty((2, 3))
        no_csr = np.zeros(1, np.int64), np.zeros(0, np.int32)
        status, row = softmax.masked_softmax(raw, *no_csr, True, out, 0, 2)
        assert status == 0 and np.allclose(out, 1 / 3)
        """
    )


def test_layering_losses_and_masks_do_not_import_adapters():
    out = _run(
        """
        import sys
        import boostobj.losses, boostobj.masks, boostobj.metrics
        print(sorted(m for m in sys.modules if m.startswith("boostobj.")))
        """
    )
    assert "boostobj.sklearn" not in out and "boostobj.cli" not in out


def test_first_call_compiles_the_error_search_only_when_an_error_happens(tmp_path):
    # What a first call compiles is its time (CONTRIBUTING.md): the dense kernels hand an
    # error back to their Python wrappers, so the error search is compiled on the first error
    # only. Checked in a fresh process with an empty cache, in both backends' layouts.
    out = _run(
        """
        import numpy as np
        import boostobj
        from boostobj._kernels import multiclass as mk
        loss = boostobj.SoftmaxLoss(hessian="xgboost")
        for raw in (np.zeros((4, 3), np.float32), np.zeros((4, 3), order="F"), np.zeros((4, 24), order="F")):
            loss.gradient_hessian(np.zeros(4, int), raw)
        kernels = (mk._softmax_grad_hess_dense, mk._softmax_grad_hess_dense_cols, mk.first_error)
        print("compiled:", sorted(d.py_func.__name__ for d in kernels if d.signatures))
        try:
            loss.gradient_hessian(np.zeros(4, int), np.full((4, 24), np.nan, order="F"))
        except ValueError as error:
            print("error:", error)
        print("after the error:", bool(mk.first_error.signatures))
        """,
        env={"NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert "compiled: ['_softmax_grad_hess_dense', '_softmax_grad_hess_dense_cols']" in out
    assert "error:" in out and "row 0" in out
    assert "after the error: True" in out


def test_no_writable_numba_cache_still_imports_and_runs():
    # numba raises "cannot cache function ...: no locator available" at decoration time when no
    # cache directory is writable; IPythonCacheLocator is the one locator that never applies to
    # a .py file, so naming it alone reproduces that situation whatever the user's permissions.
    out = _run(
        """
        import warnings
        warnings.simplefilter("error")
        import numpy as np
        import boostobj
        from boostobj._kernels import multiclass
        assert multiclass._softmax_grad_hess._cache.__class__.__name__ == "NullCache"
        print(boostobj.SoftmaxLoss().predict_proba(np.zeros((1, 2))))
        """,
        env={"NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"},
    )
    assert "[[0.5 0.5]]" in out


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="the real read-only check needs root, to run the import as an unprivileged user",
)
def test_read_only_install_as_unprivileged_user():
    probe = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", "import numpy"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("the unprivileged user cannot run this interpreter (its directory is private)")
    # The installed package is not writable by 'nobody' (uid 65534) and neither is its HOME:
    # numba finds no cache directory at all, as in a read-only site-packages.
    out = _run(
        """
        import numpy as np
        import boostobj
        from boostobj._kernels import multiclass
        print(type(multiclass._softmax_grad_hess._cache).__name__)
        print(boostobj.SoftmaxLoss().predict_proba(np.zeros((1, 2))))
        """,
        env={"HOME": "/nonexistent", "NUMBA_CACHE_DIR": ""},
        cwd=Path("/"),
        user="65534",
    )
    assert "NullCache" in out
    assert "[[0.5 0.5]]" in out
