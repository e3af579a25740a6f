"""Sphinx directives that build pages from the code, so that they cannot fall behind it.

``.. boostobj-api::`` documents every public name (``boostobj.__all__``, the Dask
functions and the data generator), grouped into sections by where they live; a name no
section claims lands in "Other" rather than going missing. ``.. examples-gallery::`` shows
every script in ``examples/``: its docstring, how to run it and its source (the scripts
are not run here: ``tests/test_examples.py`` runs them).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: (section title, intro, rule); a name goes to the first section whose rule accepts it.
SECTIONS = [
    ("Masks", "Per-row valid classes, in one canonical form.", {"boostobj.masks"}),
    (
        "Losses",
        "Loss objects: gradient, Hessian diagonal, loss, probabilities and intercept on margins.",
        {"boostobj.losses", "boostobj.focal", "boostobj.smoothing", "boostobj.custom", "loss"},
    ),
    ("XGBoost", "Objective, metric and DMatrix for ``xgboost.train``.", {"boostobj.xgb"}),
    ("LightGBM", "Objective, metric and Dataset for ``lightgbm.train``.", {"boostobj.lgb"}),
    ("Prediction and metrics", "", {"boostobj.predict", "boostobj.metrics"}),
    (
        "scikit-learn estimators",
        "Imported on first use (they import scikit-learn).",
        {"boostobj.sklearn", "boostobj.calibration"},
    ),
    (
        "Saving, exporting and explaining",
        "",
        {"boostobj.persist", "boostobj.export", "boostobj.explanations"},
    ),
    ("Dask", "``import boostobj.dask`` (needs the ``dask`` extra).", {"boostobj.dask"}),
    ("Utilities", "", {"boostobj.testing", "boostobj._threads", "boostobj.datasets"}),
    ("Other", "", set()),
]


def public_objects() -> list[tuple[str, object]]:
    """(qualified name, object) of every documented public name."""
    import boostobj
    import boostobj.dask
    import boostobj.datasets

    names = []
    for module in (boostobj, boostobj.dask, boostobj.datasets):
        names += [(f"{module.__name__}.{name}", getattr(module, name)) for name in module.__all__]
    # not in __all__, but the estimators' docstrings send readers to it for the shared parameters
    names.append(("boostobj.MaskedBoostingClassifier", boostobj.MaskedBoostingClassifier))
    return names


def section_of(qualname: str, obj: object) -> str:
    from boostobj import Loss

    module = getattr(obj, "__module__", None) or qualname.rsplit(".", 1)[0]
    if qualname == "boostobj.INVALID_OFFSET":
        module = "boostobj.masks"
    for title, _, rule in SECTIONS:
        if module in rule or ("loss" in rule and inspect.isclass(obj) and issubclass(obj, Loss)):
            return title
    return "Other"


def public_members(cls: type) -> list[str]:
    """Public methods and properties a class defines in boostobj's public modules."""
    members = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        module = getattr(owner, "__module__", "")
        if not module.startswith("boostobj") or module.split(".")[1].startswith("_"):
            continue  # scikit-learn's, or a private helper base's (get_params, ...)
        attr = vars(owner)[name]
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if (callable(attr) or isinstance(attr, property)) and inspect.getdoc(attr):
            members.append(name)
    order = {name: i for i, name in enumerate(_source_order(cls))}
    return sorted(members, key=lambda name: order.get(name, len(order)))


def _source_order(cls: type) -> list[str]:
    names = []
    for klass in reversed(cls.__mro__):
        names += [n for n in vars(klass) if n not in names]
    return names


