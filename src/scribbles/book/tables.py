r"""Tables printed by executed blocks.

A block prints a table as Markdown ([`markdown_table`][scribbles.book.tables.markdown_table]),
or, in a block whose output is HTML (`html="true"`, e.g. one that also prints a figure),
as HTML ([`html_table`][scribbles.book.tables.html_table]): Markdown printed there would reach
the page as raw text. Cell text is HTML-escaped (and pipes are escaped in Markdown), so a
value can never inject markup into a page; numbers are formatted with a fixed number of
significant digits so that pages are identical from build to build.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = ["format_cell", "html_table", "markdown_table"]


def format_cell(value: Any, digits: int = 4) -> str:
    r"""Format one table cell: integers as is, reals to `digits` significant digits.

    Args:
        value: the cell's value (number, string, bool, None...).
        digits: significant digits for real numbers.

    Returns:
        text: escaped Markdown-safe text.

    Examples:
        >>> format_cell(3.14159265)
        '3.142'
        >>> format_cell(12)
        '12'
        >>> format_cell("<b>|</b>")
        '&lt;b&gt;\\|&lt;/b&gt;'
        >>> format_cell(1.5e-7)
        '1.5e-07'
    """
    return html.escape(_cell_text(value, digits), quote=False).replace("|", "\\|")


def _cell_text(value: Any, digits: int) -> str:
    """The cell's text, unescaped, on one line."""
    if isinstance(value, bool) or value is None:
        text = str(value)
    elif isinstance(value, Integral):
        text = str(int(value))
    elif isinstance(value, Real):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            text = str(number)
        else:
            text = f"{number:.{digits}g}"
    else:
        text = str(value)
    return text.replace("\n", " ")


def markdown_table(
    rows: Sequence[Sequence[Any]] | Any,
    headers: Sequence[str],
    digits: int = 4,
    align: Sequence[str] | None = None,
) -> str:
    r"""Return a Markdown table.

    Args:
        rows: the rows, a sequence of sequences or a 2-D numpy array (one row per
            line); each must have `len(headers)` cells.
        headers: column titles.
        digits: significant digits for real numbers.
        align: per column `"l"`, `"c"` or `"r"`; default: numbers right, text left
            (decided from the first row).

    Returns:
        table: Markdown text ending with a newline.

    Raises:
        ValueError: if a row's length differs from the number of headers, an
            alignment is unknown, or `rows` is an array that is not 2-D.

    Examples:
        >>> print(markdown_table([["a", 1.23456], ["b", 2]], headers=["name", "value"]))
        | name | value |
        | :--- | ---: |
        | a | 1.235 |
        | b | 2 |
        <BLANKLINE>
        >>> import numpy as np
        >>> print(markdown_table(np.array([[1, 0.5], [2, 0.25]]), headers=["k", "error"]))
        | k | error |
        | ---: | ---: |
        | 1 | 0.5 |
        | 2 | 0.25 |
        <BLANKLINE>
    """
    rows = _as_rows(rows)
    align = _column_alignment(rows, headers, align)
    markers = {"l": ":---", "c": ":---:", "r": "---:"}
    lines = [
        "| " + " | ".join(format_cell(h) for h in headers) + " |",
        "| " + " | ".join(markers[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(format_cell(c, digits) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_ALIGN_WORDS = {"l": "left", "c": "center", "r": "right"}


def _as_rows(rows: Any) -> Sequence[Sequence[Any]]:
    """The rows as a list of rows; a 2-D array's rows keep their numpy scalars."""
    if isinstance(rows, np.ndarray):
        if rows.ndim != 2:
            raise ValueError(
                f"rows must be a 2-D array (one row per line) or a sequence of rows, got an "
                f"array of shape {tuple(rows.shape)}"
            )
        return [list(row) for row in rows]
    return rows


def _column_alignment(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], align: Sequence[str] | None
) -> list[str]:
    """Check the table's shape and return one of "l", "c", "r" per column."""
    width = len(headers)
    for index, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {index} has {len(row)} cells, expected {width} (one per header)")
    if align is None:
        first = rows[0] if len(rows) else [""] * width
        align = [
            "r" if isinstance(cell, Real) and not isinstance(cell, bool) else "l" for cell in first
        ]
    if len(align) != width:
        raise ValueError(f"align has {len(align)} entries, expected {width}")
    unknown = [a for a in align if a not in _ALIGN_WORDS]
    if unknown:
        raise ValueError(f"align entries must be 'l', 'c' or 'r', got {unknown}")
    return list(align)


def html_table(
    rows: Sequence[Sequence[Any]] | Any,
    headers: Sequence[str],
    digits: int = 4,
    align: Sequence[str] | None = None,
) -> str:
    r"""Return the same table as [`markdown_table`][scribbles.book.tables.markdown_table], as HTML.

    For blocks with `html="true"`, whose output is not read as Markdown. The markup is
    what Python-Markdown writes for a Markdown table, so the site styles both alike.

    Args:
        rows: the rows, a sequence of sequences or a 2-D numpy array (one row per
            line); each must have `len(headers)` cells.
        headers: column titles.
        digits: significant digits for real numbers.
        align: per column `"l"`, `"c"` or `"r"`; default: numbers right, text left
            (decided from the first row).

    Returns:
        table: a `<table>` element, text escaped, ending with a newline.

    Raises:
        ValueError: if a row's length differs from the number of headers, an
            alignment is unknown, or `rows` is an array that is not 2-D.

    Examples:
        >>> print(html_table([["a<b", 1.23456]], headers=["name", "value"]))
        <table>
        <thead>
        <tr><th style="text-align: left;">name</th><th style="text-align: right;">value</th></tr>
        </thead>
        <tbody>
        <tr><td style="text-align: left;">a&lt;b</td><td style="text-align: right;">1.235</td></tr>
        </tbody>
        </table>
        <BLANKLINE>
    """
    rows = _as_rows(rows)
    align = _column_alignment(rows, headers, align)

    def row_html(cells: Sequence[Any], tag: str, digits: int) -> str:
        return (
            "<tr>"
            + "".join(
                f'<{tag} style="text-align: {_ALIGN_WORDS[a]};">'
                f"{html.escape(_cell_text(cell, digits), quote=False)}</{tag}>"
                for a, cell in zip(align, cells, strict=True)
            )
            + "</tr>"
        )

    lines = ["<table>", "<thead>", row_html(headers, "th", digits), "</thead>", "<tbody>"]
    lines += [row_html(row, "td", digits) for row in rows]
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines) + "\n"
