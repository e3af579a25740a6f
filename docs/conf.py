"""Sphinx configuration of boostobj's documentation.

Build (as .ci/run does): ``python -m sphinx -W --keep-going -b html docs build/docs``
after ``pip install ".[test,docs]"``. Pages are Markdown (MyST) except the generated API
reference and examples gallery (reStructuredText, filled by ``_ext/boostobj_docs.py``).
Every Python code block of the Markdown pages runs in the test suite (tests/test_docs.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import boostobj  # noqa: E402

project = "boostobj"
author = "the boostobj developers"
copyright = "the boostobj developers"
version = release = boostobj.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "boostobj_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# MyST: raw HTML stays text (error messages quote things like <lambda>); heading anchors
# for links between pages.
myst_disable_syntax = ["html_inline", "html_block"]
myst_heading_anchors = 3

# API reference: numpydoc renders the docstrings; autodoc members in source order.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "furo"
html_title = f"boostobj {release}"
html_static_path = ["_static"]
pygments_style = "sphinx"
