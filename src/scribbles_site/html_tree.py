r"""A page's HTML as a tree of elements that know where they lie in the source.

The build edits the HTML that Markdown and MkDocs wrote: it drops a paragraph around a
figure, puts a copy button into a code block, wraps a source listing in a `<noscript>`.
Each edit must find an element *with its neighbours*: the `</p>` that closes this `<p>`
(not the first one after it), the `<code>` that is the last child of its `<pre>`, the
content of a `<details>` after its `<summary>`. Regular expressions cannot see that
structure; a parser can.

The parser is the standard library's `html.parser.HTMLParser`. It is maintained with
CPython, needs no new dependency, and, unlike tree builders such as lxml or
html5lib, reports where each tag starts in the source. That is what the build needs:
every edit is a splice of the original text at known offsets, so every byte the edit
does not touch stays as MkDocs wrote it (a re-serialised tree would rewrite quotes,
entities and whitespace on the whole page, and two builds would be compared on the
serialiser's choices rather than on the content). It is not the fastest parser, so
the inside of every `<svg>` and `<math>` element (most of a chapter's markup, and
nothing any edit looks into) is left out before parsing, and so, for the page edits,
is the highlighted inside of every `<code>`; offsets are mapped back.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Element", "apply_edits", "parse"]

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
OPAQUE = ("svg", "math")  # elements whose inside is not parsed by default


@functools.cache
def _insides(opaque: tuple[str, ...]) -> re.Pattern[str]:
    """The inside of each element named in `opaque` (group 2), found without parsing.

    None of them can contain another element of its own name (SVG, MathML and the
    highlighted text of a `<code>` nest no `<svg>`, `<math>` or `<code>`).
    """
    names = "|".join(map(re.escape, opaque))
    return re.compile(rf"<({names})\b[^>]*>(.*?)</\1>", re.S)


@dataclass
class Element:
    """One HTML element: its tag, attributes, children and where it lies in the source.

    Attributes:
        tag: the tag name, lower case (`"#root"` for the fragment itself).
        attrs: the attributes (a valueless attribute maps to `""`).
        start: offset of the start tag's `<`.
        start_end: offset just after the start tag's `>`.
        end_start: offset of the end tag's `<`, or None when the element is not closed.
        end: offset just after the end tag, or None when the element is not closed.
        children: elements and text, in order.
    """

    tag: str
    attrs: dict[str, str]
    start: int = 0
    start_end: int = 0
    end_start: int | None = None
    end: int | None = None
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        """The element's classes."""
        return self.attrs.get("class", "").split()

    def elements(self) -> list[Element]:
        """The children that are elements."""
        return [child for child in self.children if isinstance(child, Element)]

    def first_child(self) -> Element | str | None:
        """The first child that is an element or text other than whitespace."""
        for child in self.children:
            if isinstance(child, Element) or child.strip():
                return child
        return None

    def text(self) -> str:
        """All text inside the element (character references decoded)."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, match: Callable[[Element], bool] = lambda element: True) -> Iterator[Element]:
        """Every element inside this one that `match` accepts, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                if match(child):
                    yield child
                yield from child.iter(match)


class _TreeBuilder(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, 0, 0, len(source), len(source))
        self._open = [self.root]
        self._source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        element = Element(tag, {k: v or "" for k, v in attrs}, start)
        element.start_end = start + len(self.get_starttag_text() or "")
        self._open[-1].children.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            element = self._open.pop()
            element.end_start = element.end = element.start_end

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):  # tolerate an unclosed <p>
            element = self._open[depth]
            if element.tag == tag:
                element.end_start = self._offset()
                element.end = self._source.index(">", element.end_start) + 1
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def _without_insides(html: str, opaque: tuple[str, ...]) -> tuple[str, list[int], list[int]]:
    """`html` with the inside of each element named in `opaque` left out, and where.

    Returns the shortened text, and for each cut its position in that text and the
    number of characters left out up to and including it (to map positions back).
    """
    pieces, at, removed_after, position, removed = [], [], [], 0, 0
    for match in _insides(opaque).finditer(html):
        start, end = match.start(2), match.end(2)
        pieces.append(html[position:start])
        at.append(start - removed)
        removed += end - start
        removed_after.append(removed)
        position = end
    pieces.append(html[position:])
    return "".join(pieces), at, removed_after


def parse(source: str, opaque: tuple[str, ...] = OPAQUE) -> Element:
    r"""Parse an HTML fragment into a tree whose offsets refer to `source`.

    The inside of the elements named in `opaque` is not parsed (they have no children in
    the tree; their text is `source[element.start_end:element.end_start]`), which makes
    a chapter parse several times faster: `<svg>` and `<math>` by default, and a caller
    that needs nothing inside highlighted code can add `"code"`.

    Args:
        source: HTML text (a fragment or a whole page).
        opaque: the names of the elements whose inside is left out.

    Returns:
        root: a `#root` element holding the fragment's top-level elements and text.

    Examples:
        >>> html = '<p>a <em>b</em></p><pre><code>x\ny</code></pre>'
        >>> root = parse(html)
        >>> [child.tag for child in root.elements()]
        ['p', 'pre']
        >>> em = next(root.iter(lambda e: e.tag == "em"))
        >>> html[em.start : em.end], em.text()
        ('<em>b</em>', 'b')
    """
    light, cut_at, removed_after = _without_insides(source, opaque)
    builder = _TreeBuilder(light)
    builder.feed(light)
    builder.close()

    def before(position: int) -> int:  # a position that lies before a cut made there
        cut = bisect.bisect_left(cut_at, position) - 1
        return position + (removed_after[cut] if cut >= 0 else 0)

    def after(position: int) -> int:  # a position that lies after a cut made there
        cut = bisect.bisect_right(cut_at, position) - 1
        return position + (removed_after[cut] if cut >= 0 else 0)

    if cut_at:
        for element in builder.root.iter():
            element.start, element.start_end = before(element.start), before(element.start_end)
            if element.end_start is not None and element.end is not None:
                element.end_start, element.end = after(element.end_start), after(element.end)
    builder.root.end_start = builder.root.end = len(source)
    return builder.root


def apply_edits(source: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace each `source[start:end]` by its text; edits must not overlap.

    Args:
        source: the text.
        edits: `(start, end, replacement)` triples, in any order (`start == end` inserts).

    Returns:
        edited: the text with every edit made.

    Raises:
        ValueError: if two edits overlap.

    Examples:
        >>> apply_edits("<p>x</p>", [(0, 3, ""), (4, 8, ""), (3, 3, "[")])
        '[x'
    """
    pieces, position = [], 0
    for start, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        if start < position:
            raise ValueError(f"edits overlap at offset {start}: {edits!r}"[:300])
        pieces += [source[position:start], text]
        position = end
    pieces.append(source[position:])
    return "".join(pieces)
