"""scribbles_site.html: the page edits, each found on parsed HTML and spliced in."""

from __future__ import annotations

import pytest

from scribbles_site.html import defer_page_scripts, process_content


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
    assert process_content(html) == expected


def test_prerender_copy_buttons_numbers_blocks_and_keeps_other_pre_alone():
    page = (
        '<div class="highlight"><pre><span></span><code>a = 1</code></pre></div>'
        '<td class="linenos"><div class="linenodiv"><pre><span></span>1</pre></div></td>'
        '<pre class="wide"><code>b</code></pre>'
    )
    out = process_content(page)
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
    assert defer_page_scripts(page) == (
        '<script src="../../assets/javascripts/bundle.a5f9d56c.min.js" defer></script>'
        '<script src="/javascripts/katex-init.js" defer></script>'
        '<script src="../search/search_index.js"></script>'
    )


def test_defer_source_listings_puts_each_listing_in_a_noscript():
    listing = '<div class="highlight"><table><tr><td>def f(): pass</td></tr></table></div>'
    page = (
        '<details class="mkdocstrings-source" data-search-exclude>\n'
        f"  <summary>Source code in <code>f.py</code></summary>\n  {listing}\n</details>"
        "<details><summary>Other</summary><p>kept</p></details>"
    )
    out = process_content(page)
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
    out = process_content(page)
    assert out.count('tabindex="0" data-scribbles-scroll') == 1
    assert f'<code tabindex="0" data-scribbles-scroll><span class="n">{wide}' in out
    assert "<p>Inline <code>short</code> code.</p>" in out and "<code>y = 2" in out
