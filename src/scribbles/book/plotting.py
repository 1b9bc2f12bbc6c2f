r"""Figures for the site: matplotlib in, deterministic and theme-aware inline SVG out.

Every figure on the site is made by a chapter's executed block at build time. This
module makes sure that such a figure

- is **byte-identical** from build to build: no date, no generator comment, a fixed
  `svg.hashsalt` so element ids do not change;
- is **legible in both palettes**: the background is transparent and text, axes and
  ticks are drawn in a sentinel ink that is rewritten to `currentColor`, which the
  site's CSS sets to the page's foreground colour; data colours come from
  [`PALETTE`][scribbles.book.plotting.PALETTE], chosen to read on white and on slate;
- is **accessible**: the `<svg>` has `role="img"`, a `<title>` and an `aria-label`
  holding the alt text, and an optional visible caption;
- stays **light**: in a figure with more than
  [`RASTERIZE_ABOVE`][scribbles.book.plotting.RASTERIZE_ABOVE] scatter markers the scatters
  are embedded as PNG images instead of one vector element per marker (axes, text and
  lines stay vector), so a page of dense sample plots weighs kilobytes, not megabytes.

Importing this module installs the site's matplotlib style for the whole process.

Typical use in a chapter:

```python
import matplotlib.pyplot as plt
from scribbles.book.plotting import figure_html, new_figure

fig, ax = new_figure()
ax.plot([0, 1], [0, 1])
print(figure_html(fig, alt="A straight line from (0, 0) to (1, 1)."))
```
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from PIL import Image

__all__ = [
    "INK",
    "PALETTE",
    "RASTERIZE_ABOVE",
    "RASTER_DPI",
    "figure_html",
    "figure_to_svg",
    "new_figure",
    "site_style",
]

INK = "#010203"
"""Sentinel colour for text and axes; rewritten to `currentColor` in the SVG."""

PALETTE: tuple[str, ...] = (
    "#3b82f6",  # blue
    "#f97316",  # orange
    "#10b981",  # green
    "#e11d48",  # rose
    "#a855f7",  # violet
    "#eab308",  # amber
    "#06b6d4",  # cyan
    "#94a3b8",  # slate
)
"""Data colours with at least 3:1 contrast on both white and Material's slate background."""

RASTERIZE_ABOVE = 300
"""A figure with more scatter markers than this in all has its scatters rasterised."""

RASTER_DPI = 160
"""Resolution of the rasterised parts of a figure (vector parts are resolution-free)."""

_STYLE: dict[str, Any] = {
    "svg.hashsalt": "scribbles",
    "svg.fonttype": "path",
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "grid.color": "#8a8a8a",
    "grid.alpha": 0.35,
    "legend.facecolor": "none",
    "legend.edgecolor": INK,
    "legend.framealpha": 0.0,
    "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
    "font.size": 10,
    "axes.titlesize": 11,
    "figure.dpi": 100,
    "image.cmap": "viridis",
}


# Artists read rcParams when they are created (a legend added after `new_figure` too), so
# the site style is installed for the whole process when this module is imported.
matplotlib.rcParams.update(_STYLE)


@contextmanager
def site_style() -> Iterator[None]:
    """Apply the site's matplotlib style inside a `with` block.

    Examples:
        >>> with site_style():
        ...     import matplotlib
        ...     matplotlib.rcParams["svg.hashsalt"]
        'scribbles'
    """
    with plt.rc_context(_STYLE):
        yield


def new_figure(
    nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 3.6, **kwargs: Any
) -> tuple[Figure, Any]:
    """Create a figure in the site's style (use it instead of `plt.subplots`).

    Args:
        nrows: rows of axes.
        ncols: columns of axes.
        width: width in inches.
        height: height in inches.
        **kwargs: passed on to `plt.subplots`.

    Returns:
        fig: the figure.
        axes: one `Axes`, or an array of them when `nrows * ncols > 1`.

    Raises:
        ValueError: if a size is not positive.

    Examples:
        >>> fig, ax = new_figure()
        >>> fig.get_size_inches().tolist()
        [6.4, 3.6]
        >>> plt.close(fig)
    """
    if nrows < 1 or ncols < 1:
        raise ValueError(f"nrows and ncols must be >= 1, got nrows={nrows}, ncols={ncols}")
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be > 0, got width={width}, height={height}")
    with site_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)
    return fig, axes


