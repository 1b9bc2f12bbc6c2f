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


def test_a_2d_array_is_a_table_of_its_rows():
    values = np.array([[1, 0.123456], [20, 2.5]])
    table = markdown_table(values, headers=["k", "error"])
    assert table == markdown_table([[1.0, 0.123456], [20.0, 2.5]], headers=["k", "error"])
    assert table.splitlines()[1:] == ["| ---: | ---: |", "| 1 | 0.1235 |", "| 20 | 2.5 |"]
    integers = markdown_table(np.arange(6, dtype=np.int64).reshape(3, 2), headers=["a", "b"])
    assert integers.splitlines()[2:] == ["| 0 | 1 |", "| 2 | 3 |", "| 4 | 5 |"]
    labels = markdown_table(np.array([["x", "<y>"]]), headers=["a", "b"])
    assert labels.splitlines() == ["| a | b |", "| :--- | :--- |", "| x | &lt;y&gt; |"]


def test_an_empty_2d_array_and_html_tables_of_arrays():
    from scribbles.book.tables import html_table

    assert markdown_table(np.zeros((0, 2)), headers=["a", "b"]).count("\n") == 2
    assert "<td" not in html_table(np.zeros((0, 2)), headers=["a", "b"])
    assert html_table(np.eye(2), headers=["a", "b"]) == html_table(
        [[1.0, 0.0], [0.0, 1.0]], headers=["a", "b"]
    )


def test_arrays_that_are_not_2d_or_of_the_wrong_width_are_refused():
    with pytest.raises(
        ValueError, match=r"rows must be a 2-D array .* got an array of shape \(3,\)"
    ):
        markdown_table(np.arange(3), headers=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"shape \(1, 2, 2\)"):
        markdown_table(np.zeros((1, 2, 2)), headers=["a", "b"])
    with pytest.raises(ValueError, match="row 0 has 3 cells, expected 2"):
        markdown_table(np.zeros((2, 3)), headers=["a", "b"])
