"""Every built page in a real Chromium: no errors, nothing from other hosts, math, figures, axe.

Chromium is Debian's (`/usr/bin/chromium`, installed by `make setup`); Playwright only
drives it.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser_support import PageProblems, assert_math_rendered, served_from, watch
from tests.conftest import page_urls

pytestmark = pytest.mark.browser

PAGES = page_urls()
SERIOUS = {"serious", "critical"}


def open_page(page: Page, base_url: str, path: str) -> PageProblems:
    problems = watch(page, served_from(base_url))
    page.goto(base_url + path, wait_until="networkidle")
    return problems


def invisible_figures(page: Page) -> list[str]:
    """Figures without a visible size or an accessible name (as `index: width x height`)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('figure.scribbles-figure svg')]
            .map((svg, index) => {
                const box = svg.getBoundingClientRect();
                const named = (svg.getAttribute('aria-label') || '').trim().length > 0;
                return box.width > 100 && box.height > 50 && named
                    ? null : `${index}: ${box.width}x${box.height}`;
            })
            .filter(problem => problem !== null)"""
    )


def axe_serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_with_math_and_figures(page: Page, site_server: str, path: str):
    problems = open_page(page, site_server, path)
    assert problems.all() == []
    assert_math_rendered(page)
    assert invisible_figures(page) == []
    assert page.locator("meta[name=description]").count() == 1


def switch_palette(page: Page) -> str:
    """Click the header's light/dark toggle as a reader would; return the new scheme."""
    scheme = page.get_attribute("body", "data-md-color-scheme")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(f"document.body.dataset.mdColorScheme !== '{scheme}'")
    return page.get_attribute("body", "data-md-color-scheme")


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_violation_in_light_and_dark(page: Page, site_server: str, path: str):
    open_page(page, site_server, path)
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    assert axe_serious(page) == []
    assert switch_palette(page) == "slate"
    assert axe_serious(page) == []


def test_search_finds_attention_for_softmax(page: Page, site_server: str):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems = open_page(page, site_server, "/")
    # The index is the largest download of the site: a visit that never searches skips it.
    page.wait_for_timeout(1000)
    assert not any(url.endswith("/search/search_index.json") for url in requested)
    page.keyboard.press("s")  # Material's search shortcut
    # A query typed before the search worker has built its index is dropped, as it is
    # for a reader: wait for the worker, then type (Material reads the query on keyup).
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__meta')"
        ".textContent.includes('Initializing')",
        timeout=30_000,
    )
    page.keyboard.type("softmax")
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=10_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any("deep/attention/" in (href or "") for href in hrefs), hrefs
    assert any(url.endswith("/search/search_index.json") for url in requested)
    assert problems.all() == []


def relative_luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def figure_and_background_colours(page: Page) -> tuple[str, str]:
    return page.evaluate(
        """() => {
            const svg = document.querySelector('figure.scribbles-figure svg');
            const body = getComputedStyle(document.body).backgroundColor;
            return [getComputedStyle(svg).color, body];
        }"""
    )


def test_palette_toggle_keeps_figures_legible(page: Page, site_server: str):
    problems = open_page(page, site_server, "/deep/attention/")
    ink, background = figure_and_background_colours(page)
    assert contrast(ink, background) >= 7
    switch_palette(page)
    dark_ink, dark_background = figure_and_background_colours(page)
    assert dark_background != background and dark_ink != ink
    assert contrast(dark_ink, dark_background) >= 7
    assert problems.all() == []


def test_math_renders_after_instant_navigation(page: Page, site_server: str):
    problems = open_page(page, site_server, "/deep/attention/")
    assert_math_rendered(page)
    page.evaluate("() => { window.__sameDocument = true; }")
    next_link = page.locator("a.md-footer__link--next")
    target = urljoin(page.url, next_link.get_attribute("href"))
    next_link.click()
    page.wait_for_url(target)
    # Material's instant navigation swaps the content without loading a new document.
    assert page.evaluate("() => window.__sameDocument === true")
    page.wait_for_function(
        """() => {
            const math = [...document.querySelectorAll('article .arithmatex')];
            return math.length > 0 && math.every(e => e.querySelector('.katex'));
        }""",
        timeout=30_000,
    )
    assert page.locator("article .katex-error").count() == 0
    assert problems.all() == []
