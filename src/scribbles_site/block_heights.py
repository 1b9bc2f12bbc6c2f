"""Estimated heights of a page's top-level blocks, for `content-visibility: auto`.

A long chapter holds 7,000-11,000 elements (formulas, highlighted code, figures). The
browser need not style or lay out the blocks far below the screen while the page loads:
`content-visibility: auto` skips them until they come near the screen. While a block is
skipped it takes the height it is given (`contain-intrinsic-block-size`); once it has
been rendered the browser remembers its real height.

The given height is estimated here, from the HTML alone, for a phone's column (the
narrowest place the page is read, and where a block is tallest). It is meant to be a
little *more* than the real height: a skipped block's content must fit inside the box the
block stands in for it. Tools that read every element's position while blocks are still
skipped (axe, as Lighthouse runs it) place a block's real content at its real size; in a
box that is too short, that content would overlap the next block (and near the end of
the page, the footer) and be read against the wrong background.

Headings stay outside the skipped blocks (Material's table of contents reads their
positions while the page loads), and so does everything before the first `<h2>` (the
first screen: rendered at once anyway, and skipping it would only shift it once it is
measured).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from scribbles_site.html_tree import Element, parse

PHONE_COLUMN_PX = 380.0  # Lighthouse's phone (412 px wide) less Material's side margins
WIDE_COLUMN_PX = 640.0  # the content column beside both sidebars (a window >= 1220 px)
TEXT_CHARACTER_PX = 8.0  # a generous average advance of the body font (16 px)
TEXT_LINE_PX = 29.0  # 1.6 line height of 16 px, with room for inline formulas
CODE_LINE_PX = 20.0  # 13.6 px code at line height 1.4
MATH_EM_PX = 19.4  # KaTeX sets display math at 1.21 em
SAFETY = 1.15  # estimates are scaled up by this, then rounded up to the next 10 px
SKIPPED_ATTRIBUTE = "data-scribbles-skip"

_BLOCKS = {
    "address", "blockquote", "details", "div", "dl", "dd", "dt", "figcaption", "figure",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "section",
    "summary", "table", "ul",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_UNSEEN = {"script", "style", "noscript", "template", "input"}
_STRUT_HEIGHT = re.compile(r"(?<![-\w])height:\s*([0-9.]+)em")
_STRUT_DEPTH = re.compile(r"vertical-align:\s*-([0-9.]+)em")


def visible_text(node: Element | str) -> str:
    """The text a reader sees (MathML for screen readers and scripts left out)."""
    if isinstance(node, str):
        return node
    if node.tag in _UNSEEN or "katex-mathml" in node.classes:
        return ""
    return "".join(visible_text(child) for child in node.children)


def _has_block_child(element: Element) -> bool:
    return any(isinstance(c, Element) and c.tag in _BLOCKS for c in element.children)


def _contains_heading(element: Element) -> bool:
    return _first(element, lambda e: e.tag in _HEADINGS) is not None


def text_height(text: str, width: float) -> float:
    """Lines of wrapped running text in a column `width` px wide, in px."""
    characters_per_line = max(1.0, width / TEXT_CHARACTER_PX)
    lines = max(1, math.ceil(len(" ".join(text.split())) / characters_per_line))
    return lines * TEXT_LINE_PX


def code_height(element: Element) -> float:
    """A code block: one line per source line (long lines scroll, they do not wrap)."""
    lines = visible_text(element).rstrip("\n").count("\n") + 1
    return lines * CODE_LINE_PX + 2 * 11 + 16  # padding, and room for a scrollbar


def math_height(element: Element) -> float:
    """A display formula: KaTeX's tallest strut (in em), plus the formula's margins."""
    struts = _all(element, lambda e: any(c in ("strut", "katex-strut") for c in e.classes))
    heights = [_strut_em(strut.attrs.get("style", "")) for strut in struts]
    return max(heights, default=1.2) * MATH_EM_PX + 36  # with the formula's margins


def _strut_em(style: str) -> float:
    """A KaTeX strut's height plus depth (`height:Hem;vertical-align:-Dem`), in em."""
    height = _STRUT_HEIGHT.search(style)
    depth = _STRUT_DEPTH.search(style)
    return (float(height[1]) if height else 0.0) + (float(depth[1]) if depth else 0.0)


def figure_height(element: Element, width: float) -> float:
    """A figure: its SVG at the column's width (never wider than drawn), and caption."""
    svg = _first(element, lambda e: e.tag == "svg")
    height = 320.0
    if svg is not None:
        box = svg.attrs.get("viewbox", "").split()
        if len(box) == 4 and float(box[2]) > 0:
            drawn = float(box[2])
            height = float(box[3]) * min(width, drawn) / drawn
    caption = _first(element, lambda e: e.tag == "figcaption")
    if caption is not None:
        height += text_height(visible_text(caption), width * 0.9) + 8
    return height + 2 * 24 + 24  # the figure's margins, and the SVG's own padding


