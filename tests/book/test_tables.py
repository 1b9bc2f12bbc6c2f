"""scribbles.book.tables: escaped, deterministic Markdown tables."""

from __future__ import annotations

import numpy as np
import pytest

from scribbles.book.tables import format_cell, markdown_table


def test_markdown_injection_is_escaped():
    table = markdown_table([["<script>alert(1)</script>", "a|b"]], headers=["x", "y"])
    assert "<script>" not in table
    assert "&lt;script&gt;" in table and "a\\|b" in table


def test_numpy_scalars_are_formatted_like_python_numbers():
    assert format_cell(np.float64(0.123456789)) == "0.1235"
    assert format_cell(np.int64(7)) == "7"
    assert format_cell(np.float32(2.5), digits=2) == "2.5"
    assert format_cell(float("nan")) == "nan"
    assert format_cell(True) == "True"


def test_alignment_defaults_follow_the_first_row():
    lines = markdown_table([["a", 1, 2.0]], headers=["n", "i", "f"]).splitlines()
    assert lines[1] == "| :--- | ---: | ---: |"


def test_ragged_rows_and_bad_alignment_are_refused():
    with pytest.raises(ValueError, match="row 1 has 1 cells, expected 2"):
        markdown_table([[1, 2], [3]], headers=["a", "b"])
    with pytest.raises(ValueError, match="align has 1 entries, expected 2"):
        markdown_table([[1, 2]], headers=["a", "b"], align=["l"])
    with pytest.raises(ValueError, match="must be 'l', 'c' or 'r'"):
        markdown_table([[1, 2]], headers=["a", "b"], align=["l", "x"])


def test_html_table_has_the_cells_of_the_markdown_table():
    import re

    from scribbles.book.tables import html_table

    rows = [["a|b", 1.23456, True], ["<i>", 2, None]]
    headers = ["name", "value", "flag"]
    html_cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html_table(rows, headers))
    markdown_cells = [
        cell.strip().replace("\\|", "|")
        for line in markdown_table(rows, headers).splitlines()
        if ":---" not in line and "---:" not in line
        for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])
    ]
    assert html_cells == markdown_cells
    assert "<i>" not in html_table(rows, headers)  # escaped, never markup


def test_html_table_alignment_and_shape_errors():
    from scribbles.book.tables import html_table

    table = html_table([["x", 1.0]], headers=["name", "value"], align=["c", "l"])
    assert 'style="text-align: center;">name' in table
    assert 'style="text-align: left;">1' in table
    with pytest.raises(ValueError, match="row 0 has 1 cells, expected 2"):
        html_table([["x"]], headers=["name", "value"])
    with pytest.raises(ValueError, match="align entries"):
        html_table([["x", 1]], headers=["name", "value"], align=["l", "middle"])
