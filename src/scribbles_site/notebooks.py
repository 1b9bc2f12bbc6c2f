r"""Chapters as Jupyter notebooks: the conversion from a chapter's Markdown.

Every chapter can be downloaded as a notebook generated at build time from its Markdown:
prose becomes Markdown cells, each executed block becomes a code cell (with the set-up
lines the page hides), in page order. On the site, blocks `print` Markdown tables and
HTML figures that the page renders; in a notebook the first cell imports
[`rich_print`][scribbles.book.notebook.rich_print] *as* `print`, so the same code shows the
same tables and figures.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

__all__ = ["chapter_to_notebook", "split_chapter"]

_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
_EXECUTED = re.compile(r'^(?:python|py)\b.*\bexec="(?:on|true|1|yes)"')
_HIDE_MARKER = re.compile(r"\s*#\s*markdown-exec:\s*hide\s*$")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)

SETUP_SOURCE = (
    "# Tables and figures print as Markdown and HTML on the site; show them rich here.\n"
    "from scribbles.book.notebook import rich_print as print  # noqa: A001"
)


def split_chapter(markdown: str) -> list[tuple[str, str]]:
    r"""Split a chapter into `("markdown" | "code", text)` cells, in page order.

    Executed Python fences become code cells (hide markers removed, hidden lines kept);
    everything else, non-executed fences included, stays Markdown. Front matter is
    dropped.

    Args:
        markdown: the chapter's source.

    Returns:
        cells: list of `(kind, text)` pairs with no empty cells.

    Raises:
        ValueError: if an executed fence is never closed.

    Examples:
        >>> fence = '```python exec="on"'
        >>> text = f"# T\n\nProse.\n\n{fence}\nx = 1  # markdown-exec: hide\nprint(x)\n```\n"
        >>> split_chapter(text)
        [('markdown', '# T\n\nProse.'), ('code', 'x = 1\nprint(x)')]
    """
    lines = _FRONT_MATTER.sub("", markdown).splitlines()
    cells: list[tuple[str, str]] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if match and _EXECUTED.match(match["info"].strip()):
            fence = match["fence"]
            end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == fence), None)
            if end is None:
                raise ValueError(f"executed fence opened on line {index + 1} is never closed")
            if "\n".join(prose).strip():
                cells.append(("markdown", "\n".join(prose).strip()))
            prose = []
            code = [_HIDE_MARKER.sub("", line) for line in lines[index + 1 : end]]
            cells.append(("code", "\n".join(code).strip()))
            index = end + 1
            continue
        prose.append(lines[index])
        index += 1
    if "\n".join(prose).strip():
        cells.append(("markdown", "\n".join(prose).strip()))
    return cells


def chapter_to_notebook(markdown: str, title: str) -> str:
    r"""Convert a chapter to the JSON text of an nbformat 4 notebook.

    The notebook starts with a Markdown cell naming its origin and a set-up code cell
    (see the module docstring). Cell ids are derived from the content, so the same
    chapter always gives the same bytes.

    Args:
        markdown: the chapter's source.
        title: the chapter's title, for the first cell.

    Returns:
        notebook: JSON text (nbformat 4.5), ending with a newline.

    Examples:
        >>> nb = json.loads(chapter_to_notebook("Text.\n", title="Demo"))
        >>> nb["nbformat"], [cell["cell_type"] for cell in nb["cells"]]
        (4, ['markdown', 'code', 'markdown'])
    """
    header = (
        f"# {title}\n\nThis notebook was generated from the Scribbles chapter of the same "
        "name. It needs the `scribbles` package installed (`pip install -e .` in the "
        "project)."
    )
    pieces = [("markdown", header), ("code", SETUP_SOURCE), *split_chapter(markdown)]
    cells = []
    for position, (kind, text) in enumerate(pieces):
        digest = hashlib.sha256(f"{position}\0{kind}\0{text}".encode()).hexdigest()[:16]
        cell: dict[str, Any] = {
            "cell_type": kind,
            "id": digest,
            "metadata": {},
            "source": text.splitlines(keepends=True),
        }
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