class APIDirective(SphinxDirective):
    """``.. boostobj-api::`` -- the whole API reference, one section per area."""

    def run(self):
        import boostobj

        groups: dict[str, list[tuple[str, object]]] = {title: [] for title, _, _ in SECTIONS}
        for qualname, obj in public_objects():
            groups[section_of(qualname, obj)].append((qualname, obj))
        lines: list[str] = []
        for title, intro, _ in SECTIONS:
            if not groups[title]:
                continue
            lines += [title, "-" * len(title), ""]
            if intro:
                lines += [intro, ""]
            for qualname, obj in groups[title]:
                if qualname == "boostobj.INVALID_OFFSET":
                    lines += [
                        ".. py:data:: boostobj.INVALID_OFFSET",
                        f"   :value: {boostobj.INVALID_OFFSET!r}",
                        "",
                        "   The margin offset of an invalid class: added to its start margin",
                        "   (``base_margin`` / ``init_score``), it gives the class probability 0.",
                        "   A margin ``<= -1e29`` marks a class invalid wherever boostobj reads masks",
                        "   from margins.",
                        "",
                    ]
                elif inspect.isclass(obj):
                    lines += [f".. autoclass:: {qualname}"]
                    members = public_members(obj)
                    if members:
                        lines += [f"   :members: {', '.join(members)}"]
                    lines += [""]
                else:
                    lines += [f".. autofunction:: {qualname}", ""]
        return self.parse(lines)

    def parse(self, lines: list[str]):
        from docutils import nodes

        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="boostobj-api"), container)
        return container.children


def example_docstring(path: Path) -> tuple[str, list[str]]:
    """An example's title (its docstring's first paragraph) and the rest as reST lines."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
    paragraphs = doc.split("\n\n")
    title = " ".join(line.strip() for line in paragraphs[0].splitlines())
    body: list[str] = []
    for paragraph in paragraphs[1:]:
        lines = paragraph.splitlines()
        if lines and all(line.startswith("    ") for line in lines):  # how to run it
            body += [".. code-block:: bash", ""] + lines + [""]
        else:
            body += lines + [""]
    return title, body


class GalleryDirective(SphinxDirective):
    """``.. examples-gallery::`` -- each ``examples/*.py``: docstring and source."""

    def run(self):
        from docutils import nodes

        lines: list[str] = []
        scripts = sorted(EXAMPLES.glob("*.py"))
        for path in scripts:
            self.env.note_dependency(str(path))
            title, body = example_docstring(path)
            title = re.sub(r"\s+", " ", title)
            lines += [f".. _example-{path.stem}:", "", title, "-" * len(title), ""]
            lines += [f"``examples/{path.name}``", ""] + body
            relative = Path("..") / "examples" / path.name  # from docs/
            lines += [
                f".. literalinclude:: {relative.as_posix()}",
                "   :language: python",
                "   :linenos:",
                "",
            ]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="examples-gallery"), container)
        return container.children


#: A bare fitted-attribute name such as ``n_features_in_`` (scikit-learn's trailing underscore),
#: which reStructuredText would read as a link to a target of that name.
INTERPRETED = re.compile(r"(`[^`]*`)")
FITTED_NAME = re.compile(r"(?<![\w`.:<*])([A-Za-z]\w*_)(?![\w`*])")


def literal_fitted_names(app, what, name, obj, options, lines):
    """Show ``classes_``-style names in docstrings literally instead of as broken links.

    Doctest lines and indented literal blocks are left alone.
    """
    literal_indent = None
    in_literal = False  # inside a ``literal`` that goes on over a line break
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None:
            if stripped and indent <= literal_indent:
                literal_indent = None
            else:
                continue
        if stripped.startswith((">>>", "...")):
            continue
        lines[i], in_literal = _literal_names(line, in_literal)
        if line.rstrip().endswith("::"):
            literal_indent = indent


def _literal_names(line: str, in_literal: bool) -> tuple[str, bool]:
    """``line`` with bare fitted names made literal outside ``literal`` and `interpreted` spans."""
    out, pos = [], 0
    while pos < len(line):
        end = line.find("``", pos)
        if in_literal:
            if end < 0:
                return "".join(out) + line[pos:], True
            out.append(line[pos : end + 2])
        else:
            text = line[pos:] if end < 0 else line[pos:end]
            parts = INTERPRETED.split(text)
            out.append("".join(p if k % 2 else FITTED_NAME.sub(r"``\1``", p) for k, p in enumerate(parts)))
            if end < 0:
                break
            out.append("``")
        pos = end + 2
        in_literal = not in_literal
    return "".join(out), in_literal


def setup(app):
    app.connect("autodoc-process-docstring", literal_fitted_names, priority=600)
    app.add_directive("boostobj-api", APIDirective)
    app.add_directive("examples-gallery", GalleryDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
