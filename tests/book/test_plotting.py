"""scribbles.book.plotting: deterministic, theme-aware, accessible SVG."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scribbles.book.plotting import (
    INK,
    PALETTE,
    RASTERIZE_ABOVE,
    compact_svg,
    figure_html,
    figure_to_svg,
    new_figure,
)


def sample_figure():
    fig, ax = new_figure()
    x = np.linspace(0, 1, 50)
    ax.plot(x, x**2, label="square")
    ax.imshow(np.arange(16).reshape(4, 4), extent=(0, 1, 0, 1), alpha=0.3)
    ax.set_title("A title")
    ax.legend()
    return fig


def test_svg_is_byte_identical_across_renders():
    first = figure_to_svg(sample_figure(), alt="x squared")
    second = figure_to_svg(sample_figure(), alt="x squared")
    assert first == second
    plt.close("all")


def test_svg_has_no_date_generator_or_metadata():
    svg = figure_to_svg(sample_figure(), alt="x squared")
    assert "<metadata>" not in svg and "dc:date" not in svg and "Matplotlib v" not in svg
    assert not svg.startswith("<?xml")
    plt.close("all")


def test_text_and_axes_follow_the_page_colour():
    svg = figure_to_svg(sample_figure(), alt="x squared")
    assert "currentColor" in svg
    assert INK not in svg
    assert "#ffffff" not in svg.lower()  # no opaque white background
    plt.close("all")


def test_accessible_name_and_title():
    svg = figure_to_svg(sample_figure(), alt='Curve "y = x²" rising')
    opening = re.match(r"<svg[^>]*>", svg).group(0)
    assert 'role="img"' in opening
    assert 'aria-label="Curve &quot;y = x²&quot; rising"' in opening
    assert "<title>Curve &quot;y = x²&quot; rising</title>" in svg
    assert "viewBox=" in opening and "width=" in opening  # CSS scales it to the column
    plt.close("all")


def test_figure_html_wraps_caption_and_closes_the_figure():
    fig = sample_figure()
    html = figure_html(fig, alt="x squared", caption="<b>bold?</b>")
    assert html.startswith('<figure class="scribbles-figure"><svg')
    assert html.endswith("<figcaption>&lt;b&gt;bold?&lt;/b&gt;</figcaption></figure>")
    assert not plt.fignum_exists(fig.number)


def test_empty_alt_and_wrong_type_are_refused():
    fig, _ = new_figure()
    with pytest.raises(ValueError, match="alt must describe the figure"):
        figure_to_svg(fig, alt="  ")
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure, got str"):
        figure_to_svg("figure", alt="x")
    with pytest.raises(ValueError, match="width and height must be > 0, got width=0"):
        new_figure(width=0)
    plt.close("all")


def test_palette_is_distinct_hex_colours():
    assert len(set(PALETTE)) == len(PALETTE)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in PALETTE)


def test_ids_are_unique_across_figures_of_a_page():
    first = figure_to_svg(sample_figure(), alt="x squared")
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    second = figure_to_svg(fig, alt="a falling line")
    ids = re.findall(r'\bid="([^"]+)"', first) + re.findall(r'\bid="([^"]+)"', second)
    assert len(ids) == len(set(ids))
    for svg in (first, second):  # every internal reference points at an id of its own figure
        own = set(re.findall(r'\bid="([^"]+)"', svg))
        for target in re.findall(r'(?:url\(#|href="#)([^)"]+)', svg):
            assert target in own
    plt.close("all")


def _scatter_svg(n: int, colour: str) -> str:
    rng = np.random.default_rng(0)
    fig, ax = new_figure()
    points = rng.normal(size=(n, 2))
    ax.scatter(points[:, 0], points[:, 1], s=2, color=colour)
    svg = figure_to_svg(fig, alt="Random points.")
    plt.close(fig)
    return svg


def test_dense_scatter_becomes_one_image_and_sparse_stays_vector():
    dense = _scatter_svg(RASTERIZE_ABOVE * 10, PALETTE[0])
    sparse = _scatter_svg(RASTERIZE_ABOVE // 2, PALETTE[0])
    assert dense.count("<image") == 1
    assert "<image" not in sparse
    # The point of rasterising: 2000 markers as paths would be far heavier than 100.
    vector_dense_estimate = len(sparse) * 10
    assert len(dense) < vector_dense_estimate / 3
    # Axes and tick labels stay vector and follow the palette.
    assert "currentColor" in dense


def test_dense_scatter_is_deterministic():
    assert _scatter_svg(1000, PALETTE[2]) == _scatter_svg(1000, PALETTE[2])


def test_dense_scatter_in_ink_stays_vector():
    # Baked into a PNG, ink could not follow the light/dark palette.
    svg = _scatter_svg(RASTERIZE_ABOVE * 2, INK)
    assert "<image" not in svg


def test_many_small_scatters_in_one_figure_count_together():
    # Ten scatters of RASTERIZE_ABOVE // 5 points each: small alone, dense together.
    rng = np.random.default_rng(1)
    fig, ax = new_figure()
    for colour in PALETTE[:2] * 5:
        points = rng.normal(size=(RASTERIZE_ABOVE // 5, 2))
        ax.scatter(points[:, 0], points[:, 1], s=2, color=colour)
    svg = figure_to_svg(fig, alt="Ten groups of points.")
    plt.close(fig)
    assert svg.count("<image") >= 1
    assert svg.count("<use") < 40  # tick marks only; 600 markers would be 600 <use>


def test_embedded_images_are_palette_pngs():
    import base64
    import io

    from PIL import Image

    svg = _scatter_svg(RASTERIZE_ABOVE * 4, PALETTE[1])
    payload = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", svg).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    assert image.mode == "P"  # 256-colour palette, with transparency


def raw_matplotlib_svg(fig) -> str:
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def path_numbers(svg: str) -> list[float]:
    return [float(n) for d in re.findall(r'\sd="([^"]*)"', svg) for n in NUMBER.findall(d)]


def test_compact_svg_draws_the_same_in_fewer_bytes_and_elements():
    fig = sample_figure()
    raw = raw_matplotlib_svg(fig)
    compact = compact_svg(raw)
    plt.close(fig)
    assert len(compact) < 0.85 * len(raw)  # (an embedded PNG, unchanged, is much of it)
    assert compact.count("<") < raw.count("<")  # groups without attributes are gone
    assert compact.count("<g") - compact.count("</g>") == raw.count("<g") - raw.count("</g>")
    # the same paths, in the same order, each coordinate within 0.005
    before, after = path_numbers(raw), path_numbers(compact)
    assert len(before) == len(after) > 100
    assert np.max(np.abs(np.array(before) - np.array(after))) <= 0.005 + 1e-9
    # every id something refers to is kept; the others are dropped
    referenced = set(re.findall(r'(?:url\(#|href="#)([^")]+)', raw))
    kept = set(re.findall(r'\bid="([^"]+)"', compact))
    assert referenced and kept == referenced
    # elements other than groups are all still there
    for tag in ("path", "use", "image", "clipPath"):
        assert compact.count(f"<{tag} ") == raw.count(f"<{tag} "), tag


def test_compact_svg_keeps_grouped_attributes_and_transform_precision():
    svg = (
        '<svg><g id="x"><g clip-path="url(#c)"><path d="M 1.234567 0"/></g></g>'
        '<use xlink:href="#g1" transform="translate(10.123456 2) scale(0.138889)"/></svg>'
    )
    assert compact_svg(svg) == (
        '<svg><g clip-path="url(#c)"><path d="M 1.23 0"/></g>'
        '<use xlink:href="#g1" transform="translate(10.12346 2) scale(0.13889)"/></svg>'
    )


def test_compact_svg_rejects_what_is_not_text():
    with pytest.raises(TypeError, match="text must be an SVG document as a str, got bytes"):
        compact_svg(b"<svg></svg>")
