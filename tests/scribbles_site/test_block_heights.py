"""scribbles_site.block_heights: estimated heights of a page's blocks, from its HTML."""

from __future__ import annotations

import re

import pytest

from scribbles_site import block_heights as heights
from scribbles_site.html_tree import Element, parse


def first_block(html: str):
    return next(c for c in parse(html).children if isinstance(c, Element))


def test_parse_records_where_each_top_level_start_tag_ends():
    html = '<p class="a">one</p>\n<hr/>\n<div><p>two</p></div>'
    blocks = [c for c in parse(html).children if isinstance(c, Element)]
    assert [b.tag for b in blocks] == ["p", "hr", "div"]
    assert [html[b.start : b.start_end] for b in blocks] == ['<p class="a">', "<hr/>", "<div>"]


def test_visible_text_leaves_out_mathml_and_scripts():
    html = (
        '<p>a <span class="katex"><span class="katex-mathml"><math><mi>x</mi></math></span>'
        '<span class="katex-html">x</span></span><script>no()</script> b</p>'
    )
    assert heights.visible_text(first_block(html)) == "a x b"


def test_code_and_text_heights_grow_with_lines():
    three = first_block("<pre><code>a\nb\nc\n</code></pre>")
    six = first_block("<pre><code>a\nb\nc\nd\ne\nf</code></pre>")
    assert heights.block_height(six) - heights.block_height(three) == 3 * heights.CODE_LINE_PX
    short, long = first_block("<p>" + "w " * 10 + "</p>"), first_block("<p>" + "w " * 400 + "</p>")
    assert heights.block_height(long) > 10 * heights.block_height(short)
    # the same paragraph in a wider column takes fewer lines
    assert heights.block_height(long, 640) < heights.block_height(long, 380)


def test_display_math_height_is_katex_strut_height_plus_depth():
    html = (
        '<div class="arithmatex"><span class="katex-display"><span class="katex">'
        '<span class="katex-html"><span class="base">'
        '<span class="katex-strut" style="height:2.0em;vertical-align:-1.0em;"></span>'
        '</span><span class="base"><span class="katex-strut" style="height:0.7em;">'
        "</span></span></span></span></span></div>"
    )
    assert heights.block_height(first_block(html)) == pytest.approx(3.0 * heights.MATH_EM_PX + 36)


def test_figure_height_follows_the_svg_aspect_ratio_within_the_column():
    figure = '<figure class="scribbles-figure"><svg viewBox="0 0 {w} {h}"></svg></figure>'
    narrow = heights.block_height(first_block(figure.format(w=200, h=100)))  # drawn smaller
    wide = heights.block_height(first_block(figure.format(w=760, h=380)))  # scaled to 380
    assert narrow == pytest.approx(100 + 72) and wide == pytest.approx(190 + 72)


def test_tabbed_set_counts_only_the_tab_shown_first():
    one = '<div class="tabbed-block"><pre><code>a</code></pre></div>'
    ten = '<div class="tabbed-block"><pre><code>' + "x\n" * 10 + "</code></pre></div>"
    shown_small = f'<div class="tabbed-set"><div class="tabbed-content">{one}{ten}</div></div>'
    shown_large = f'<div class="tabbed-set"><div class="tabbed-content">{ten}{one}</div></div>'
    small, large = (heights.block_height(first_block(h)) for h in (shown_small, shown_large))
    assert large - small == pytest.approx(9 * heights.CODE_LINE_PX)


def test_mark_skippable_blocks_marks_blocks_after_the_first_h2_only():
    html = (
        "<h1>T</h1><p>intro</p><div class='x'><p>first screen</p></div>"
        "<h2 id='a'>A</h2><p>one</p><hr/>"
        "<div class='admonition'><h3>inside</h3></div>"
        "<table><tr><td>t</td></tr></table>"
        "<p style='color:red'>styled</p>"
        "<h3>B</h3><pre><code>x</code></pre>"
    )
    out = heights.mark_skippable_blocks(html)
    marked = out.count(heights.SKIPPED_ATTRIBUTE)
    assert marked == 3  # <p>one</p>, <hr/>, <pre>
    assert out.startswith("<h1>T</h1><p>intro</p><div class='x'><p>first screen</p></div>")
    assert "<h2 id='a'>A</h2><p data-scribbles-skip style=\"--scribbles-phone:" in out
    assert '<hr data-scribbles-skip style="--scribbles-phone:50px;--scribbles-wide:50px"/>' in out
    assert "<div class='admonition'><h3>inside</h3></div><table>" in out  # holds a heading
    assert "<p style='color:red'>styled</p><h3>B</h3><pre data-scribbles-skip" in out
    # nothing else changed
    assert re.sub(r' data-scribbles-skip style="[^"]*"', "", out) == html


def test_estimates_include_the_safety_margin():
    block = first_block("<pre><code>" + "x\n" * 30 + "</code></pre>")
    raw = heights.block_height(block)
    assert raw * heights.SAFETY <= heights.estimated_size(block) < raw * heights.SAFETY + 10


def test_mark_skippable_blocks_maps_positions_past_svg_and_mathml():
    svg = '<svg viewBox="0 0 100 50"><g><path d="M 0 0 L 1 1"/></g></svg>'
    math = '<span class="katex-mathml"><math><mi>x</mi></math></span>'
    html = (
        f"<h2>A</h2><figure class='scribbles-figure'>{svg}</figure>"
        f"<p>a {math} b</p><div class='arithmatex'>{math}</div><hr>"
    )
    out = heights.mark_skippable_blocks(html)
    assert out.count(heights.SKIPPED_ATTRIBUTE) == 4
    assert "<figure class='scribbles-figure' data-scribbles-skip style=" in out
    assert "<p data-scribbles-skip style=" in out
    assert "<div class='arithmatex' data-scribbles-skip style=" in out
    assert '<hr data-scribbles-skip style="' in out
    assert re.sub(r' data-scribbles-skip style="[^"]*"', "", out) == html
