"""scribbles_site.math: TeX read from arithmatex's output and rendered by KaTeX under Node."""

from __future__ import annotations

import pytest

from scribbles_site.math import KatexRenderer, render_math, split_math
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def renderer():
    katex = KatexRenderer(ROOT / "node_modules")
    yield katex
    katex.close()


@pytest.mark.parametrize(
    ("source", "block", "expected"),
    [
        (r"\(a &lt; b\)", False, ("a < b", False)),
        (r"\[x^2\]", True, ("x^2", True)),
        (r"\begin{align}x\end{align}", True, (r"\begin{align}x\end{align}", True)),
    ],
)
def test_split_math_unescapes_and_reads_the_delimiters(source, block, expected):
    assert split_math(source, block) == expected


def test_render_math_replaces_tex_and_keeps_the_element(renderer):
    page = '<p>Let <span class="arithmatex">\\(x^2\\)</span> be.</p>'
    out = render_math(page, "test.md", renderer)
    assert out.startswith('<p>Let <span class="arithmatex"><span class="katex">')
    assert '<annotation encoding="application/x-tex">x^2</annotation>' in out
    assert out.endswith("</span> be.</p>")


def test_render_math_leaves_invalid_tex_and_warns(renderer, caplog):
    page = '<span class="arithmatex">\\(\\frac{1}{\\)</span>'
    with caplog.at_level("WARNING"):
        out = render_math(page, "bad.md", renderer)
    assert out == page
    assert "bad.md: KaTeX cannot render" in caplog.text
