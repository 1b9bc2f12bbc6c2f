"""scribbles.plotting: deterministic, theme-aware, accessible SVG."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scribbles.plotting import INK, PALETTE, figure_html, figure_to_svg, new_figure


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
