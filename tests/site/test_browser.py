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

from tests.site.browser_support import PageProblems, assert_math_rendered, served_from, watch
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


def serious(results) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


# Everything rendered, and at once: a block the browser skipped while the palette changed
# gets its new colours when it is rendered, through Material's colour transitions (axe
# would read a label's colour halfway).
RENDER_EVERYTHING = "* { content-visibility: visible !important; transition: none !important; }"
TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def axe_serious(page: Page) -> list[str]:
    """Serious or critical axe violations of the page as a reader gets it.

    Blocks far from the screen are not rendered yet (`content-visibility: auto`, on the
    API pages' docstrings): keyboard access to scrollable regions is checked in that very
    state, since a reader tabs into such blocks before they are rendered. For every other
    rule the blocks are rendered first: axe cannot compute the colours of a block the
    browser has not rendered, and reports its text against a white page (false contrast
    failures in the dark palette).
    """
    as_loaded = serious(Axe().run(page, options={"runOnly": ["scrollable-region-focusable"]}))
    style = page.add_style_tag(content=RENDER_EVERYTHING)
    page.evaluate(TWO_FRAMES)  # rendered, and the ResizeObserver has reported
    rendered = serious(Axe().run(page))
    style.evaluate("element => element.remove()")
    page.evaluate(TWO_FRAMES)
    return as_loaded + rendered


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
    page.locator("form[data-scribbles-palette] label:visible").first.click()
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


def body_scheme(page: Page) -> str | None:
    return page.get_attribute("body", "data-md-color-scheme")


def meta_content(page: Page, name: str) -> str | None:
    return page.evaluate(f"() => document.querySelector('meta[name={name}]')?.content ?? null")


def test_palette_choice_is_kept_across_reloads_and_instant_navigation(page: Page, site_server: str):
    # The toggle is ours (overrides/partials/palette.html), not Material's component.
    problems = open_page(page, site_server, "/deep/attention/")
    assert page.locator("[data-md-component=palette]").count() == 0
    assert body_scheme(page) == "default" and meta_content(page, "color-scheme") == "light"
    assert page.locator("form[data-scribbles-palette] label:visible").count() == 1
    assert switch_palette(page) == "slate"
    assert meta_content(page, "color-scheme") == "dark"
    page.wait_for_function("() => document.querySelector('meta[name=theme-color]').content")
    page.reload(wait_until="networkidle")
    assert body_scheme(page) == "slate"  # the saved choice, applied before the article
    label = page.locator("form[data-scribbles-palette] label:visible")
    assert label.count() == 1 and label.get_attribute("title") == "Switch to light mode"
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("a.md-footer__link--next").click()
    page.wait_for_function("() => !location.pathname.endsWith('/deep/attention/')")
    assert page.evaluate("() => window.__sameDocument === true")  # instant navigation
    assert body_scheme(page) == "slate"
    assert switch_palette(page) == "default"  # the toggle still works after it
    page.reload(wait_until="networkidle")
    assert body_scheme(page) == "default"
    assert problems.all() == []