_INK_RGB = to_rgba_array(INK)[0, :3]
_EMBEDDED_PNG = re.compile(r"data:image/png;base64,\s*([A-Za-z0-9+/=\s]+)")


def _palettize_png(match: re.Match[str]) -> str:
    """Re-encode an embedded PNG with a 256-colour palette (3-4 times smaller).

    Lossless for images of at most 256 colours (digit mosaics, flat scatters); the
    antialiased edges of rasterised markers lose only imperceptible shades.
    """
    image = Image.open(io.BytesIO(base64.b64decode(re.sub(r"\s", "", match.group(1)))))
    image = image.convert("RGBA").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


def _rasterize_dense_collections(fig: Figure) -> int:
    """Rasterise the scatters of a figure that holds many markers; return how many.

    A figure with more than [`RASTERIZE_ABOVE`][scribbles.book.plotting.RASTERIZE_ABOVE]
    scatter markers in all has each of its scatters drawn into an image. A collection
    drawn in the sentinel [`INK`][scribbles.book.plotting.INK] stays vector: baked into a PNG
    it could not follow the palette through `currentColor`.
    """
    collections = [collection for ax in fig.axes for collection in ax.collections]
    if sum(len(collection.get_offsets()) for collection in collections) <= RASTERIZE_ABOVE:
        return 0
    marked = 0
    for collection in collections:
        colours = [*collection.get_facecolors(), *collection.get_edgecolors()]
        if any((to_rgba_array(colour)[0, :3] == _INK_RGB).all() for colour in colours):
            continue
        collection.set_rasterized(True)
        marked += 1
    return marked


_GEOMETRY_ATTRIBUTE = re.compile(r'\b(d|transform|x|y|width|height|viewBox|points)="([^"]*)"')
_LONG_DECIMAL = re.compile(r"-?\d+\.\d{3,}")
_G_TAG = re.compile(r"<g>|<g\s[^>]*>|</g>")


def _rounded(number: str, places: int) -> str:
    text = f"{float(number):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _compact_attribute(match: re.Match[str]) -> str:
    # A transform's factors scale whole glyphs: they keep 5 decimals, positions 2.
    places = 5 if match.group(1) == "transform" else 2
    value = _LONG_DECIMAL.sub(lambda number: _rounded(number.group(0), places), match.group(2))
    return f'{match.group(1)}="{" ".join(value.split())}"'


def _unwrap_plain_groups(text: str) -> str:
    """Drop every `<g>` that has no attributes (and its `</g>`), keeping its children."""
    pieces, position, plain = [], 0, []
    for match in _G_TAG.finditer(text):
        tag = match.group(0)
        if tag.endswith("/>"):  # an empty group holds nothing to keep
            drop = True
        elif tag == "</g>":
            drop = plain.pop()
        else:
            drop = tag == "<g>"
            plain.append(drop)
        if drop:
            pieces.append(text[position : match.start()])
            position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)


