"""scribbles.book.notebook: rich output in a notebook, the built-in print elsewhere."""

from __future__ import annotations

import io

from scribbles.book.notebook import rich_print


def test_outside_ipython_it_is_print(capsys):
    rich_print("| a |", 2, sep=" / ", end="!\n")
    assert capsys.readouterr().out == "| a | / 2!\n"


def test_file_argument_goes_to_print():
    buffer = io.StringIO()
    rich_print("<figure>x</figure>", file=buffer)
    assert buffer.getvalue() == "<figure>x</figure>\n"
