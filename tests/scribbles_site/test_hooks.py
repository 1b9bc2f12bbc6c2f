"""The MkDocs hooks' pure functions: math splitting and rendering, paragraph repair."""

from __future__ import annotations

import importlib.util
import re

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


def test_prerender_copy_buttons_numbers_blocks_and_keeps_other_pre_alone():
    page = (
        '<div class="highlight"><pre><span></span><code>a = 1</code></pre></div>'
        '<td class="linenos"><div class="linenodiv"><pre><span></span>1</pre></div></td>'
        '<pre class="wide"><code>b</code></pre>'
    )
    out = hooks.prerender_copy_buttons(page)
    assert out.count('class="md-code__button"') == 2  # the line-number column gets none
    assert (
        '<pre class="no-copy" data-copy-id="1"><span></span><span class="md-code__nav">'
        '<button class="md-code__button" title="Copy to clipboard" '
        'data-clipboard-target="pre[data-copy-id=\'1\'] > code" data-md-type="copy">'
        "</button></span><code>a = 1</code>"
    ) in out
    assert '<pre class="wide no-copy" data-copy-id="2"><span class="md-code__nav">' in out
    assert "<pre><span></span>1</pre>" in out


def test_defer_page_scripts_defers_the_bundle_and_katex_init_only():
    page = (
        '<script src="../../assets/javascripts/bundle.a5f9d56c.min.js"></script>'
        '<script src="/javascripts/katex-init.js"></script>'
        '<script src="../search/search_index.js"></script>'
    )
    assert hooks.defer_page_scripts(page) == (
        '<script src="../../assets/javascripts/bundle.a5f9d56c.min.js" defer></script>'
        '<script src="/javascripts/katex-init.js" defer></script>'
        '<script src="../search/search_index.js"></script>'
    )


def test_defer_source_listings_puts_each_listing_in_a_noscript():
    listing = '<div class="highlight"><pre><code>def f(): pass</code></pre></div>'
    page = (
        '<details class="mkdocstrings-source" data-search-exclude>\n'
        f"  <summary>Source code in <code>f.py</code></summary>\n  {listing}\n</details>"
        "<details><summary>Other</summary><p>kept</p></details>"
    )
    out = hooks.defer_source_listings(page)
    assert out == (
        '<details class="mkdocstrings-source" data-search-exclude>\n'
        "  <summary>Source code in <code>f.py</code></summary>"
        f'<noscript class="scribbles-listing">\n  {listing}</noscript>\n</details>'
        "<details><summary>Other</summary><p>kept</p></details>"
    )


def test_focusable_wide_code_marks_only_blocks_with_long_lines():
    wide = "x = " + "1 + " * 12 + "1"  # 53 characters
    page = (
        "<p>Inline <code>short</code> code.</p>"
        f'<div class="highlight"><pre><span></span><code><span class="n">{wide}</span>\n'
        "</code></pre></div>"
        "<pre><code>y = 2\n</code></pre>"
        "<p><code>tail</code></p>"
    )
    out = hooks.focusable_wide_code(hooks.prerender_copy_buttons(page))
    assert out.count('tabindex="0" data-scribbles-scroll') == 1
    assert f'<code tabindex="0" data-scribbles-scroll><span class="n">{wide}' in out
    assert "<p>Inline <code>short</code> code.</p>" in out and "<code>y = 2" in out


# --- block heights (hooks/block_heights.py) --------------------------------------------

heights = hooks.block_heights


def first_block(html: str):
    return next(c for c in heights.parse(html).children if isinstance(c, heights.Element))


def test_parse_records_where_each_top_level_start_tag_ends():
    html = '<p class="a">one</p>\n<hr/>\n<div><p>two</p></div>'
    blocks = [c for c in heights.parse(html).children if isinstance(c, heights.Element)]
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