def test_palette_follows_the_system_until_the_reader_chooses(browser, site_server: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        problems = open_page(page, site_server, "/")
        assert body_scheme(page) == "slate"  # first visit, dark system: dark palette
        page.emulate_media(color_scheme="light")
        page.wait_for_function("() => document.body.dataset.mdColorScheme === 'default'")
        page.emulate_media(color_scheme="dark")
        page.wait_for_function("() => document.body.dataset.mdColorScheme === 'slate'")
        # Keyboard: Enter on the focused toggle switches, as in Material.
        page.focus("form[data-scribbles-palette] input:checked")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.body.dataset.mdColorScheme === 'default'")
        page.emulate_media(color_scheme="light")
        page.emulate_media(color_scheme="dark")  # a chosen palette no longer follows
        page.wait_for_timeout(200)
        assert body_scheme(page) == "default"
        assert problems.all() == []
    finally:
        context.close()


def test_code_blocks_have_one_working_copy_button_each(browser, site_server: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_server)
    try:
        page = context.new_page()
        problems = open_page(page, site_server, "/about/authoring/")
        counts = page.evaluate(
            """() => [...document.querySelectorAll('article pre > code')].map(
                code => code.parentElement.querySelectorAll('.md-code__button').length)"""
        )
        assert counts and set(counts) == {1}, counts  # Material added no second button
        block = page.locator("article pre:has(> code) >> visible=true").first
        block.hover()
        block.locator(".md-code__button[data-md-type=copy]").click()
        page.locator(".md-dialog__inner", has_text="Copied to clipboard").wait_for()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        expected = block.locator("code").inner_text().rstrip()
        assert copied == expected and len(copied) > 10
        assert problems.all() == []
    finally:
        context.close()


REGION_FOCUS = """() => [...document.querySelectorAll(
        'article .katex-display, article .md-typeset__scrollwrap')]
    .filter(region => region.clientWidth > 0)
    .map(region => [region.scrollWidth > region.clientWidth, region.tabIndex === 0])"""


def test_wide_formulas_and_tables_are_focusable_exactly_while_they_overflow(
    page: Page, site_server: str
):
    page.set_viewport_size({"width": 360, "height": 800})  # a phone: many formulas overflow
    problems = open_page(page, site_server, "/generative/diffusion/")
    page.wait_for_selector("body[data-math-rendered]", state="attached")
    narrow = page.evaluate(REGION_FOCUS)
    assert any(overflows for overflows, _ in narrow) and not all(o for o, _ in narrow)
    assert all(overflows == focusable for overflows, focusable in narrow), narrow
    page.set_viewport_size({"width": 1600, "height": 900})  # the same regions, now wide
    page.wait_for_function(
        f"() => ({REGION_FOCUS})().every(([overflows, focusable]) => overflows === focusable)"
    )
    wide = page.evaluate(REGION_FOCUS)
    assert sum(o for o, _ in wide) < sum(o for o, _ in narrow)
    assert problems.all() == []


CHAPTERS = [path for path in PAGES if not path.startswith("/reference/") and path != "/404.html"]
LIGHTHOUSE_PHONE = {"width": 412, "height": 823}  # Lighthouse's mobile viewport
SKIPPED_BLOCKS = """() => [...document.querySelectorAll('[data-scribbles-skip]')].map(block => {
    const style = getComputedStyle(block);
    return {
        // (a skipped block itself is visible, as an empty box: its children are not)
        rendered: block.firstElementChild?.checkVisibility({contentVisibilityAuto: true}),
        estimate: parseFloat(style.getPropertyValue(
            innerWidth >= 1220 ? '--scribbles-wide' : '--scribbles-phone')),
        height: block.getBoundingClientRect().height,
        what: block.tagName + '.' + block.className,
    };
})"""


@pytest.mark.parametrize("path", CHAPTERS)
def test_far_blocks_wait_in_boxes_no_shorter_than_their_content(
    page: Page, site_server: str, path: str
):
    """Blocks far below the screen are skipped while loading, in boxes as tall as they.

    A skipped block's content must fit the box it stands in for it: axe (as Lighthouse
    runs it, on the page as loaded) places that content at its real size, and in a box
    too short it would overlap the next block and be read against the wrong background.
    Checked where Lighthouse looks (a phone) and on a wide screen.
    """
    for viewport in (LIGHTHOUSE_PHONE, {"width": 1280, "height": 900}):
        page.set_viewport_size(viewport)
        problems = open_page(page, site_server, path)
        page.wait_for_selector("body[data-math-rendered]", state="attached")
        as_loaded = page.evaluate(SKIPPED_BLOCKS)
        if not as_loaded:  # a page without a second section has nothing to skip
            assert page.locator("article h2").count() == 0
            continue
        with_children = [block for block in as_loaded if block["rendered"] is not None]
        if with_children:  # (only text in them: nothing to ask)
            assert with_children[-1]["rendered"] is False, "the last block is rendered on load"
        style = page.add_style_tag(content=RENDER_EVERYTHING)
        page.evaluate(TWO_FRAMES)
        short = [
            block for block in page.evaluate(SKIPPED_BLOCKS) if block["height"] > block["estimate"]
        ]
        assert short == [], f"{viewport['width']} px: estimated too short: {short[:3]}"
        style.evaluate("element => element.remove()")
        assert problems.all() == []


FIRST_FOCUSABLE_BEFORE = """formula => {
    const focusable = [...document.querySelectorAll('a[href], button, input, [tabindex="0"]')]
        .filter(element => element.checkVisibility({contentVisibilityAuto: false}) &&
            formula.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_PRECEDING);
    focusable.at(-1).focus();
    return document.activeElement !== document.body;
}"""


def test_tab_reaches_a_wide_formula_far_below_the_screen(page: Page, site_server: str):
    """A formula wider than a phone, not yet rendered, is in the keyboard's path."""
    page.set_viewport_size({"width": 360, "height": 800})
    problems = open_page(page, site_server, "/generative/diffusion/")
    page.wait_for_selector("body[data-math-rendered]", state="attached")
    candidates = page.locator("article div.arithmatex[data-scribbles-skip][tabindex='0']")
    assert candidates.count() > 0
    formula = candidates.last
    rendered = "f => f.firstElementChild.checkVisibility({contentVisibilityAuto: true})"
    assert not formula.evaluate(rendered)
    assert formula.evaluate(
        "f => [...f.children].some(child => child.offsetWidth > f.clientWidth)"
    ), "this formula should be wider than the phone's column"
    assert formula.evaluate(FIRST_FOCUSABLE_BEFORE)
    page.keyboard.press("Tab")
    assert formula.evaluate("f => document.activeElement === f")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    assert formula.evaluate(rendered)  # focused, so near the screen, so rendered
    assert problems.all() == []


STYLESHEET_HREF_CHANGES = """() => {
    window.__stylesheetChanges = [];
    new MutationObserver(records => {
        for (const record of records)
            if (record.target.rel === 'stylesheet')
                window.__stylesheetChanges.push({
                    from: record.oldValue, to: record.target.getAttribute('href'),
                    body: document.body !== null,
                });
    }).observe(document, {subtree: true, attributes: true, attributeFilter: ['href'],
                          attributeOldValue: true});
}"""


def test_stylesheets_are_not_reloaded_once_the_page_has_a_body(page: Page, site_server: str):
    """Material's instant navigation makes every link absolute by assigning it again; for
    a stylesheet that reloads it, and restyles the page. Done in <head>, before <body>."""
    page.add_init_script(f"({STYLESHEET_HREF_CHANGES})()")
    problems = open_page(page, site_server, "/classical/svm/")
    page.wait_for_selector("body[data-math-rendered]", state="attached")
    changes = page.evaluate("() => window.__stylesheetChanges")
    assert len(changes) >= 5, changes  # each stylesheet, resolved in <head>
    assert [change for change in changes if change["body"]] == []
    assert all(change["to"].startswith(site_server) for change in changes)
    assert all(
        href.startswith(site_server)
        for href in page.eval_on_selector_all(
            "link[rel=stylesheet]", "links => links.map(link => link.getAttribute('href'))"
        )
    )
    assert problems.all() == []


LISTING_STATE = """() => {
    const details = document.querySelector('details.mkdocstrings-source');
    const code = details.querySelector(':scope > div pre > code');
    return {
        open: details.open,
        noscript: details.querySelectorAll('noscript').length,
        highlighted: code ? code.querySelectorAll('span').length : 0,
        visible: code ? code.getBoundingClientRect().height > 0 : false,
    };
}"""


def open_first_listing(page: Page) -> dict:
    page.locator("details.mkdocstrings-source > summary").first.click()
    page.wait_for_function(f"() => ({LISTING_STATE})().highlighted > 0")
    return page.evaluate(LISTING_STATE)


def test_api_source_listings_load_when_opened_also_after_instant_navigation(
    page: Page, site_server: str
):
    problems = open_page(page, site_server, "/reference/learning/vapnik/")
    before = page.evaluate(LISTING_STATE)
    assert before == {"open": False, "noscript": 1, "highlighted": 0, "visible": False}
    after = open_first_listing(page)
    assert after["open"] and after["noscript"] == 0 and after["visible"]
    assert after["highlighted"] > 50
    # Instant navigation parses the next page without scripting: its listings arrive as
    # elements inside the noscript, and open the same way.
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("a.md-footer__link--next").click()
    page.wait_for_function("() => !location.pathname.endsWith('/reference/learning/vapnik/')")
    page.wait_for_selector("details.mkdocstrings-source", state="attached")
    assert page.evaluate("() => window.__sameDocument === true")
    after_navigation = open_first_listing(page)
    assert after_navigation["noscript"] == 0 and after_navigation["visible"]
    assert problems.all() == []
