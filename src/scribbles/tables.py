r"""Markdown tables printed by executed blocks.

Blocks print tables as Markdown. Cell text is HTML-escaped and pipes are escaped, so a
value can never inject markup into a page; numbers are formatted with a fixed number of
significant digits so that pages are identical from build to build.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

__all__ = ["format_cell", "markdown_table"]


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
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    digits: int = 4,
    align: Sequence[str] | None = None,
) -> str:
    r"""Return a Markdown table.

    Args:
        rows: the rows; each must have `len(headers)` cells.
        headers: column titles.
        digits: significant digits for real numbers.
        align: per column `"l"`, `"c"` or `"r"`; default: numbers right, text left
            (decided from the first row).

    Returns:
        table: Markdown text ending with a newline.

    Raises:
        ValueError: if a row's length differs from the number of headers, or an
            alignment is unknown.

    Examples:
        >>> print(markdown_table([["a", 1.23456], ["b", 2]], headers=["name", "value"]))
        | name | value |
        | :--- | ---: |
        | a | 1.235 |
        | b | 2 |
        <BLANKLINE>
    """
    width = len(headers)
    for index, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {index} has {len(row)} cells, expected {width} (one per header)")
    if align is None:
        first = rows[0] if rows else [""] * width
        align = [
            "r" if isinstance(cell, Real) and not isinstance(cell, bool) else "l" for cell in first
        ]
    if len(align) != width:
        raise ValueError(f"align has {len(align)} entries, expected {width}")
    markers = {"l": ":---", "c": ":---:", "r": "---:"}
    unknown = [a for a in align if a not in markers]
    if unknown:
        raise ValueError(f"align entries must be 'l', 'c' or 'r', got {unknown}")
    lines = [
        "| " + " | ".join(format_cell(h) for h in headers) + " |",
        "| " + " | ".join(markers[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(format_cell(c, digits) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
