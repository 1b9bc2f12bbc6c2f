r"""Post-processing of each page's HTML: valid markup, and less work for the browser.

On the page content (after Markdown, before the theme), one parse
([`html_tree.parse`][scribbles_site.html_tree.parse]) finds every element an edit needs,
and the edits are spliced into the original text:

- **block content unwrapped from paragraphs**: markdown-exec puts a block's output in a
  paragraph when the output goes through Markdown as an HTML fragment
  (`<p><figure>...</figure></p>`), invalid HTML (a paragraph ends where a block starts,
  leaving a stray `</p>`). The paragraph's own start and end tag go.
- **copy buttons in the HTML**: Material's bundle adds a copy button to each
  `pre > code` when the page has loaded, measuring the block after each insertion (one
  forced layout per block). Here the button is in the page already; Material's
  clipboard integration, which listens to every `[data-clipboard-target]`, copies and
  announces as before. The block is marked `no-copy` so that Material adds no second
  button; builds without this plugin (Zensical) still get Material's. The holder is a
  `span` where Material's is a `nav`, which the HTML parser would not accept in a `pre`.
- **wide code focusable**: an overflowing block must be reachable with the keyboard to
  be scrolled (axe's "scrollable-region-focusable"). A block with a line longer than a
  phone's column gets `tabindex="0"`, marked as ours (`data-scribbles-scroll`), because
  a block far down an API page is laid out only near the screen
  (`content-visibility`); the browser takes the mark away once it sees the block fit.
- **source listings deferred**: each API source listing (a closed `<details>`) becomes
  the content of a `<noscript>` in its `<details>`. With scripting on, a browser parses
  a `noscript`'s content as one piece of text: no elements to style or lay out (half of
  an API page's elements). `javascripts/source-listings.js` puts the HTML in its place
  when the reader opens it. The listings are also kept out of the search index
  (`data-search-exclude`), which they would double.

On the whole page (after the theme and the math):

- **far blocks skipped while loading**: see
  [`block_heights`][scribbles_site.block_heights];
- **scripts deferred**: Material's bundle and our `javascripts/` load with `defer`, so
  the first paint does not wait for their download.
"""

from __future__ import annotations

import html as html_lib
import re

from scribbles_site import block_heights
from scribbles_site.html_tree import OPAQUE, Element, apply_edits, parse

__all__ = [
    "COPY_TITLE",
    "NARROWEST_CODE_COLUMNS",
    "defer_page_scripts",
    "process_content",
    "skip_far_blocks",
]

COPY_TITLE = "Copy to clipboard"  # Material's English text for its copy button
NARROWEST_CODE_COLUMNS = 40  # characters of code a phone's column shows without scrolling
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "ol",
    "p", "pre", "section", "table", "ul",
}  # fmt: skip
_SOURCE_LISTING_CLASS = "mkdocstrings-source"
_TAG = re.compile(r"<[^>]+>")  # inside highlighted code: Pygments' spans, nothing else
_ARTICLE_START = '<article class="md-content__inner md-typeset">'
_PAGE_SCRIPTS = re.compile(
    r'<script src="((?:\.\./)*/?'
    r'(?:assets/javascripts/bundle\.[0-9a-f]+\.min|javascripts/[\w-]+)\.js)">'
)

Edit = tuple[int, int, str]


def _tag_text(html: str, element: Element) -> str:
    return html[element.start : element.start_end]


def _unwrap_paragraph(html: str, p: Element) -> list[Edit]:
    """A bare `<p>` whose content starts with a block element loses its two tags."""
    first = p.first_child()
    if _tag_text(html, p) != "<p>" or not isinstance(first, Element) or p.end is None:
        return []
    if first.tag not in _BLOCK_TAGS or p.end_start is None:
        return []
    return [(p.start, p.start_end, ""), (p.end_start, p.end, "")]


def _code_child(html: str, pre: Element) -> Element | None:
    """The `<code>` right after `pre`'s start tag (or after an empty `<span></span>` there,
    which Pygments writes for line anchors)."""
    position, elements = pre.start_end, pre.elements()
    if (
        elements
        and html.startswith("<span></span>", elements[0].start)
        and not elements[0].children
    ):
        if elements[0].start != position:
            return None
        position, elements = elements[0].end, elements[1:]
    if elements and elements[0].tag == "code" and elements[0].start == position:
        return elements[0]
    return None


_PRE_START = re.compile(r'<pre(?: class="([^"]*)")?>\Z')


