"""The MkDocs hooks' pure functions: math splitting and rendering, paragraph repair."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT


def load_hooks():
    spec = importlib.util.spec_from_file_location(
        "scribbles_hooks", ROOT / "hooks" / "scribbles_hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


@pytest.mark.parametrize(
    ("source", "block", "expected"),
    [
        (r"\(a &lt; b\)", False, ("a < b", False)),
        (r"\[x^2\]", True, ("x^2", True)),
        (r"\begin{align}x\end{align}", True, (r"\begin{align}x\end{align}", True)),
    ],
)
def test_split_math_unescapes_and_reads_the_delimiters(source, block, expected):
    assert hooks.split_math(source, block) == expected


def test_render_math_replaces_tex_and_keeps_the_element():
    page = '<p>Let <span class="arithmatex">\\(x^2\\)</span> be.</p>'
    out = hooks.render_math(page, "test.md")
    assert out.startswith('<p>Let <span class="arithmatex"><span class="katex">')
    assert '<annotation encoding="application/x-tex">x^2</annotation>' in out
    assert out.endswith("</span> be.</p>")


def test_render_math_leaves_invalid_tex_and_warns(caplog):
    page = '<span class="arithmatex">\\(\\frac{1}{\\)</span>'
    with caplog.at_level("WARNING"):
        out = hooks.render_math(page, "bad.md")
    assert out == page
    assert "bad.md: KaTeX cannot render" in caplog.text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<div><p><figure>x</figure>\nrisk</p></div>", "<div><figure>x</figure>\nrisk</div>"),
        ("<p><h2>t</h2><p>a</p></p><p>kept</p>", "<h2>t</h2><p>a</p><p>kept</p>"),
        ("<p>text</p><p><table></table></p>", "<p>text</p><table></table>"),
        ("<p><div>never closed", "<p><div>never closed"),
        ("<p>a <path d=''/> b</p>", "<p>a <path d=''/> b</p>"),
    ],
    ids=["figure-then-text", "nested", "table", "unbalanced", "path-is-not-p"],
)
def test_unwrap_block_paragraphs(html, expected):
    assert hooks.unwrap_block_paragraphs(html) == expected


def test_describe_takes_the_first_prose_paragraph():
    text = "# Title\n\n```python\ncode\n```\n\nThe *first* [real](x.md) paragraph.\n\nNext."
    assert hooks.describe(text) == "The first real paragraph."
