"""Chapters as notebooks: conversion, validity, and end-to-end execution of some."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

from scribbles_site.notebooks import chapter_to_notebook, split_chapter
from tests.conftest import DOCS

CHAPTERS = sorted(
    path
    for path in DOCS.rglob("*.md")
    if path.relative_to(DOCS).parts[0] in {"learning", "classical", "deep", "generative", "systems"}
)


def test_split_keeps_order_and_hidden_setup_lines():
    text = (
        "# Title\n\nIntro.\n\n"
        '```python exec="on" source="tabbed-right" session="s"\n'
        "import numpy as np  # markdown-exec: hide\nprint(np.pi)\n```\n\n"
        "Between.\n\n```python\nnot_executed()\n```\n\n"
        '```python exec="on" html="true"\nprint("<figure>x</figure>")\n```\n'
    )
    cells = split_chapter(text)
    assert [kind for kind, _ in cells] == ["markdown", "code", "markdown", "code"]
    assert cells[1][1] == "import numpy as np\nprint(np.pi)"
    assert "not_executed()" in cells[2][1]


def test_unclosed_fence_is_an_error():
    with pytest.raises(ValueError, match="never closed"):
        split_chapter('```python exec="on"\nprint(1)\n')


def test_notebook_is_deterministic_and_valid():
    text = (DOCS / "deep" / "attention.md").read_text()
    first = chapter_to_notebook(text, "Attention")
    assert first == chapter_to_notebook(text, "Attention")
    nbformat.validate(nbformat.reads(first, as_version=4))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_notebook_is_built_and_valid(built_site, chapter):
    relative = chapter.relative_to(DOCS).with_suffix("")
    path = built_site.site / relative / f"{relative.name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) >= 2, "a chapter notebook has the set-up cell and the chapter's code"
    page = (built_site.site / relative / "index.html").read_text()
    assert f'href="{relative.name}.ipynb" download' in page


@pytest.mark.parametrize("chapter", ["deep/attention", "learning/p-vs-np"])
def test_cheap_notebooks_run_end_to_end(built_site, chapter):
    name = chapter.split("/")[-1]
    notebook = nbformat.read(built_site.site / chapter / f"{name}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    rich = [o for o in outputs if o.output_type == "display_data"]
    assert any("text/html" in o.data for o in rich), "figures show as HTML"
    assert any("text/markdown" in o.data for o in rich), "tables show as Markdown"
    assert json.dumps(notebook)  # still serialisable after execution