def _copy_button(html: str, pre: Element, number: int) -> list[Edit]:
    """Give a code block the copy button Material would add (number: its copy id)."""
    start_tag = _PRE_START.match(_tag_text(html, pre))
    code = _code_child(html, pre)
    if start_tag is None or code is None:
        return []
    classes = " ".join(filter(None, (start_tag[1], "no-copy")))
    button = (
        '<span class="md-code__nav"><button class="md-code__button" '
        f'title="{COPY_TITLE}" data-clipboard-target="pre[data-copy-id=\'{number}\'] > code" '
        'data-md-type="copy"></button></span>'
    )
    return [
        (pre.start, pre.start_end, f'<pre class="{classes}" data-copy-id="{number}">'),
        (code.start, code.start, button),
    ]


def _focusable_code(html: str, pre: Element) -> list[Edit]:
    """Mark a code block's bare `<code>` focusable when a line may not fit a phone."""
    code = pre.elements()[-1] if pre.elements() else None
    if code is None or code.tag != "code" or _tag_text(html, code) != "<code>":
        return []
    if code.end is None or code.end != pre.end_start:  # `</code></pre>`: the last child
        return []
    text = html_lib.unescape(_TAG.sub("", html[code.start_end : code.end_start or code.start_end]))
    if max(map(len, text.splitlines() or [""])) <= NARROWEST_CODE_COLUMNS:
        return []
    return [(code.start, code.start_end, '<code tabindex="0" data-scribbles-scroll>')]


def _defer_listing(html: str, details: Element) -> list[Edit]:
    """Move a source listing into a `<noscript>`, and out of the search index."""
    if details.attrs.get("class") != _SOURCE_LISTING_CLASS or details.end_start is None:
        return []
    summary = details.first_child()
    if not isinstance(summary, Element) or _tag_text(html, summary) != "<summary>":
        return []
    if summary.end is None:
        return []
    edits: list[Edit] = []
    start_tag = _tag_text(html, details)
    if start_tag == f'<details class="{_SOURCE_LISTING_CLASS}">':
        edits.append((details.start, details.start_end, start_tag[:-1] + " data-search-exclude>"))
    closing = details.end_start
    while closing > summary.end and html[closing - 1].isspace():
        closing -= 1  # the whitespace before `</details>` stays outside
    edits += [
        (summary.end, summary.end, '<noscript class="scribbles-listing">'),
        (closing, closing, "</noscript>"),
    ]
    return edits


def process_content(html: str) -> str:
    r"""Apply the page-content edits above to the HTML of one page's content.

    Examples:
        >>> process_content("<p><figure>x</figure></p>")
        '<figure>x</figure>'
        >>> process_content("<pre><code>short</code></pre>")[:45]
        '<pre class="no-copy" data-copy-id="1"><span c'
    """
    root = parse(html, opaque=(*OPAQUE, "code"))  # no edit looks inside a <code>
    edits: list[Edit] = []
    copy_number = 0
    for element in root.iter():
        if element.tag == "p":
            edits += _unwrap_paragraph(html, element)
        elif element.tag == "pre":
            button = _copy_button(html, element, copy_number + 1)
            copy_number += 1 if button else 0
            edits += button + _focusable_code(html, element)
        elif element.tag == "details":
            edits += _defer_listing(html, element)
    return apply_edits(html, edits)


def skip_far_blocks(output: str) -> str:
    """Let the browser skip the article's blocks far below the screen while loading.

    Each top-level block after the first `<h2>` gets its estimated height, and the
    stylesheet makes it `content-visibility: auto`. Runs after the math is rendered,
    since a formula's height is read from KaTeX's HTML.
    """
    start = output.find(_ARTICLE_START)
    end = output.rfind("</article>")
    if start < 0 or end < start:
        return output
    start += len(_ARTICLE_START)
    return output[:start] + block_heights.mark_skippable_blocks(output[start:end]) + output[end:]


def defer_page_scripts(output: str) -> str:
    """Load Material's bundle and our own scripts (`javascripts/`) with `defer`.

    Both sit at the end of `<body>`; as plain scripts they stop the parser until they are
    downloaded and run, so the browser cannot paint the page before then. Deferred, they
    run in the same order once the document is parsed, before `DOMContentLoaded`, as
    Material expects. A script tag is self-contained, so a regular expression finds it.
    """
    return _PAGE_SCRIPTS.sub(r'<script src="\1" defer>', output)
