"""Every Python code block of README.md and docs/*.md runs, so the documentation cannot rot.

The blocks of one page run in order in one namespace (a page reads as one session), in a
fresh interpreter (a page may change global state: scikit-learn's config, thread counts,
a Dask cluster) started in a temporary directory (blocks that save files write there),
with one OpenMP thread.
A page whose blocks start a Dask cluster is marked ``distributed``. Building the site
(``python -m sphinx -W``) is a step of ``.ci/run``; here, only checks that need no Sphinx.

Run one page by hand: ``python tests/test_docs.py docs/losses.md`` (prints each block's time).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block of a Markdown page."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        info = match["info"].strip()
        language = info.strip("{}").split()[0] if info else ""
        if language in ("python", "py"):
            line = text.count("\n", 0, match.start()) + 2
            body = "\n".join(row[len(match["indent"]) :] for row in match["body"].splitlines())
            blocks.append((line, body))
    return blocks


def run_page(page: Path) -> None:
    """Execute a page's python blocks in order, in one namespace; report the failing block."""
    namespace: dict = {"__name__": "__main__"}
    for line, source in python_blocks(page):
        start = time.perf_counter()
        try:
            exec(compile(source, f"{page.name}:{line}", "exec"), namespace)
        except BaseException:
            print(f"FAILED: {page.name}, the code block at line {line}", file=sys.stderr)
            raise
        print(f"[{page.name}:{line}: {time.perf_counter() - start:.2f} s]", flush=True)


def _param(page: Path):
    marks = [pytest.mark.distributed] if "LocalCluster" in page.read_text(encoding="utf-8") else []
    return pytest.param(page, id=page.relative_to(ROOT).as_posix(), marks=marks)


@pytest.mark.parametrize("page", [_param(page) for page in PAGES if python_blocks(page)])
def test_code_blocks_run(page, tmp_path):
    # One OpenMP thread: the pages' small data gains nothing from more, and on a busy machine the
    # backends' spinning OpenMP workers made these runs many times slower.
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(page)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]


def test_pages_have_code():
    assert python_blocks(ROOT / "README.md"), "the README's Quick start has no python block"
    assert len(PAGES) > 5


def test_every_page_is_in_the_toctree():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in [*DOCS.glob("*.md"), *DOCS.glob("*.rst")]:
        if page.stem != "index":
            assert re.search(rf"^{re.escape(page.stem)}$", index, re.M), f"{page.name} is not in index.md"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name}: broken link to {target}"


if __name__ == "__main__":
    run_page(Path(sys.argv[1]).resolve())
