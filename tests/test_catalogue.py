"""The documented bad-input catalogue is true: every row raises exactly what the table says,
and the table in the docs (``docs/reliability.md``) is the catalogue (``tests/catalogue.py``),
rendered by its ``render()``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .catalogue import CATALOGUE, Ctx, render

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
# MyST comments: invisible in the built page
BEGIN = "% catalogue: begin (python -m tests.catalogue prints it; tests/test_catalogue.py checks it)"
END = "% catalogue: end"


@pytest.fixture(scope="module")
def ctx() -> Ctx:
    return Ctx()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("row", CATALOGUE, ids=[f"{r.area}-{r.input}" for r in CATALOGUE])
def test_row_raises_what_the_catalogue_says(row, ctx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # rows that write files use relative names
    with pytest.raises(Exception) as info:  # noqa: B017 - the row names the type, checked below
        row.call(ctx)
    assert type(info.value).__name__ == row.error
    if row.exact:
        assert str(info.value) == row.message
    else:  # a backend's message with timestamps or a stack trace
        assert row.message in str(info.value)
    if row.error in ("ValueError", "TypeError"):  # boostobj's own: named after the argument
        assert re.match(r"^[\w\[\]().,' -]+: ", row.message), row.message


def test_docs_table_is_the_catalogue():
    text = PAGE.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, f"catalogue markers missing from {PAGE}"
    table = text.split(BEGIN)[1].split(END)[0].strip()
    assert table == render(), (
        "docs/reliability.md's catalogue is stale: paste the output of `python -m tests.catalogue` "
        "between its catalogue markers"
    )


def test_catalogue_covers_every_area():
    areas = {row.area for row in CATALOGUE}
    required = {
        "mask",
        "labels",
        "weights",
        "margins",
        "shapes",
        "dtypes",
        "layouts",
        "eval sets",
        "estimator",
    }
    assert required <= areas