def compact_svg(text: str) -> str:
    r"""Write matplotlib's SVG in fewer bytes and elements; it draws the same.

    matplotlib writes coordinates with 6 decimals, one path command per line, an `id` on
    every group and element, and a group around each artist. On a page that is most of
    its HTML (a chapter's figures: 300 KB of 600). Here coordinates keep 2 decimals
    (0.01 pt; a figure is about 400 pt wide), whitespace between tags and inside path
    data goes, `id`s that nothing refers to go, and so do the groups that are left with
    no attribute (their children take their place).

    Args:
        text: an SVG document as matplotlib writes it (text drawn as paths, no `<text>`).

    Returns:
        svg: the same drawing.

    Raises:
        TypeError: if `text` is not a string.

    Examples:
        >>> compact_svg('<svg viewBox="0 0 10.123456 5">\n <g id="a">\n  <path d="M 0 0 \n'
        ...             'L 1.23456 2" id="b"/>\n </g>\n</svg>')
        '<svg viewBox="0 0 10.12 5"><path d="M 0 0 L 1.23 2"/></svg>'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be an SVG document as a str, got {type(text).__name__}")
    text = _GEOMETRY_ATTRIBUTE.sub(_compact_attribute, text)
    text = re.sub(r">\s+<", "><", text)
    referenced = set(re.findall(r"(?:url\(#|href=\"#)([^\")]+)", text))
    text = re.sub(
        r'\sid="([^"]+)"',
        lambda match: match.group(0) if match.group(1) in referenced else "",
        text,
    )
    return _unwrap_plain_groups(text)


def figure_to_svg(fig: Figure, alt: str) -> str:
    """Render a figure as a deterministic, theme-aware, accessible inline `<svg>`.

    Args:
        fig: a matplotlib figure (ideally from [`new_figure`][scribbles.book.plotting.new_figure]).
        alt: what the figure shows, for readers who cannot see it. Must not be empty.

    Returns:
        svg: the SVG markup, starting with `<svg`.

    Raises:
        ValueError: if `alt` is empty.
        TypeError: if `fig` is not a matplotlib `Figure`.

    Examples:
        >>> fig, ax = new_figure()
        >>> _ = ax.plot([0, 1], [1, 0])
        >>> svg = figure_to_svg(fig, alt="A falling line.")
        >>> svg.startswith("<svg") and 'role="img"' in svg and "currentColor" in svg
        True
        >>> svg == figure_to_svg(fig, alt="A falling line.")
        True
        >>> plt.close(fig)
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not alt or not alt.strip():
        raise ValueError("alt must describe the figure; got an empty string")
    _rasterize_dense_collections(fig)
    buffer = io.StringIO()
    with site_style():
        fig.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            dpi=RASTER_DPI,
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :].strip()  # drop the XML declaration and DOCTYPE
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = text.replace(INK, "currentColor")
    text = _EMBEDDED_PNG.sub(_palettize_png, text)
    # matplotlib writes the glyph of a space as a <path> without `d` (invalid SVG).
    text = re.sub(r"<path (?![^>]*\bd=)", '<path d="" ', text)
    text = compact_svg(text)
    # Several figures share a page: give this one's ids (clip paths, glyphs) a prefix
    # derived from its content, so that ids stay unique and builds stay deterministic.
    prefix = "f" + hashlib.sha256(text.encode()).hexdigest()[:10] + "-"
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', text)
    text = re.sub(r"url\(#", f"url(#{prefix}", text)
    text = re.sub(r'href="#', f'href="#{prefix}', text)
    label = html.escape(alt.strip(), quote=True)

    def add_accessibility(match: re.Match[str]) -> str:
        attributes = match.group(1)  # keeps width/height: the CSS scales the figure down
        return f'<svg{attributes} role="img" aria-label="{label}"><title>{label}</title>'

    return _SVG_OPEN.sub(add_accessibility, text, count=1)


def figure_html(fig: Figure, alt: str, caption: str | None = None) -> str:
    """Return a figure as an HTML `<figure>` for a block with `html="true"`, and close it.

    The block prints the result: `print(figure_html(fig, alt="..."))` (markdown-exec
    captures the block's own `print`, not one called inside a library).

    Args:
        fig: the figure.
        alt: the alt text (what the figure shows).
        caption: an optional visible caption (Markdown is not interpreted).

    Returns:
        html: `<figure class="scribbles-figure"><svg ...></svg><figcaption>...</figcaption>
            </figure>`.

    Raises:
        ValueError: if `alt` is empty.

    Examples:
        >>> fig, ax = new_figure()
        >>> print(figure_html(fig, alt="Empty axes.", caption="Nothing yet"))  # doctest: +ELLIPSIS
        <figure class="scribbles-figure"><svg...</svg><figcaption>Nothing yet</figcaption></figure>
    """
    svg = figure_to_svg(fig, alt)
    plt.close(fig)
    caption_html = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="scribbles-figure">{svg}{caption_html}</figure>'