def table_height(element: Element, width: float) -> float:
    """A table: each row as tall as its tallest cell, cells sharing the width equally."""
    total = 0.0
    for row in _all(element, lambda e: e.tag == "tr"):
        cells = [c for c in row.children if isinstance(c, Element) and c.tag in ("td", "th")]
        cell_width = max(40.0, width / max(1, len(cells)) - 20)
        tallest = max((text_height(visible_text(c), cell_width) for c in cells), default=0)
        total += tallest * 0.8 + 16  # table text is set at 0.8 of the body size
    return total + 32


def _first(element: Element, match: Callable[[Element], bool]) -> Element | None:
    for child in element.children:
        if isinstance(child, Element):
            if match(child):
                return child
            found = _first(child, match)
            if found is not None:
                return found
    return None


def _all(element: Element, match: Callable[[Element], bool]) -> list[Element]:
    found: list[Element] = []
    for child in element.children:
        if isinstance(child, Element):
            if match(child):
                found.append(child)
            else:
                found += _all(child, match)
    return found


def block_height(element: Element, width: float = PHONE_COLUMN_PX) -> float:
    r"""Estimated rendered height, in px, of a block in a column `width` px wide.

    Args:
        element: the block, as parsed by `parse`.
        width: the column's width in px (default: a phone's).

    Returns:
        The height in px, margins included, before any safety factor.

    Examples:
        >>> block_height(parse('<pre><code>a\nb\nc</code></pre>').children[0])
        98.0
        >>> block_height(parse('<p>' + 'word ' * 95 + '</p>').children[0])  # 10 lines
        306.0
    """
    tag, classes = element.tag, element.classes
    if tag == "pre":
        return code_height(element)
    if tag == "div" and "arithmatex" in classes:
        return math_height(element)
    if tag == "figure":
        return figure_height(element, width)
    if tag == "table":
        return table_height(element, width)
    if tag == "hr":
        return 40.0
    if tag == "div" and "tabbed-set" in classes:
        first = _first(element, lambda e: "tabbed-block" in e.classes)
        return 72 + (block_height(first, width) if first is not None else 0) + 16
    if tag in ("ul", "ol", "dl"):
        items = [c for c in element.children if isinstance(c, Element)]
        return sum(block_height(item, width - 24) for item in items) + 16
    if not _has_block_child(element):
        return text_height(visible_text(element), width) + (16 if tag == "p" else 8)
    inner = width - (32 if ("admonition" in classes or tag == "details") else 0)
    total = 0.0
    pending_text = ""
    for child in element.children:
        if isinstance(child, Element) and child.tag in _BLOCKS:
            if pending_text.strip():
                total += text_height(pending_text, inner)
            pending_text = ""
            if child.tag == "summary" or "admonition-title" in child.classes:
                total += 44
            else:
                total += block_height(child, inner)
        else:
            pending_text += visible_text(child)
    if pending_text.strip():
        total += text_height(pending_text, inner)
    return total + (24 if inner < width else 0)


def estimated_size(element: Element, width: float = PHONE_COLUMN_PX) -> int:
    """`block_height` with the safety factor, rounded up to the next 10 px."""
    return int(math.ceil(block_height(element, width) * SAFETY / 10) * 10)


def mark_skippable_blocks(html: str) -> str:
    """Give each top-level block after the first `<h2>` its estimated heights.

    The block gets `data-scribbles-skip` (the stylesheet makes such blocks
    `content-visibility: auto`) and two heights as custom properties: for a phone's
    column (`--scribbles-phone`) and for the column of a wide screen, beside both
    sidebars (`--scribbles-wide`). Blocks that contain a heading, and tables (Material
    moves each into a scrolling wrapper once the page runs), are left as they are.

    Examples:
        >>> mark_skippable_blocks('<p>intro</p><h2>A</h2><p>text</p>').split('</h2>')[1]
        '<p data-scribbles-skip style="--scribbles-phone:60px;--scribbles-wide:60px">text</p>'
    """
    root = parse(html)
    insertions: list[tuple[int, str]] = []
    after_first_h2 = False
    for child in root.children:
        if not isinstance(child, Element):
            continue
        if child.tag == "h2":
            after_first_h2 = True
        if not after_first_h2 or child.tag in _HEADINGS or child.tag in ("table", "script"):
            continue
        if "style" in child.attrs or _contains_heading(child):
            continue
        phone, wide = estimated_size(child), estimated_size(child, WIDE_COLUMN_PX)
        style = f"--scribbles-phone:{phone}px;--scribbles-wide:{wide}px"
        end = child.start_end
        position = end - (2 if html[end - 2] == "/" else 1)
        insertions.append((position, f' {SKIPPED_ATTRIBUTE} style="{style}"'))
    pieces, previous = [], 0
    for position, text in insertions:
        pieces += [html[previous:position], text]
        previous = position
    pieces.append(html[previous:])
    return "".join(pieces)
